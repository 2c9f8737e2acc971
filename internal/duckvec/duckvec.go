// Package duckvec holds what both DuckDB bindings (internal/udf over duckdb-go,
// internal/capi over the C extension API) need to read a vector's raw data and write
// ml_infer's result: DuckDB's in-memory value layouts and the loops over them (widening,
// strings, a VARCHAR chunk's distinct values), and (classes.c, declared in duckvec.h for
// their C code) the one loop that writes a chunk's class labels and confidences. It knows nothing of how a binding reaches the
// data.
package duckvec

import (
	"math"
	"math/big"
	"strconv"
)

// Hugeint is DuckDB's duckdb_hugeint: a two's-complement 128-bit integer (HUGEINT, and
// the storage of DECIMAL(38, s)).
type Hugeint struct {
	Lower uint64
	Upper int64
}

// Float64 converts h as DuckDB's own cast to DOUBLE does, so that both bindings give
// what SQL's ::DOUBLE gives: each half is rounded to float64, then their sum, so beyond
// 2^53 the result can be one step from the nearest float64 (exact up to 2^53).
func (h Hugeint) Float64() float64 {
	if h.Upper == -1 {
		// DuckDB's case for small negatives: -(2^64-1 - lower) - 1.
		return -float64(math.MaxUint64-h.Lower) - 1
	}
	return float64(h.Lower) + float64(h.Upper)*0x1p64
}

// String is h in decimal, for messages.
func (h Hugeint) String() string {
	v := new(big.Int).Lsh(big.NewInt(h.Upper), 64)
	return v.Add(v, new(big.Int).SetUint64(h.Lower)).String()
}

// Int64 is h when it fits an int64.
func (h Hugeint) Int64() (int64, bool) {
	v := int64(h.Lower)
	// It fits when the upper half is the sign extension of the lower.
	return v, h.Upper == v>>63
}

// Uhugeint is DuckDB's duckdb_uhugeint: an unsigned 128-bit integer (UHUGEINT).
type Uhugeint struct {
	Lower, Upper uint64
}

// Float64 converts u as DuckDB's own cast to DOUBLE does: each half rounded, then
// their sum (exact up to 2^53; see Hugeint.Float64).
func (u Uhugeint) Float64() float64 { return float64(u.Lower) + float64(u.Upper)*0x1p64 }

// String is u in decimal, for messages.
func (u Uhugeint) String() string {
	v := new(big.Int).Lsh(new(big.Int).SetUint64(u.Upper), 64)
	return v.Add(v, new(big.Int).SetUint64(u.Lower)).String()
}

// Int64 is u when it fits an int64.
func (u Uhugeint) Int64() (int64, bool) {
	return int64(u.Lower), u.Upper == 0 && u.Lower <= 1<<63-1
}

// Ubigint is DuckDB's UBIGINT, read as Narrow reads the 128-bit integers.
type Ubigint uint64

func (u Ubigint) String() string { return strconv.FormatUint(uint64(u), 10) }

// Int64 is u as an int64, and whether it fits.
func (u Ubigint) Int64() (int64, bool) { return int64(u), u <= math.MaxInt64 }

// Narrow reads UBIGINT and 128-bit integers (Ubigint, Hugeint, Uhugeint) into dst exactly, handing each
// non-NULL one (by mask) that does not fit int64 to beyond with its exact text: that
// row fails alone, whatever its neighbours hold.
func Narrow[T interface {
	Int64() (int64, bool)
	String() string
}](dst []int64, src []T, mask []uint64, beyond func(r int, text string)) {
	for r, x := range src {
		i, ok := x.Int64()
		if !ok && Valid(mask, r) {
			beyond(r, x.String())
		}
		dst[r] = i
	}
}

// Widen converts src element by element into dst (len(dst) >= len(src)).
func Widen[D int64 | float64, S int8 | int16 | int32 | int64 | uint8 | uint16 | uint32 | uint64 | float32 | float64](dst []D, src []S) {
	for i, x := range src {
		dst[i] = D(x)
	}
}
