package capi

/*
#include "capi.h"
*/
import "C"

import (
	"fmt"
	"strings"
	"unsafe"

	"github.com/duckinfer/duckinfer/internal/core"
	"github.com/duckinfer/duckinfer/internal/duckvec"
)

// vecColumn is one input column of a chunk, read in place for the inference core. The
// C API flattens a scalar function's input, so every vector is a flat array of its
// type plus a validity mask (NULL when every row is valid).
type vecColumn struct {
	name string
	vec  C.duckdb_vector
	n    int

	typ   C.di_type_info
	typed bool
}

func (v *vecColumn) Name() string { return v.name }

func (v *vecColumn) info() *C.di_type_info {
	if !v.typed {
		C.di_vector_type(v.vec, &v.typ)
		v.typed = true
	}
	return &v.typ
}

// mask is the column's validity mask for n rows (nil: every row valid).
func (v *vecColumn) mask(n int) []uint64 {
	return duckvec.Mask(unsafe.Pointer(C.di_vector_validity(v.vec)), n)
}

// nulls clears valid[r] for each NULL row of vec.
func nulls(vec C.duckdb_vector, valid []bool) {
	duckvec.ClearNulls(duckvec.Mask(unsafe.Pointer(C.di_vector_validity(vec)), len(valid)), valid)
}

// isNull says whether row r of vec is NULL.
func isNull(vec C.duckdb_vector, r int) bool {
	return !duckvec.Valid(duckvec.Mask(unsafe.Pointer(C.di_vector_validity(vec)), r+1), r)
}

func data[T any](vec C.duckdb_vector, n int) []T {
	return unsafe.Slice((*T)(C.di_vector_data(vec)), n)
}

// Strings borrows the column's strings from DuckDB: valid only during the call.
func (v *vecColumn) Strings(dst []string, valid []bool) error {
	if t := v.info().id; t != C.DUCKDB_TYPE_VARCHAR {
		// The core appends what to do (Call.ColumnHint).
		return fmt.Errorf("column %q must be VARCHAR, not %s", v.name, typeName(t))
	}
	duckvec.ReadStrings(C.di_vector_data(v.vec), v.mask(len(dst)), dst, valid)
	return nil
}

// Float64s reads any numeric column, widened to float64.
func (v *vecColumn) Float64s(dst []float64, valid []bool) error {
	n := len(dst)
	if !numericInto(dst, v.vec, v.info(), n) {
		return v.notNumeric()
	}
	nulls(v.vec, valid)
	return nil
}

func numericInto(dst []float64, vec C.duckdb_vector, t *C.di_type_info, n int) bool {
	switch t.id {
	case C.DUCKDB_TYPE_DOUBLE:
		copy(dst, data[float64](vec, n))
	case C.DUCKDB_TYPE_FLOAT:
		duckvec.Widen(dst, data[float32](vec, n))
	case C.DUCKDB_TYPE_BIGINT:
		duckvec.Widen(dst, data[int64](vec, n))
	case C.DUCKDB_TYPE_INTEGER:
		duckvec.Widen(dst, data[int32](vec, n))
	case C.DUCKDB_TYPE_SMALLINT:
		duckvec.Widen(dst, data[int16](vec, n))
	case C.DUCKDB_TYPE_TINYINT:
		duckvec.Widen(dst, data[int8](vec, n))
	case C.DUCKDB_TYPE_UBIGINT:
		duckvec.Widen(dst, data[uint64](vec, n))
	case C.DUCKDB_TYPE_UINTEGER:
		duckvec.Widen(dst, data[uint32](vec, n))
	case C.DUCKDB_TYPE_USMALLINT:
		duckvec.Widen(dst, data[uint16](vec, n))
	case C.DUCKDB_TYPE_UTINYINT:
		duckvec.Widen(dst, data[uint8](vec, n))
	case C.DUCKDB_TYPE_BOOLEAN:
		for r, b := range data[bool](vec, n) {
			dst[r] = 0
			if b {
				dst[r] = 1
			}
		}
	case C.DUCKDB_TYPE_HUGEINT:
		for r, x := range data[duckvec.Hugeint](vec, n) {
			dst[r] = x.Float64()
		}
	case C.DUCKDB_TYPE_UHUGEINT:
		for r, x := range data[duckvec.Uhugeint](vec, n) {
			dst[r] = x.Float64()
		}
	case C.DUCKDB_TYPE_DECIMAL:
		// Scaled as DuckDB's own cast to DOUBLE does.
		scale := int(t.scale)
		switch t.internal {
		case C.DUCKDB_TYPE_SMALLINT:
			duckvec.Decimals(dst, data[int16](vec, n), scale)
		case C.DUCKDB_TYPE_INTEGER:
			duckvec.Decimals(dst, data[int32](vec, n), scale)
		case C.DUCKDB_TYPE_BIGINT:
			duckvec.Decimals(dst, data[int64](vec, n), scale)
		case C.DUCKDB_TYPE_HUGEINT:
			duckvec.Decimals(dst, data[duckvec.Hugeint](vec, n), scale)
		default:
			return false
		}
	default:
		return false
	}
	return true
}

// Float32s reads a FLOAT column as it is (see models.Float32Column).
func (v *vecColumn) Float32s(dst []float32, valid []bool) (bool, error) {
	if v.info().id != C.DUCKDB_TYPE_FLOAT {
		return false, nil
	}
	copy(dst, data[float32](v.vec, len(dst)))
	nulls(v.vec, valid)
	return true, nil
}

// Int64s reads an integer column exactly, handing each value beyond int64 to beyond
// (see models.Column).
func (v *vecColumn) Int64s(dst []int64, valid []bool, beyond func(r int, v string)) (bool, error) {
	n := len(dst)
	switch v.info().id {
	case C.DUCKDB_TYPE_BIGINT:
		copy(dst, data[int64](v.vec, n))
	case C.DUCKDB_TYPE_INTEGER:
		duckvec.Widen(dst, data[int32](v.vec, n))
	case C.DUCKDB_TYPE_SMALLINT:
		duckvec.Widen(dst, data[int16](v.vec, n))
	case C.DUCKDB_TYPE_TINYINT:
		duckvec.Widen(dst, data[int8](v.vec, n))
	case C.DUCKDB_TYPE_UINTEGER:
		duckvec.Widen(dst, data[uint32](v.vec, n))
	case C.DUCKDB_TYPE_USMALLINT:
		duckvec.Widen(dst, data[uint16](v.vec, n))
	case C.DUCKDB_TYPE_UTINYINT:
		duckvec.Widen(dst, data[uint8](v.vec, n))
	case C.DUCKDB_TYPE_UBIGINT:
		duckvec.Narrow(dst, data[duckvec.Ubigint](v.vec, n), v.mask(n), beyond)
	case C.DUCKDB_TYPE_BOOLEAN:
		for r, b := range data[bool](v.vec, n) {
			dst[r] = 0
			if b {
				dst[r] = 1
			}
		}
	case C.DUCKDB_TYPE_HUGEINT:
		duckvec.Narrow(dst, data[duckvec.Hugeint](v.vec, n), v.mask(n), beyond)
	case C.DUCKDB_TYPE_UHUGEINT:
		duckvec.Narrow(dst, data[duckvec.Uhugeint](v.vec, n), v.mask(n), beyond)
	case C.DUCKDB_TYPE_DOUBLE, C.DUCKDB_TYPE_FLOAT, C.DUCKDB_TYPE_DECIMAL:
		return false, nil
	default:
		return false, v.notNumeric()
	}
	nulls(v.vec, valid)
	return true, nil
}

// listEntry is duckdb_list_entry.
type listEntry struct{ offset, length uint64 }

// ArrayFloat64s reads a numeric ARRAY or LIST column, k values per row (see
// models.Column).
func (v *vecColumn) ArrayFloat64s(dst []float64, k int, valid []bool) error {
	n := len(valid)
	t := v.info()
	var child C.duckdb_vector
	var ents []listEntry
	switch t.id {
	case C.DUCKDB_TYPE_ARRAY:
		if int(t.array_size) != k {
			return fmt.Errorf("column %q holds %d values per row (an ARRAY of %d), but the model input takes %d; pick or build an array of %d", v.name, t.array_size, t.array_size, k, k)
		}
		child = C.di_array_child(v.vec)
	case C.DUCKDB_TYPE_LIST:
		child = C.di_list_child(v.vec)
		ents = data[listEntry](v.vec, n)
	default:
		return duckvec.NotArrayError(v.name, k, typeName(t.id))
	}
	ct := C.di_type_info{id: t.child}
	if t.child == C.DUCKDB_TYPE_DECIMAL {
		C.di_vector_type(child, &ct)
	}
	// Elements live in the child vector: [r*k, (r+1)*k) for an ARRAY, the entry's
	// span for a LIST.
	total := n * k
	if ents != nil {
		total = 0
		for r := range n {
			if !isNull(v.vec, r) {
				total = max(total, int(ents[r].offset+ents[r].length))
			}
		}
	}
	elems := make([]float64, total)
	if total > 0 && !numericInto(elems, child, &ct, total) {
		return duckvec.NotNumbersError(v.name, typeName(t.child))
	}
	for r := range n {
		if isNull(v.vec, r) {
			valid[r] = false
			continue
		}
		start := r * k
		if ents != nil {
			if int(ents[r].length) != k {
				return duckvec.ListLengthError(v.name, ents[r].length, r, k)
			}
			start = int(ents[r].offset)
		}
		for j := range k {
			if isNull(child, start+j) {
				valid[r] = false
				break
			}
		}
		copy(dst[r*k:(r+1)*k], elems[start:start+k])
	}
	return nil
}

// listStrings reads element i of row 0 of vec, a VARCHAR[][] vector: a list of
// strings, each read with its length (a NUL byte in one stays) and copied; NULL is nil.
func listStrings(vec C.duckdb_vector, i int) ([]any, error) {
	var t C.di_type_info
	C.di_vector_type(vec, &t)
	if t.id != C.DUCKDB_TYPE_LIST || t.child != C.DUCKDB_TYPE_LIST {
		return nil, fmt.Errorf("a list of lists of strings was expected, got %s", typeName(t.id))
	}
	if isNull(vec, 0) {
		return nil, nil
	}
	outer := data[listEntry](vec, 1)[0]
	if uint64(i) >= outer.length {
		return nil, fmt.Errorf("a list of %d elements has no element %d", outer.length, i+1)
	}
	child := C.di_list_child(vec)
	k := int(outer.offset) + i
	if isNull(child, k) {
		return nil, nil
	}
	inner := data[listEntry](child, k+1)[k]
	strs := C.di_list_child(child)
	var st C.di_type_info
	C.di_vector_type(strs, &st)
	if st.id != C.DUCKDB_TYPE_VARCHAR {
		return nil, fmt.Errorf("a list of strings was expected, got a list of %s", typeName(st.id))
	}
	off := int(inner.offset)
	ss := data[duckvec.String](strs, off+int(inner.length))[off:]
	out := make([]any, len(ss))
	for j := range ss {
		if !isNull(strs, off+j) {
			out[j] = strings.Clone(ss[j].Get())
		}
	}
	return out, nil
}

// argValue reads row r of an argument's vector as goValue reads a constant: nil, a
// string, a []any (LIST or ARRAY), an int32 or int64, or else a core.SQLValue naming
// the type (without its text, which the C API does not give for a vector's row).
func argValue(vec C.duckdb_vector, r int) any {
	var t C.di_type_info
	C.di_vector_type(vec, &t)
	if t.id == C.DUCKDB_TYPE_SQLNULL || isNull(vec, r) {
		return nil
	}
	switch t.id {
	case C.DUCKDB_TYPE_VARCHAR:
		return strings.Clone(data[duckvec.String](vec, r+1)[r].Get())
	case C.DUCKDB_TYPE_LIST:
		e := data[listEntry](vec, r+1)[r]
		return argValues(C.di_list_child(vec), int(e.offset), int(e.length))
	case C.DUCKDB_TYPE_ARRAY:
		k := int(t.array_size)
		return argValues(C.di_array_child(vec), r*k, k)
	case C.DUCKDB_TYPE_TINYINT:
		return int32(data[int8](vec, r+1)[r])
	case C.DUCKDB_TYPE_SMALLINT:
		return int32(data[int16](vec, r+1)[r])
	case C.DUCKDB_TYPE_INTEGER:
		return data[int32](vec, r+1)[r]
	case C.DUCKDB_TYPE_BIGINT:
		return data[int64](vec, r+1)[r]
	}
	return core.SQLValue{Type: typeName(t.id)}
}

// argValues reads rows off..off+n of a LIST's or ARRAY's child vector (argValue).
func argValues(child C.duckdb_vector, off, n int) []any {
	out := make([]any, n)
	for i := range out {
		out[i] = argValue(child, off+i)
	}
	return out
}

func (v *vecColumn) notNumeric() error {
	return fmt.Errorf("column %q must be numeric, not %s", v.name, typeName(v.info().id))
}

// typeName names a DuckDB type for messages, as the Go binding does.
func typeName(t C.duckdb_type) string { return duckvec.TypeName(int(t)) }
