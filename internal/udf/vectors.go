package udf

import (
	"fmt"
	"math"
	"math/big"

	"github.com/duckdb/duckdb-go/v2"
)

// vectorColumn is one input column of a DuckDB chunk, read for the inference core.
type vectorColumn struct {
	name  string
	chunk *duckdb.DataChunk
	idx   int // argument position in the chunk
}

func (v *vectorColumn) Name() string { return v.name }

// Strings borrows the column's strings from DuckDB: valid only during the call.
func (v *vectorColumn) Strings(dst []string, valid []bool) error {
	vec, err := v.chunk.GetVector(v.idx)
	if err != nil {
		return err
	}
	view, err := duckdb.GetVectorView[string](vec)
	if err != nil {
		return fmt.Errorf("column %q must be VARCHAR (%v); cast it (col::VARCHAR)", v.name, err)
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

func (v *vectorColumn) Float64s(dst []float64, valid []bool) error {
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

// Int64s reads an integer column exactly; other columns, and a UBIGINT or HUGEINT
// chunk holding a value beyond int64, return false (see models.Column), so that the
// input kind reads them through Float64s and rejects what does not fit.
func (v *vectorColumn) Int64s(dst []int64, valid []bool) (bool, error) {
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
		f, _ := new(big.Float).SetInt(x).Float64()
		return f, true
	case duckdb.Decimal:
		return x.Float64(), true
	case bool:
		if x {
			return 1, true
		}
		return 0, true
	}
	return 0, false
}
