package duckvec

import (
	"math/big"
	"testing"
)

// Pins: DECIMAL → float64 was float64(unscaled)/10^scale, one step off DuckDB's ::DOUBLE
// past 2^53. The wants are DuckDB 1.5's ::DOUBLE of the same decimals.
func TestDecimalsAsDuckDBCasts(t *testing.T) {
	hugeint := func(s string) Hugeint {
		v, _ := new(big.Int).SetString(s, 10)
		return hugeintOf(v)
	}
	for _, c := range []struct {
		unscaled string
		scale    int
		want     float64
	}{
		{"10000000000000000000000000000000000000", 37, 1},   // 1::DECIMAL(38,37)
		{"-10000000000000000000000000000000000000", 37, -1}, // -1::DECIMAL(38,37)
		{"1000000000000000000000000000000", 30, 1},          // 1::DECIMAL(38,30)
		{"30000000000000000000", 20, 0.3},                   // 0.3::DECIMAL(38,20)
		{"1234567890123456789", 2, 1.2345678901234568e16},   // 12345678901234567.89::DECIMAL(38,2)
		{"123456789012345678", 3, 1.2345678901234567e14},    // 123456789012345.678::DECIMAL(18,3)
		{"-123456789012345678", 3, -1.2345678901234567e14},
		{"12345", 2, 123.45},
	} {
		h := hugeint(c.unscaled)
		if got := h.Decimal(c.scale); got != c.want {
			t.Errorf("Hugeint %s scale %d: %v, want %v", c.unscaled, c.scale, got, c.want)
		}
		if v, ok := h.Int64(); ok {
			dst := []float64{0}
			Decimals(dst, []int64{v}, c.scale)
			if dst[0] != c.want {
				t.Errorf("int64 %s scale %d: %v, want %v", c.unscaled, c.scale, dst[0], c.want)
			}
		}
	}
	dst := make([]float64, 2)
	Decimals(dst, []int16{-12345, 5}, 4)
	Decimals(dst[1:], []int32{123456789}, 9)
	if dst[0] != -1.2345 || dst[1] != 0.123456789 {
		t.Errorf("int16, int32: %v", dst)
	}
}
