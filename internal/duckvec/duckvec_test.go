package duckvec

import (
	"math"
	"strings"
	"testing"
)

// Two's-complement halves, including the borrow from a zero lower half and values
// beyond 2^64, convert to the value they stand for, rounded as DuckDB rounds.
func TestHugeintFloat64(t *testing.T) {
	cases := []struct {
		h    Hugeint
		want float64
	}{
		{Hugeint{0, 0}, 0},
		{Hugeint{12345, 0}, 12345},
		{Hugeint{math.MaxUint64, -1}, -1},
		{Hugeint{math.MaxUint64 - 9, -1}, -10},
		{Hugeint{0, -1}, -0x1p64},   // lower half 0: the borrow moves into the upper half
		{Hugeint{0, 3}, 3 * 0x1p64}, // beyond uint64
		{Hugeint{1 << 63, 0}, 0x1p63},
		{Hugeint{0, math.MinInt64}, -0x1p127},
		// -(2^64+2049): DuckDB's ::DOUBLE rounds each half, then the sum, and gives
		// -2^64, not the nearest float64 -(2^64+4096); both bindings must agree with it.
		{Hugeint{math.MaxUint64 - 2048, -2}, -0x1p64},
	}
	for _, c := range cases {
		if got := c.h.Float64(); got != c.want {
			t.Errorf("%+v.Float64() = %g, want %g", c.h, got, c.want)
		}
	}
}

func TestWiden(t *testing.T) {
	dst := make([]float64, 3)
	Widen(dst, []int8{-128, 0, 127})
	if dst[0] != -128 || dst[1] != 0 || dst[2] != 127 {
		t.Errorf("Widen(int8) = %v", dst)
	}
	ints := make([]int64, 2)
	Widen(ints, []uint32{math.MaxUint32, 7})
	if ints[0] != math.MaxUint32 || ints[1] != 7 {
		t.Errorf("Widen(uint32) = %v", ints)
	}
}

// ClearNulls and Valid read DuckDB's validity mask the same way: bit r%64 of word
// r/64 set means valid; rows past len(valid) and a nil mask change nothing.
func TestValidityMask(t *testing.T) {
	mask := []uint64{^uint64(0) &^ (1 << 3), ^uint64(0), ^uint64(0) &^ (1<<0 | 1<<63)}
	valid := make([]bool, 150) // the last word reaches past the rows
	for r := range valid {
		valid[r] = true
	}
	ClearNulls(mask, valid)
	for r, ok := range valid {
		if want := r != 3 && r != 128; ok != want || Valid(mask, r) != want {
			t.Errorf("row %d: ClearNulls kept %v, Valid %v; want %v", r, ok, Valid(mask, r), want)
		}
	}
	ClearNulls(nil, valid[:1])
	if !valid[0] || !Valid(nil, 7) {
		t.Error("a nil mask marked a row NULL")
	}
}

// CheckPacked lets through what 32-bit end offsets can address and refuses one byte
// more, with the way out.
func TestCheckPacked(t *testing.T) {
	for _, ok := range []int{0, 1, math.MaxUint32} {
		if err := CheckPacked(ok); err != nil {
			t.Errorf("CheckPacked(%d) = %v", ok, err)
		}
	}
	err := CheckPacked(math.MaxUint32 + 1)
	if err == nil || !strings.Contains(err.Error(), "probabilities := true") {
		t.Fatalf("CheckPacked(2^32) = %v, want a refusal that names probabilities := true", err)
	}
}

// Int64 gives a 128-bit value when, and only when, int64 holds it.
func TestWideInt64(t *testing.T) {
	for _, c := range []struct {
		h    Hugeint
		want int64
		ok   bool
	}{
		{Hugeint{5, 0}, 5, true}, {Hugeint{^uint64(0), -1}, -1, true},
		{Hugeint{1 << 63, -1}, math.MinInt64, true}, {Hugeint{1<<63 - 1, 0}, math.MaxInt64, true},
		{Hugeint{1 << 63, 0}, 0, false}, {Hugeint{1<<63 - 1, -1}, 0, false}, {Hugeint{0, 1}, 0, false},
	} {
		if got, ok := c.h.Int64(); ok != c.ok || (ok && got != c.want) {
			t.Errorf("%+v.Int64() = %d, %v", c.h, got, ok)
		}
	}
	for _, c := range []struct {
		u    Uhugeint
		want int64
		ok   bool
	}{{Uhugeint{7, 0}, 7, true}, {Uhugeint{1<<63 - 1, 0}, math.MaxInt64, true}, {Uhugeint{1 << 63, 0}, 0, false}, {Uhugeint{0, 1}, 0, false}} {
		if got, ok := c.u.Int64(); ok != c.ok || (ok && got != c.want) {
			t.Errorf("%+v.Int64() = %d, %v", c.u, got, ok)
		}
	}
	if got := (Uhugeint{3, 1}).Float64(); got != 0x1p64+3 {
		t.Errorf("Uhugeint Float64 = %v", got)
	}
}
