package models

import (
	"fmt"
	"math"
	"strings"

	ort "github.com/yalue/onnxruntime_go"
)

// number is the element type of a numeric model input.
type number interface {
	float32 | float64 | int32 | int64
}

// numericInput feeds k numeric columns (any integer, float, DECIMAL or BOOLEAN type)
// as a tensor of T, shaped as the model declares it: [N] for one column, else [N, k].
// One rule for every T: a value T cannot hold exactly enough for the model — NaN, ±Inf,
// beyond T's range, or, for integer T, not a whole number (duckinfer rejects rather than
// truncates, so that 2.7 never silently becomes 2) — makes its row unusable, which
// on_error then turns into an error or a NULL prediction.
type numericInput[T number] struct{}

// numericType is the task.json type and the ONNX element type of T.
func numericType[T number]() (InputType, ort.TensorElementDataType) {
	var zero T
	switch any(zero).(type) {
	case float32:
		return InputFloat32, ort.TensorElementDataTypeFloat
	case float64:
		return InputFloat64, ort.TensorElementDataTypeDouble
	case int32:
		return InputInt32, ort.TensorElementDataTypeInt32
	default:
		return InputInt64, ort.TensorElementDataTypeInt64
	}
}

func (numericInput[T]) Validate(spec InputSpec) error {
	if len(spec.Columns) == 0 {
		return fmt.Errorf(`type %q needs at least one column`, spec.Type)
	}
	return nil
}

func (numericInput[T]) CheckModel(spec InputSpec, info ort.InputOutputInfo) error {
	typ, elem := numericType[T]()
	if info.OrtValueType != ort.ONNXTypeTensor {
		return fmt.Errorf("model input %q is %s, not a tensor; duckinfer feeds tensors only", spec.Name, valueTypeName(info.OrtValueType))
	}
	if info.DataType != elem {
		return fmt.Errorf("model input %q holds %s, but task.json declares type %q; %s", spec.Name, elemName(info.DataType), typ, typeFix(info.DataType))
	}
	k := len(spec.Columns)
	switch d := info.Dimensions; len(d) {
	case 0: // rank unknown: [N, k] is the common case
	case 1:
		if k != 1 {
			return fmt.Errorf("model input %q takes one value per row (shape [N]), but task.json maps %d columns to it; map one column, or split the columns across model inputs", spec.Name, k)
		}
	case 2:
		if k == 1 && d[1] > 1 {
			break // one ARRAY or LIST column of d[1] values per row
		}
		if d[1] > 0 && int(d[1]) != k {
			return fmt.Errorf("model input %q takes %d features (shape [N, %d]), but task.json maps %d columns to it; list exactly %d columns", spec.Name, d[1], d[1], k, d[1])
		}
	default:
		return fmt.Errorf("model input %q has shape %v; duckinfer feeds [N] or [N, k] (rows × columns); reshape inside the model", spec.Name, []int64(d))
	}
	return nil
}

// valueTypeName names an ONNX value type for messages: "a sequence", "a map".
func valueTypeName(t ort.ONNXType) string {
	switch t {
	case ort.ONNXTypeSequence:
		return "a sequence"
	case ort.ONNXTypeMap:
		return "a map"
	case ort.ONNXTypeOptional:
		return "an optional"
	}
	return fmt.Sprintf("an ONNX value of type %v", t)
}

// elemName is an ONNX element type as task.json spells it (the types it has), or
// ONNX's own name in lower case (float16, bfloat16, bool, uint8), for error messages.
func elemName(t ort.TensorElementDataType) string {
	switch t {
	case ort.TensorElementDataTypeFloat:
		return "float32"
	case ort.TensorElementDataTypeDouble:
		return "float64"
	}
	return strings.ToLower(strings.TrimPrefix(t.String(), "ONNX_TENSOR_ELEMENT_DATA_TYPE_"))
}

// typeFix says how to make task.json agree with a model input of element type t.
func typeFix(t ort.TensorElementDataType) string {
	switch t {
	case ort.TensorElementDataTypeFloat, ort.TensorElementDataTypeDouble, ort.TensorElementDataTypeInt32,
		ort.TensorElementDataTypeInt64, ort.TensorElementDataTypeString:
		return fmt.Sprintf(`set "type": %q in task.json`, elemName(t))
	}
	return "duckinfer has no input type for it; re-export the model with a float32, float64, int32, int64 or string input"
}

func (numericInput[T]) NewData(spec InputSpec, dims []int64) InputData {
	d := &numericData[T]{k: len(spec.Columns), flat: len(dims) == 1}
	if d.k == 1 && len(dims) == 2 && dims[1] > 1 {
		d.k, d.array = int(dims[1]), true
	}
	return d
}

type numericData[T number] struct {
	k     int
	flat  bool      // the model takes [N], not [N, 1]
	array bool      // one ARRAY or LIST column holds the k values of a row
	vals  []T       // row-major, k per row
	f64   []float64 // one column of a chunk, before conversion
	i64   []int64   // one integer column, for integer T
	f32   []float32 // FLOAT columns of a float32 input, column-major, before transposing
	fast  []int     // which columns f32 holds
}

func (d *numericData[T]) Load(cols []Column, n int, valid []bool, bad func(int, error)) error {
	d.vals = grow(d.vals, n*d.k)
	if d.array {
		return d.loadArray(cols[0], n, valid, bad)
	}
	d.fast = d.fast[:0]
	for j, c := range cols {
		if ok, err := d.loadFloat32(j, c, n, valid); ok || err != nil {
			continue
		}
		if err := d.load(j, c, n, valid, bad); err != nil {
			return err
		}
	}
	if len(d.fast) > 0 {
		d.transpose(cols, n, valid, bad)
	}
	return nil
}

// loadFloat32 reads a FLOAT column of a float32 input as it is into d.f32; the
// columns so read are transposed into d.vals together, block by block, which keeps the
// row-major writes in cache (one column at a time strides across the whole chunk).
func (d *numericData[T]) loadFloat32(j int, c Column, n int, valid []bool) (bool, error) {
	fc, ok := c.(Float32Column)
	if _, isF32 := any(d.vals).([]float32); !ok || !isF32 {
		return false, nil
	}
	d.f32 = grow(d.f32, d.k*n)
	ok, err := fc.Float32s(d.f32[j*n:(j+1)*n], valid)
	if ok && err == nil {
		d.fast = append(d.fast, j)
	}
	return ok, err
}

const transposeBlock = 64 // rows: 64 rows of a 128-wide input are 32 KiB

func (d *numericData[T]) transpose(cols []Column, n int, valid []bool, bad func(int, error)) {
	vals := any(d.vals).([]float32)
	k := d.k
	for lo := 0; lo < n; lo += transposeBlock {
		hi := min(lo+transposeBlock, n)
		for _, j := range d.fast {
			src := d.f32[j*n+lo : j*n+hi]
			for i, x := range src {
				r := lo + i
				if !valid[r] {
					continue
				}
				if x-x != 0 { // NaN or ±Inf
					d.badFloat(cols[j], r, float64(x), valid, bad)
					continue
				}
				vals[r*k+j] = x
			}
		}
	}
}

// load converts column j into d.vals, with one loop per T so that the hot path makes
// no call per value.
func (d *numericData[T]) load(j int, c Column, n int, valid []bool, bad func(int, error)) error {
	k := d.k
	switch vals := any(d.vals).(type) {
	case []int64, []int32:
		d.i64 = grow(d.i64, n)
		exact, err := c.Int64s(d.i64, valid, func(r int, v string) {
			if valid[r] {
				d.badInt(c, r, wideInt(v), valid, bad)
			}
		})
		if err != nil {
			return err
		}
		if !exact {
			// A float or DECIMAL column: through float64, whole numbers within ±2^53
			// only.
			d.f64 = grow(d.f64, n)
			if err := c.Float64s(d.f64, valid); err != nil {
				return err
			}
			for r, x := range d.f64 {
				if !valid[r] {
					continue
				}
				if x != math.Trunc(x) || !(math.Abs(x) < exactInts) { // also NaN, ±Inf
					d.badInt(c, r, x, valid, bad)
					continue
				}
				d.i64[r] = int64(x)
			}
		}
		if v32, ok := vals.([]int32); ok {
			for r, x := range d.i64 {
				if !valid[r] {
					continue
				}
				if x < math.MinInt32 || x > math.MaxInt32 {
					d.badInt(c, r, x, valid, bad)
					continue
				}
				v32[r*k+j] = int32(x)
			}
			return nil
		}
		v64 := vals.([]int64)
		for r, x := range d.i64 {
			if valid[r] {
				v64[r*k+j] = x
			}
		}
		return nil
	}
	d.f64 = grow(d.f64, n)
	if err := c.Float64s(d.f64, valid); err != nil {
		return err
	}
	switch vals := any(d.vals).(type) {
	case []float32:
		for r, x := range d.f64 {
			if !valid[r] {
				continue
			}
			if !(math.Abs(x) <= math.MaxFloat32) { // also NaN; one test keeps the loop tight
				d.badFloat(c, r, x, valid, bad)
				continue
			}
			vals[r*k+j] = float32(x)
		}
	case []float64:
		for r, x := range d.f64 {
			if !valid[r] {
				continue
			}
			if !(math.Abs(x) <= math.MaxFloat64) { // NaN or ±Inf
				d.badFloat(c, r, x, valid, bad)
				continue
			}
			vals[r*k+j] = x
		}
	}
	return nil
}

// exactInts bounds the whole numbers that reach an integer input through float64
// (a float, DECIMAL or array column): from 2^53 up, float64 skips integers, so a
// value there may already be another one. Such a value fails its row instead.
const exactInts = 1 << 53

// loadArray reads k values per row from one ARRAY or LIST column, with the checks of
// load.
func (d *numericData[T]) loadArray(c Column, n int, valid []bool, bad func(int, error)) error {
	k := d.k
	d.f64 = grow(d.f64, n*k)
	if err := c.ArrayFloat64s(d.f64, k, valid); err != nil {
		return err
	}
	_, isInt := any(d.vals).([]int64)
	_, isInt32 := any(d.vals).([]int32)
	for r := range n {
		if !valid[r] {
			continue
		}
		for j, x := range d.f64[r*k : (r+1)*k] {
			var v T
			var ok bool
			switch {
			case isInt32:
				ok = x == math.Trunc(x) && x >= math.MinInt32 && x <= math.MaxInt32
			case isInt:
				ok = x == math.Trunc(x) && math.Abs(x) < exactInts
			default:
				_, is32 := any(v).(float32)
				ok = math.Abs(x) <= math.MaxFloat64 && (!is32 || math.Abs(x) <= math.MaxFloat32)
			}
			if !ok {
				if isInt || isInt32 {
					d.badInt(c, r, x, valid, bad)
				} else {
					d.badFloat(c, r, x, valid, bad)
				}
				break
			}
			d.vals[r*k+j] = T(x)
		}
	}
	return nil
}

func (d *numericData[T]) badFloat(c Column, r int, x float64, valid []bool, bad func(int, error)) {
	typ, _ := numericType[T]()
	valid[r] = false
	bad(r, valueError(x, fmt.Errorf("column %q holds %v at row %d of its chunk, which is not a finite %s", c.Name(), x, r, typ)))
}

// wideInt is an integer column's value beyond int64, exactly as its binding spells it.
type wideInt string

func (d *numericData[T]) badInt(c Column, r int, x any, valid []bool, bad func(int, error)) {
	typ, _ := numericType[T]()
	lo, hi := int64(math.MinInt64), int64(math.MaxInt64)
	if typ == InputInt32 {
		lo, hi = math.MinInt32, math.MaxInt32
	}
	valid[r] = false
	f, isFloat := x.(float64)
	whole := isFloat && f == math.Trunc(f) && !math.IsInf(f, 0)
	_, wide := x.(wideInt)
	switch {
	case wide || whole && (f < -(1<<63) || f >= 1<<63):
		// No integer cast can bring it in: say so rather than suggest one.
		bad(r, valueError(x, fmt.Errorf("column %q holds %v at row %d of its chunk, which is not an %s (a whole number in %d..%d): it lies beyond int64's range, where no cast to an integer type can bring it; rescale the column", c.Name(), x, r, typ, lo, hi)))
	case whole && math.Abs(f) >= exactInts && typ == InputInt64:
		bad(r, valueError(fmt.Sprintf("%.0f", f), fmt.Errorf("column %q holds %.0f at row %d of its chunk, beyond ±2^53, where its type reaches an int64 input through float64 and the value may already be rounded; cast the column to BIGINT (an integer ARRAY or LIST must keep its values within ±2^53)", c.Name(), f, r)))
	default:
		bad(r, valueError(x, fmt.Errorf("column %q holds %v at row %d of its chunk, which is not an %s (a whole number in %d..%d); round it first (round(col))", c.Name(), x, r, typ, lo, hi)))
	}
}

func (d *numericData[T]) Compact(rows []int) {
	k := d.k
	for b, r := range rows {
		copy(d.vals[b*k:(b+1)*k], d.vals[r*k:(r+1)*k])
	}
	d.vals = d.vals[:len(rows)*k]
}

func (d *numericData[T]) Tensor(lo, hi int) (ort.Value, error) {
	shape := ort.NewShape(int64(hi-lo), int64(d.k))
	if d.flat {
		shape = ort.NewShape(int64(hi - lo))
	}
	t, err := ort.NewTensor(shape, d.vals[lo*d.k:hi*d.k])
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInput, err)
	}
	return t, nil
}

func (d *numericData[T]) Preview(i int) string {
	row := d.vals[i*d.k : (i+1)*d.k]
	// Each value takes at least two bytes with its space, so these are more than
	// previewText keeps, and a long row is not formatted whole to be cut.
	if n := previewBytes/2 + 1; len(row) > n {
		row = row[:n]
	}
	return previewText(fmt.Sprint(row))
}
