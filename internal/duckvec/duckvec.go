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

// doublePow10 is 10^0..10^38 as float64 literals (DuckDB's DOUBLE_POWERS_OF_TEN):
// math.Pow10 builds the large ones from two factors and may land one step off.
var doublePow10 = [...]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10,
	1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22, 1e23, 1e24,
	1e25, 1e26, 1e27, 1e28, 1e29, 1e30, 1e31, 1e32, 1e33, 1e34, 1e35, 1e36, 1e37, 1e38}

// maxExact is 2^53: integers up to it in magnitude are exact as float64.
const maxExact = 1 << 53

// Decimals writes DECIMAL values (src: their unscaled integers, scale 0..38) into dst
// as DuckDB's own ::DOUBLE gives them: unscaled / 10^scale while the unscaled value is
// exact as a float64 (|v| <= 2^53), else the whole part plus the fraction, each
// converted alone, so that 1::DECIMAL(38,37) is 1, not 0.9999999999999999.
func Decimals[T int16 | int32 | int64 | Hugeint](dst []float64, src []T, scale int) {
	switch s := any(src).(type) {
	case []int16:
		decimalInts(dst, s, scale)
	case []int32:
		decimalInts(dst, s, scale)
	case []int64:
		decimalInts(dst, s, scale)
	case []Hugeint:
		for r, h := range s {
			dst[r] = h.Decimal(scale)
		}
	}
}

func decimalInts[T int16 | int32 | int64](dst []float64, src []T, scale int) {
	div := doublePow10[scale]
	for r, x := range src {
		v := int64(x)
		if (v <= maxExact && v >= -maxExact) || scale == 0 {
			dst[r] = float64(v) / div
			continue
		}
		// An int64 DECIMAL has at most 18 digits: 10^scale fits.
		p := int64(1)
		for range scale {
			p *= 10
		}
		dst[r] = float64(v/p) + float64(v%p)/div
	}
}

// Decimal is h, the unscaled integer of a DECIMAL of the given scale (0..38), as
// DuckDB's ::DOUBLE gives it (see Decimals).
func (h Hugeint) Decimal(scale int) float64 {
	if scale < 0 || scale >= len(doublePow10) {
		// Not a DuckDB DECIMAL (Arrow allows a negative scale): the plain quotient.
		return h.Float64() / math.Pow10(scale)
	}
	div := doublePow10[scale]
	if v, ok := h.Int64(); scale == 0 || (ok && v <= maxExact && v >= -maxExact) {
		return h.Float64() / div
	}
	// Past 2^53 (rare): truncated division, as DuckDB's hugeint / and %.
	v := new(big.Int).Lsh(big.NewInt(h.Upper), 64)
	v.Add(v, new(big.Int).SetUint64(h.Lower))
	q, m := v.QuoRem(v, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(scale)), nil), new(big.Int))
	return hugeintOf(q).Float64() + hugeintOf(m).Float64()/div
}

// BigDecimal is the DECIMAL of unscaled integer v (which fits 128 bits, as every
// DuckDB DECIMAL's does) and the given scale as DuckDB's ::DOUBLE gives it: for values
// a binding reads one by one (duckdb-go's Decimal), whose own Float64 rounds the exact
// quotient instead.
func BigDecimal(v *big.Int, scale int) float64 { return hugeintOf(v).Decimal(scale) }

// hugeintOf is v (which fits 128 bits) as a Hugeint.
func hugeintOf(v *big.Int) Hugeint {
	mask := new(big.Int).SetUint64(math.MaxUint64)
	lo := new(big.Int).And(v, mask) // two's complement: And works on negatives too
	hi := new(big.Int).Rsh(v, 64)   // arithmetic shift: floor, the upper half
	return Hugeint{Lower: lo.Uint64(), Upper: hi.Int64()}
}
