package models

import "fmt"

// Values is a Column over Go slices, for Go callers, tests and benchmarks: Strs for a
// text column, Nums for a numeric one; Null marks NULL rows (nil: none).
type Values struct {
	ColName string
	Strs    []string
	Nums    []float64
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
	if v.Nums == nil {
		return fmt.Errorf("column %q must be numeric", v.ColName)
	}
	copy(dst, v.Nums)
	v.nulls(valid)
	return nil
}

func (v *Values) nulls(valid []bool) {
	for r, null := range v.Null {
		if null && r < len(valid) {
			valid[r] = false
		}
	}
}
