package models

import (
	"fmt"
	"math"

	ort "github.com/yalue/onnxruntime_go"
)

// float32Input feeds k numeric columns (any integer, float or DECIMAL type) as a
// [N, k] float tensor. NaN, ±Inf and values beyond float32's range are unusable rows.
type float32Input struct{}

func (float32Input) Validate(spec InputSpec) error {
	if len(spec.Columns) == 0 {
		return fmt.Errorf(`type "float32" needs at least one column`)
	}
	return nil
}

func (float32Input) CheckModel(spec InputSpec, info ort.InputOutputInfo) error {
	if info.DataType != ort.TensorElementDataTypeFloat {
		return fmt.Errorf("model input %q holds %s, but task.json declares type %q", spec.Name, info.DataType, spec.Type)
	}
	if d := info.Dimensions; len(d) == 2 && d[1] > 0 && int(d[1]) != len(spec.Columns) {
		return fmt.Errorf("model input %q takes %d features, but task.json maps %d columns to it", spec.Name, d[1], len(spec.Columns))
	}
	return nil
}

func (float32Input) NewData(spec InputSpec) InputData { return &float32Data{k: len(spec.Columns)} }

type float32Data struct {
	k    int
	vals []float32 // row-major, k per row
	col  []float64 // one column of a chunk, before conversion
}

func (d *float32Data) Load(cols []Column, n int, valid []bool, bad func(int, error)) error {
	d.vals = grow(d.vals, n*d.k)
	d.col = grow(d.col, n)
	for j, c := range cols {
		if err := c.Float64s(d.col, valid); err != nil {
			return err
		}
		for r, x := range d.col {
			if !valid[r] {
				continue
			}
			if math.IsNaN(x) || math.IsInf(x, 0) || math.Abs(x) > math.MaxFloat32 {
				valid[r] = false
				bad(r, fmt.Errorf("column %q holds %v at row %d of its chunk, which is not a finite float32", c.Name(), x, r))
				continue
			}
			d.vals[r*d.k+j] = float32(x)
		}
	}
	return nil
}

func (d *float32Data) Compact(rows []int) {
	k := d.k
	for b, r := range rows {
		copy(d.vals[b*k:(b+1)*k], d.vals[r*k:(r+1)*k])
	}
	d.vals = d.vals[:len(rows)*k]
}

func (d *float32Data) Tensor(lo, hi int) (ort.Value, error) {
	t, err := ort.NewTensor(ort.NewShape(int64(hi-lo), int64(d.k)), d.vals[lo*d.k:hi*d.k])
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInput, err)
	}
	return t, nil
}

func (d *float32Data) Preview(i int) string {
	return fmt.Sprintf("%q", fmt.Sprint(d.vals[i*d.k:(i+1)*d.k]))
}
