package models

import (
	"fmt"
	"math"

	ort "github.com/yalue/onnxruntime_go"
)

// regressOutput reads a numeric model output, float32 or float64: [N] or [N, 1] is one
// value per row, [N, m] is m. A row whose values hold a NaN or ±Inf has no result.
type regressOutput struct{}

func (regressOutput) Validate(c *Config) error {
	if c.Output == "" {
		return fmt.Errorf(`"output" (the model output holding the predicted values) is missing`)
	}
	if len(c.Labels) > 0 {
		return fmt.Errorf(`"labels" is for "kind": "classify"; a regress task predicts numbers, remove "labels"`)
	}
	if c.Scores != "" {
		return fmt.Errorf(`"scores" is for "kind": "classify"; remove it from a regress task`)
	}
	return nil
}

func (regressOutput) CheckModel(c *Config, o ort.InputOutputInfo) error {
	if o.OrtValueType != ort.ONNXTypeTensor {
		return fmt.Errorf("model output %q is %s, not a tensor of predicted values; name the model's numeric output in \"output\"", o.Name, valueTypeName(o.OrtValueType))
	}
	if o.DataType != ort.TensorElementDataTypeFloat && o.DataType != ort.TensorElementDataTypeDouble {
		return fmt.Errorf("model output %q holds %s; a regress task reads float32 or float64 values; cast the output inside the model", o.Name, elemName(o.DataType))
	}
	if d := o.Dimensions; len(d) > 2 || (len(d) == 2 && d[1] == 0) {
		return fmt.Errorf("model output %q has shape %v; a regress task reads [N] (one value per row) or [N, m]", o.Name, []int64(d))
	}
	return nil
}

// RegressWidth is the number of values per row a regress task's model declares: 1 for
// [N] or [N, 1], m for [N, m], 0 when the model leaves it open.
func RegressWidth(o ort.InputOutputInfo) int {
	switch d := o.Dimensions; {
	case len(d) <= 1:
		return 1
	case d[1] > 0:
		return int(d[1])
	}
	return 0
}

func (regressOutput) NewData(*Config) OutputData { return &RegressData{} }

// RegressData holds, per row, Width predicted values (row-major in Values).
type RegressData struct {
	Width    int // values per row; set by the first Decode
	Values   []float64
	ok       []bool
	declared int // the model's declared values per row (Task.OutputWidth; 0: open)
}

func (*RegressData) decodesScalar() bool { return true }

func (d *RegressData) Reset(n int) {
	d.ok = grow(d.ok, n)
	if d.Width > 0 {
		d.Values = grow(d.Values, n*d.Width)
	}
}

func (d *RegressData) Decode(v ort.Value, lo, hi int) error {
	var vals []float64
	switch out := v.(type) {
	case *ort.Tensor[float32]:
		for _, x := range out.GetData() {
			vals = append(vals, float64(x))
		}
	case *ort.Tensor[float64]:
		vals = out.GetData()
	case *ort.Scalar[float32]:
		vals = []float64{float64(out.GetData())}
	case *ort.Scalar[float64]:
		vals = []float64{out.GetData()}
	default:
		return fmt.Errorf("%w: the output is not a float32 or float64 tensor", ErrModel)
	}
	s := v.(interface{ GetShape() ort.Shape }).GetShape()
	w := 1
	if len(s) == 2 {
		w = int(s[1])
	}
	// A squeezed [N] output gives a scalar for a one-row batch: that row's value.
	scalar := len(s) == 0 && hi-lo == 1
	if !scalar && (len(s) == 0 || len(s) > 2 || s[0] != int64(hi-lo) || w < 1) {
		return fmt.Errorf("%w: the output has shape %v, want [%d] or [%d, m] (rows × values)", ErrModel, s, hi-lo, hi-lo)
	}
	if d.declared > 0 && w != d.declared {
		// The result column's type was fixed at bind by the declared width: another
		// width cannot fit it.
		return fmt.Errorf("%w: the output has %d values per row (shape %v), but the model declares %d (an output of unknown rank counts as one value per row), which fixed the result's type; re-export the model with the output's shape declared as [N, %d]", ErrModel, w, s, d.declared, w)
	}
	if d.Width == 0 {
		d.Width = w
		d.Values = grow(d.Values, len(d.ok)*w)
	} else if w != d.Width {
		return fmt.Errorf("%w: the output has %d values per row here and %d before; the model must give a fixed number", ErrModel, w, d.Width)
	}
	for r := lo; r < hi; r++ {
		row := vals[(r-lo)*w : (r-lo+1)*w]
		copy(d.Values[r*w:(r+1)*w], row)
		d.ok[r] = true
		for _, x := range row {
			if math.IsNaN(x) || math.IsInf(x, 0) {
				d.ok[r] = false
			}
		}
	}
	return nil
}

// AnyRowError is true: the rows' flags are checked one by one (not a hot path).
func (d *RegressData) AnyRowError() bool { return true }

func (d *RegressData) RowError(i int) error {
	if !d.ok[i] {
		return fmt.Errorf("%w: the model's output for this row is NaN or infinite", ErrModel)
	}
	return nil
}

// Row is row i's predicted values.
func (d *RegressData) Row(i int) []float64 { return d.Values[i*d.Width : (i+1)*d.Width] }
