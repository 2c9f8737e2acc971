package udf

import (
	"reflect"
	"unsafe"

	"github.com/duckdb/duckdb-go/v2"
	"github.com/duckdb/duckdb-go/v2/mapping"

	"github.com/duckinfer/duckinfer/internal/duckvec"
)

// Why this file exists: duckdb-go (v2.10506.0) reads a vector value by value, boxing
// each in an interface (DataChunk.GetValue), which costs more than the model for wide
// numeric inputs. Its public mapping package reads a vector's raw data and validity
// mask, but needs the mapping.Vector that duckdb.Vector keeps in an unexported field
// (Vector.v *vector, vector.vec mapping.Vector). This adapter reaches it by reflection
// after checking those types; TestRawVectorAdapter fails loudly if a duckdb-go upgrade
// changes the layout. Without it (ok false) columns are read the slow way, correctly.

// rawVector is a flat DuckDB vector's type, data and validity mask.
type rawVector struct {
	typ  duckdb.Type
	data unsafe.Pointer
	mask []uint64 // bit r%64 of word r/64 is set when row r is valid; nil: all valid
}

// rawVectorOf returns vec's raw data for its n rows. Scalar function arguments are
// flat vectors: DuckDB's C API flattens them before the call, and duckdb-go's own
// getters index the data pointer directly too.
func rawVectorOf(vec duckdb.Vector, n int) (rawVector, bool) {
	mv, ok := mappingVector(&vec)
	if !ok {
		return rawVector{}, false
	}
	typ, data, mask := vectorInfo(mv) // one cgo call (capi.go)
	rv := rawVector{typ: typ, data: data}
	if mask != nil {
		rv.mask = unsafe.Slice(mask, (n+63)/64)
	}
	return rv, rv.data != nil
}

var mappingVectorType = reflect.TypeOf(mapping.Vector{})

// vectorLayout is where duckdb.Vector keeps its mapping.Vector (Vector.v *vector,
// vector.vec mapping.Vector), found once by reflection, checking every type on the
// way; ok is false if duckdb-go's layout is not the one this adapter knows.
var vectorLayout = func() (l struct {
	ok          bool
	vOff, vecOf uintptr
}) {
	v, found := reflect.TypeOf(duckdb.Vector{}).FieldByName("v")
	if !found || v.Type.Kind() != reflect.Pointer || v.Type.Elem().Kind() != reflect.Struct {
		return l
	}
	vec, found := v.Type.Elem().FieldByName("vec")
	if !found || vec.Type != mappingVectorType || len(vec.Index) != 1 || len(v.Index) != 1 {
		return l
	}
	l.ok, l.vOff, l.vecOf = true, v.Offset, vec.Offset
	return l
}()

// mappingVector reads duckdb.Vector.v.vec at the offsets vectorLayout checked (no
// reflection per call: this runs once per column per chunk).
func mappingVector(vec *duckdb.Vector) (mapping.Vector, bool) {
	if !vectorLayout.ok {
		return mapping.Vector{}, false
	}
	p := *(*unsafe.Pointer)(unsafe.Add(unsafe.Pointer(vec), vectorLayout.vOff))
	if p == nil {
		return mapping.Vector{}, false
	}
	mv := *(*mapping.Vector)(unsafe.Add(p, vectorLayout.vecOf))
	return mv, mv.Ptr != nil
}

// nulls clears valid[r] for every NULL row.
func (rv rawVector) nulls(valid []bool) { duckvec.ClearNulls(rv.mask, valid) }

// isNull says whether row r is NULL.
func (rv rawVector) isNull(r int) bool { return !duckvec.Valid(rv.mask, r) }

// values views the data as n values of T; T must match the vector's type.
func values[T any](rv rawVector, n int) []T { return unsafe.Slice((*T)(rv.data), n) }

// rawNested is an ARRAY or LIST vector's child data, for FLOAT[k]/DOUBLE[k] inputs.
type rawNested struct {
	rawVector           // the ARRAY/LIST vector itself: its validity; its data for a LIST
	child     rawVector // the elements
	size      int       // ARRAY: elements per row; LIST: 0
}

// listEntry is DuckDB's duckdb_list_entry: one LIST row's elements in the child.
type listEntry struct{ offset, length uint64 }

// rawNestedOf returns vec's child data when vec is an ARRAY or LIST of n rows.
func rawNestedOf(vec duckdb.Vector, n int) (rawNested, bool) {
	mv, ok := mappingVector(&vec)
	if !ok {
		return rawNested{}, false
	}
	lt := mapping.VectorGetColumnType(mv)
	defer mapping.DestroyLogicalType(&lt)
	rn := rawNested{rawVector: rawVector{typ: mapping.GetTypeId(lt), data: mapping.VectorGetData(mv)}}
	if m := mapping.VectorGetValidity(mv); m != nil {
		rn.mask = unsafe.Slice((*uint64)(m), (n+63)/64)
	}
	var cv mapping.Vector
	var ct mapping.LogicalType
	var rows int
	switch rn.typ {
	case duckdb.TYPE_ARRAY:
		rn.size = int(mapping.ArrayTypeArraySize(lt))
		ct = mapping.ArrayTypeChildType(lt)
		cv = mapping.ArrayVectorGetChild(mv)
		rows = n * rn.size
	case duckdb.TYPE_LIST:
		ct = mapping.ListTypeChildType(lt)
		cv = mapping.ListVectorGetChild(mv)
		rows = int(mapping.ListVectorGetSize(mv))
	default:
		return rawNested{}, false
	}
	defer mapping.DestroyLogicalType(&ct)
	rn.child = rawVector{typ: mapping.GetTypeId(ct), data: mapping.VectorGetData(cv)}
	if m := mapping.VectorGetValidity(cv); m != nil {
		rn.child.mask = unsafe.Slice((*uint64)(m), (rows+63)/64)
	}
	return rn, rn.child.data != nil || rows == 0
}

// entries views a LIST vector's data as its n rows' entries.
func (rn rawNested) entries(n int) []listEntry { return values[listEntry](rn.rawVector, n) }
