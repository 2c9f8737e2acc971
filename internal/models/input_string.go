package models

import (
	"fmt"
	"strconv"
	"strings"

	ort "github.com/yalue/onnxruntime_go"
)

// stringInput feeds exactly one VARCHAR column as a [N] string tensor, for models
// whose text processing is inside the ONNX graph.
type stringInput struct{}

func (stringInput) Validate(spec InputSpec) error {
	if len(spec.Columns) != 1 {
		return fmt.Errorf(`type "string" takes exactly one column, got %d`, len(spec.Columns))
	}
	return nil
}

func (stringInput) CheckModel(spec InputSpec, info ort.InputOutputInfo) error {
	if info.DataType != ort.TensorElementDataTypeString {
		return fmt.Errorf("model input %q holds %s, but task.json declares type %q", spec.Name, info.DataType, spec.Type)
	}
	return nil
}

func (stringInput) NewData(InputSpec, []int64) InputData { return &stringData{} }

type stringData struct {
	vals []string // borrowed from the binding: valid only while the chunk is
}

func (d *stringData) Load(cols []Column, n int, valid []bool, _ func(int, error)) error {
	d.vals = grow(d.vals, n)
	return cols[0].Strings(d.vals, valid)
}

func (d *stringData) Compact(rows []int) {
	for b, r := range rows {
		d.vals[b] = d.vals[r]
	}
	d.vals = d.vals[:len(rows)]
}

func (d *stringData) Tensor(lo, hi int) (ort.Value, error) {
	st, err := ort.NewStringTensor(ort.NewShape(int64(hi - lo)))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrRuntime, err)
	}
	if err := st.SetContents(d.vals[lo:hi]); err != nil {
		st.Destroy()
		return nil, fmt.Errorf("%w: %v", ErrInput, err)
	}
	return st, nil
}

func (d *stringData) Preview(i int) string { return previewText(d.vals[i]) }

// previewText quotes s for an error message, cut to 200 bytes.
func previewText(s string) string {
	if len(s) > 200 {
		s = strings.ToValidUTF8(s[:200], "") + "…"
	}
	return strconv.Quote(s)
}
