package udf

import (
	"fmt"
	"math"
	"math/big"
	"strconv"
	"unsafe"

	"github.com/duckdb/duckdb-go/v2"
	"github.com/duckdb/duckdb-go/v2/mapping"

	"github.com/duckinfer/duckinfer/internal/duckvec"
)

// vectorColumn is one input column of a DuckDB chunk, read for the inference core.
type vectorColumn struct {
	name  string
	chunk *duckdb.DataChunk
	idx   int // argument position in the chunk

	slowReads bool // read value by value (BenchmarkNumericGather's baseline)
}

func (v *vectorColumn) Name() string { return v.name }

// Strings borrows the column's strings from DuckDB: valid only during the call. A
// VARCHAR column is read straight from its duckdb_string_t array (vectorstrings.go);
// other types (and slowReads) go through duckdb-go's view, which names the type.
func (v *vectorColumn) Strings(dst []string, valid []bool) error {
	if rv, ok := v.raw(len(dst)); ok && rv.typ == duckdb.TYPE_VARCHAR {
		duckvec.ReadStrings(rv.data, rv.mask, dst, valid)
		return nil
	}
	vec, err := v.chunk.GetVector(v.idx)
	if err != nil {
		return err
	}
	view, err := duckdb.GetVectorView[string](vec)
	if err != nil {
		// The extension's words (capi/vectors.go), not duckdb-go's view error; the
		// core appends what to do (Call.ColumnHint).
		if typ, _, known := v.columnType(); known {
			return fmt.Errorf("column %q must be VARCHAR, not %s", v.name, sqlTypeName(typ))
		}
		return fmt.Errorf("column %q must be VARCHAR (%v)", v.name, err)
	}
	for r := range dst {
		s, ok, _ := view.GetValueBorrowed(r)
		dst[r] = s
		if !ok {
			valid[r] = false
		}
	}
	return nil
}

// Float64s reads numeric columns straight from DuckDB's vector data.
func (v *vectorColumn) Float64s(dst []float64, valid []bool) error {
	rv, ok := v.raw(len(dst))
	if !ok {
		if typ, _, known := v.columnType(); known && !isNumeric(typ) {
			return v.notNumeric(typ)
		}
		return v.float64sPerValue(dst, valid)
	}
	n := len(dst)
	switch rv.typ {
	case duckdb.TYPE_DOUBLE:
		copy(dst, values[float64](rv, n))
	case duckdb.TYPE_FLOAT:
		duckvec.Widen(dst, values[float32](rv, n))
	case duckdb.TYPE_BIGINT:
		duckvec.Widen(dst, values[int64](rv, n))
	case duckdb.TYPE_INTEGER:
		duckvec.Widen(dst, values[int32](rv, n))
	case duckdb.TYPE_SMALLINT:
		duckvec.Widen(dst, values[int16](rv, n))
	case duckdb.TYPE_TINYINT:
		duckvec.Widen(dst, values[int8](rv, n))
	case duckdb.TYPE_UBIGINT:
		duckvec.Widen(dst, values[uint64](rv, n))
	case duckdb.TYPE_UINTEGER:
		duckvec.Widen(dst, values[uint32](rv, n))
	case duckdb.TYPE_USMALLINT:
		duckvec.Widen(dst, values[uint16](rv, n))
	case duckdb.TYPE_UTINYINT:
		duckvec.Widen(dst, values[uint8](rv, n))
	case duckdb.TYPE_BOOLEAN:
		for r, b := range values[bool](rv, n) {
			dst[r] = 0
			if b {
				dst[r] = 1
			}
		}
	case duckdb.TYPE_DECIMAL:
		if !v.decimals(dst) {
			return v.float64sPerValue(dst, valid)
		}
	case duckdb.TYPE_HUGEINT:
		// Rounded as the extension and DuckDB's own ::DOUBLE round (duckvec).
		for r, x := range values[duckvec.Hugeint](rv, n) {
			dst[r] = x.Float64()
		}
	case duckdb.TYPE_UHUGEINT:
		for r, x := range values[duckvec.Uhugeint](rv, n) {
			dst[r] = x.Float64()
		}
	default:
		return v.notNumeric(rv.typ)
	}
	rv.nulls(valid)
	return nil
}

// decimals reads a DECIMAL column from its integer data (int16 to 128-bit), scaled as
// DuckDB's own cast to DOUBLE does (duckvec.Decimals). A literal such as i * 0.1 is a
// wide DECIMAL, stored as 128 bits, so that case matters as much as the narrow ones.
func (v *vectorColumn) decimals(dst []float64) bool {
	vec, err := v.chunk.GetVector(v.idx)
	if err != nil {
		return false
	}
	mv, ok := mappingVector(&vec)
	if !ok {
		return false
	}
	lt := mapping.VectorGetColumnType(mv)
	defer mapping.DestroyLogicalType(&lt)
	scale := int(mapping.DecimalScale(lt))
	rv := rawVector{data: mapping.VectorGetData(mv)}
	n := len(dst)
	switch mapping.DecimalInternalType(lt) {
	case duckdb.TYPE_SMALLINT:
		duckvec.Decimals(dst, values[int16](rv, n), scale)
	case duckdb.TYPE_INTEGER:
		duckvec.Decimals(dst, values[int32](rv, n), scale)
	case duckdb.TYPE_BIGINT:
		duckvec.Decimals(dst, values[int64](rv, n), scale)
	case duckdb.TYPE_HUGEINT:
		duckvec.Decimals(dst, values[duckvec.Hugeint](rv, n), scale)
	default:
		return false
	}
	return true
}

// Float32s reads a FLOAT column as it is (see models.Float32Column).
func (v *vectorColumn) Float32s(dst []float32, valid []bool) (bool, error) {
	rv, ok := v.raw(len(dst))
	if !ok || rv.typ != duckdb.TYPE_FLOAT {
		return false, nil
	}
	copy(dst, values[float32](rv, len(dst)))
	rv.nulls(valid)
	return true, nil
}

// Int64s reads an integer column exactly, handing each value beyond int64 to beyond;
// other columns return false (see models.Column), so that the input kind reads them
// through Float64s and rejects what does not fit.
func (v *vectorColumn) Int64s(dst []int64, valid []bool, beyond func(r int, v string)) (bool, error) {
	rv, ok := v.raw(len(dst))
	if !ok {
		if typ, _, known := v.columnType(); known && !isNumeric(typ) {
			return false, v.notNumeric(typ)
		}
		return v.int64sPerValue(dst, valid, beyond)
	}
	n := len(dst)
	switch rv.typ {
	case duckdb.TYPE_BIGINT:
		copy(dst, values[int64](rv, n))
	case duckdb.TYPE_INTEGER:
		duckvec.Widen(dst, values[int32](rv, n))
	case duckdb.TYPE_SMALLINT:
		duckvec.Widen(dst, values[int16](rv, n))
	case duckdb.TYPE_TINYINT:
		duckvec.Widen(dst, values[int8](rv, n))
	case duckdb.TYPE_UINTEGER:
		duckvec.Widen(dst, values[uint32](rv, n))
	case duckdb.TYPE_USMALLINT:
		duckvec.Widen(dst, values[uint16](rv, n))
	case duckdb.TYPE_UTINYINT:
		duckvec.Widen(dst, values[uint8](rv, n))
	case duckdb.TYPE_UBIGINT:
		duckvec.Narrow(dst, values[duckvec.Ubigint](rv, n), rv.mask, beyond)
	case duckdb.TYPE_BOOLEAN:
		for r, b := range values[bool](rv, n) {
			dst[r] = 0
			if b {
				dst[r] = 1
			}
		}
	case duckdb.TYPE_HUGEINT:
		duckvec.Narrow(dst, values[duckvec.Hugeint](rv, n), rv.mask, beyond)
	case duckdb.TYPE_UHUGEINT:
		duckvec.Narrow(dst, values[duckvec.Uhugeint](rv, n), rv.mask, beyond)
	case duckdb.TYPE_DOUBLE, duckdb.TYPE_FLOAT, duckdb.TYPE_DECIMAL:
		return false, nil
	default:
		return false, v.notNumeric(rv.typ)
	}
	rv.nulls(valid)
	return true, nil
}

// ArrayFloat64s reads a numeric ARRAY or LIST column, k values per row (see
// models.Column).
func (v *vectorColumn) ArrayFloat64s(dst []float64, k int, valid []bool) error {
	n := len(valid)
	vec, err := v.chunk.GetVector(v.idx)
	if err != nil {
		return err
	}
	// The extension's words for a column of the wrong type (capi/vectors.go). The raw
	// read already has the types; only a column it cannot read is asked for them.
	rn, ok := rawNestedOf(vec, n)
	typ, elemTyp, known := rn.typ, rn.child.typ, ok
	if !ok {
		typ, elemTyp, known = v.columnType()
	}
	if known {
		if typ != duckdb.TYPE_ARRAY && typ != duckdb.TYPE_LIST {
			return duckvec.NotArrayError(v.name, k, sqlTypeName(typ))
		}
		if !isNumeric(elemTyp) {
			return duckvec.NotNumbersError(v.name, sqlTypeName(elemTyp))
		}
	}
	if !ok || v.slowReads {
		return v.arrayPerValue(dst, k, valid)
	}
	if rn.size != 0 && rn.size != k {
		return fmt.Errorf("column %q holds %d values per row (an ARRAY of %d), but the model input takes %d; pick or build an array of %d", v.name, rn.size, rn.size, k, k)
	}
	var elem func(i int) float64
	switch rn.child.typ {
	case duckdb.TYPE_FLOAT:
		x := values[float32](rn.child, max(1, len(dst)))
		elem = func(i int) float64 { return float64(x[i]) }
	case duckdb.TYPE_DOUBLE:
		x := values[float64](rn.child, max(1, len(dst)))
		elem = func(i int) float64 { return x[i] }
	default:
		return v.arrayPerValue(dst, k, valid)
	}
	var ents []listEntry
	if rn.size == 0 {
		ents = rn.entries(n)
	}
	for r := range n {
		if rn.isNull(r) {
			valid[r] = false
			continue
		}
		off := r * k
		if ents != nil {
			if int(ents[r].length) != k {
				return duckvec.ListLengthError(v.name, ents[r].length, r, k)
			}
			off = int(ents[r].offset)
		}
		if rn.size == 0 {
			// A LIST's child holds every row's elements: view it by offset.
			x := rn.child
			for j := range k {
				if x.mask != nil && x.isNull(off+j) {
					valid[r] = false
					break
				}
				switch x.typ {
				case duckdb.TYPE_FLOAT:
					dst[r*k+j] = float64(*(*float32)(unsafe.Add(x.data, 4*(off+j))))
				default:
					dst[r*k+j] = *(*float64)(unsafe.Add(x.data, 8*(off+j)))
				}
			}
			continue
		}
		for j := range k {
			if rn.child.isNull(off + j) {
				valid[r] = false
				break
			}
			dst[r*k+j] = elem(off + j)
		}
	}
	return nil
}

// arrayPerValue reads an ARRAY or LIST column value by value.
func (v *vectorColumn) arrayPerValue(dst []float64, k int, valid []bool) error {
	for r := range valid {
		x, err := v.chunk.GetValue(v.idx, r)
		if err != nil {
			return err
		}
		if x == nil {
			valid[r] = false
			continue
		}
		var list []any
		switch l := x.(type) {
		case []any:
			list = l
		case duckdb.Composite[[]any]:
			list = l.Get()
		default:
			return fmt.Errorf("column %q must be a FLOAT[%d] or DOUBLE[%d] array (or a list), got %T; the model input takes %d values per row", v.name, k, k, x, k)
		}
		if len(list) != k {
			return duckvec.ListLengthError(v.name, uint64(len(list)), r, k)
		}
		for j, e := range list {
			if e == nil {
				valid[r] = false
				break
			}
			f, ok := toFloat64(e)
			if !ok {
				return fmt.Errorf("column %q holds %T values; it must be an array of numbers", v.name, e)
			}
			dst[r*k+j] = f
		}
	}
	return nil
}

// raw returns the column's raw vector, unless slowReads or the adapter says no.
func (v *vectorColumn) raw(n int) (rawVector, bool) {
	if v.slowReads {
		return rawVector{}, false
	}
	vec, err := v.chunk.GetVector(v.idx)
	if err != nil {
		return rawVector{}, false
	}
	return rawVectorOf(vec, n)
}

// columnType is the column's DuckDB type id and, for an ARRAY or LIST, its element's
// (0 otherwise); known is false when the adapter cannot reach the vector.
func (v *vectorColumn) columnType() (typ, elem duckdb.Type, known bool) {
	vec, err := v.chunk.GetVector(v.idx)
	if err != nil {
		return 0, 0, false
	}
	mv, ok := mappingVector(&vec)
	if !ok {
		return 0, 0, false
	}
	lt := mapping.VectorGetColumnType(mv)
	defer mapping.DestroyLogicalType(&lt)
	var ct mapping.LogicalType
	switch typ = mapping.GetTypeId(lt); typ {
	case duckdb.TYPE_ARRAY:
		ct = mapping.ArrayTypeChildType(lt)
	case duckdb.TYPE_LIST:
		ct = mapping.ListTypeChildType(lt)
	default:
		return typ, 0, true
	}
	defer mapping.DestroyLogicalType(&ct)
	return typ, mapping.GetTypeId(ct), true
}

// isNumeric says whether a column of type t can feed a numeric input.
func isNumeric(t duckdb.Type) bool {
	switch t {
	case duckdb.TYPE_BOOLEAN, duckdb.TYPE_TINYINT, duckdb.TYPE_SMALLINT, duckdb.TYPE_INTEGER, duckdb.TYPE_BIGINT,
		duckdb.TYPE_UTINYINT, duckdb.TYPE_USMALLINT, duckdb.TYPE_UINTEGER, duckdb.TYPE_UBIGINT, duckdb.TYPE_HUGEINT,
		duckdb.TYPE_UHUGEINT, duckdb.TYPE_FLOAT, duckdb.TYPE_DOUBLE, duckdb.TYPE_DECIMAL:
		return true
	}
	return false
}

func (v *vectorColumn) notNumeric(t duckdb.Type) error {
	return fmt.Errorf("column %q must be numeric, not %s", v.name, sqlTypeName(t))
}

// sqlTypeName names a DuckDB type for messages, as the loadable extension does.
func sqlTypeName(t duckdb.Type) string { return duckvec.TypeName(int(t)) }

// float64sPerValue is the value-by-value read: the fallback, and the baseline of
// BenchmarkNumericGather.
func (v *vectorColumn) float64sPerValue(dst []float64, valid []bool) error {
	for r := range dst {
		x, err := v.chunk.GetValue(v.idx, r)
		if err != nil {
			return err
		}
		if x == nil {
			valid[r] = false
			continue
		}
		f, ok := toFloat64(x)
		if !ok {
			return fmt.Errorf("column %q must be numeric, got %T", v.name, x)
		}
		dst[r] = f
	}
	return nil
}

func (v *vectorColumn) int64sPerValue(dst []int64, valid []bool, beyond func(int, string)) (bool, error) {
	for r := range dst {
		x, err := v.chunk.GetValue(v.idx, r)
		if err != nil {
			return false, err
		}
		if x == nil {
			valid[r] = false // NULL whatever the type, so clearing it early is harmless
			continue
		}
		i, ok := toInt64(x)
		if !ok {
			switch w := x.(type) {
			case uint64: // UBIGINT beyond int64
				beyond(r, strconv.FormatUint(w, 10))
				continue
			case *big.Int: // HUGEINT or UHUGEINT beyond int64
				beyond(r, w.String())
				continue
			}
			if _, num := toFloat64(x); !num {
				return false, fmt.Errorf("column %q must be numeric, got %T", v.name, x)
			}
			return false, nil
		}
		dst[r] = i
	}
	return true, nil
}

// toInt64 converts a SQL value of an integer type that int64 holds exactly.
func toInt64(v any) (int64, bool) {
	switch x := v.(type) {
	case int8:
		return int64(x), true
	case int16:
		return int64(x), true
	case int32:
		return int64(x), true
	case int64:
		return x, true
	case uint8:
		return int64(x), true
	case uint16:
		return int64(x), true
	case uint32:
		return int64(x), true
	case uint64:
		return int64(x), x <= math.MaxInt64
	case *big.Int:
		return x.Int64(), x.IsInt64()
	case bool:
		if x {
			return 1, true
		}
		return 0, true
	}
	return 0, false
}

// bigFloat64 converts a HUGEINT or UHUGEINT value as duckvec does (and so as the
// extension and DuckDB's own ::DOUBLE do), not correctly rounded as big.Float would.
func bigFloat64(x *big.Int) float64 {
	if x.Sign() < 0 {
		// Two's complement over 128 bits, as DuckDB stores a HUGEINT.
		u := new(big.Int).Add(x, new(big.Int).Lsh(big.NewInt(1), 128))
		lo := new(big.Int).And(u, new(big.Int).SetUint64(math.MaxUint64)).Uint64()
		return duckvec.Hugeint{Lower: lo, Upper: int64(new(big.Int).Rsh(u, 64).Uint64())}.Float64()
	}
	lo := new(big.Int).And(x, new(big.Int).SetUint64(math.MaxUint64)).Uint64()
	return duckvec.Uhugeint{Lower: lo, Upper: new(big.Int).Rsh(x, 64).Uint64()}.Float64()
}

// toFloat64 converts a numeric SQL value; the input kind checks it fits the model.
func toFloat64(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case float32:
		return float64(x), true
	case int8:
		return float64(x), true
	case int16:
		return float64(x), true
	case int32:
		return float64(x), true
	case int64:
		return float64(x), true
	case uint8:
		return float64(x), true
	case uint16:
		return float64(x), true
	case uint32:
		return float64(x), true
	case uint64:
		return float64(x), true
	case *big.Int:
		return bigFloat64(x), true
	case duckdb.Decimal:
		return duckvec.BigDecimal(x.Value, int(x.Scale)), true
	case bool:
		if x {
			return 1, true
		}
		return 0, true
	}
	return 0, false
}
