package models

import "fmt"

// Values is a Column over Go slices, for Go callers, tests and benchmarks: Strs for a
// text column, Nums for a float one, Ints for an integer one; Null marks NULL rows
// (nil: none).
type Values struct {
	ColName string
	Strs    []string
	Nums    []float64
	Ints    []int64
	Null    []bool
}

func (v *Values) Name() string { return v.ColName }

func (v *Values) Strings(dst []string, valid []bool) error {
	if v.Strs == nil {
		return fmt.Errorf("column %q must be text (VARCHAR)", v.ColName)
	}
	copy(dst, v.Strs)
	v.nulls(valid)
	return nil
}

func (v *Values) Float64s(dst []float64, valid []bool) error {
	switch {
	case v.Nums != nil:
		copy(dst, v.Nums)
	case v.Ints != nil:
		for r, x := range v.Ints[:len(dst)] {
			dst[r] = float64(x)
		}
	default:
		return fmt.Errorf("column %q must be numeric", v.ColName)
	}
	v.nulls(valid)
	return nil
}

func (v *Values) Int64s(dst []int64, valid []bool, _ func(int, string)) (bool, error) {
	if v.Ints == nil {
		if v.Nums == nil {
			return false, fmt.Errorf("column %q must be numeric", v.ColName)
		}
		return false, nil
	}
	copy(dst, v.Ints)
	v.nulls(valid)
	return true, nil
}

func (v *Values) nulls(valid []bool) {
	for r, null := range v.Null {
		if null && r < len(valid) {
			valid[r] = false
		}
	}
}

func (v *Values) ArrayFloat64s(dst []float64, k int, valid []bool) error {
	return fmt.Errorf("column %q must be an array of %d numbers; Values holds scalars only", v.ColName, k)
}
