package models

import (
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"unsafe"

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

func (stringInput) NewData(InputSpec, []int64) InputData {
	d := &stringData{held: &heldString{}}
	// The kept tensor is C memory: free it when the data is dropped (a pooled chunk
	// is dropped by the GC, not closed).
	runtime.AddCleanup(d, func(h *heldString) { h.destroy() }, d.held)
	return d
}

type stringData struct {
	vals []string // borrowed from the binding: valid only while the chunk is
	pack stringPacker
	held *heldString // the last full-size tensor, refilled by the next batch of its size
}

// heldString is a string tensor kept from batch to batch: ORT then reuses its strings'
// memory, and no tensor is created per batch.
type heldString struct {
	t     *ort.StringTensor
	value unsafe.Pointer // t's OrtValue
	n     int
}

func (h *heldString) destroy() {
	if h.t != nil {
		_ = h.t.Destroy()
		h.t, h.value, h.n = nil, nil, 0
	}
}

// keptTensor is the held tensor as Predict sees it: Predict destroys its inputs after
// the run, but this one stays with its stringData.
type keptTensor struct{ *ort.StringTensor }

func (keptTensor) Destroy() error { return nil }

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

// Tensor fills a string tensor with rows [lo, hi) from one packed buffer
// (ortstrings.go). A batch of the held tensor's size refills it; a batch of another
// size gets a held tensor of its own when it is the larger (the full batch size
// comes first and stays), else a fresh tensor that the caller destroys.
func (d *stringData) Tensor(lo, hi int) (ort.Value, error) {
	n := hi - lo
	h := d.held
	if h.t != nil && h.n == n {
		if err := d.pack.fill(h.value, d.vals[lo:hi]); err == nil {
			return keptTensor{h.t}, nil
		} else if !errors.Is(err, errFillUnavailable) {
			return nil, fmt.Errorf("%w: %v", ErrInput, err)
		}
	}
	st, err := ort.NewStringTensor(ort.NewShape(int64(n)))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrRuntime, err)
	}
	value, ok := ortValueOf(st)
	if ok {
		err = d.pack.fill(value, d.vals[lo:hi])
	}
	if !ok || errors.Is(err, errFillUnavailable) {
		err = setContents(st, d.vals[lo:hi])
	}
	if err != nil {
		st.Destroy()
		return nil, fmt.Errorf("%w: %v", ErrInput, err)
	}
	if ok && n >= h.n {
		h.destroy()
		h.t, h.value, h.n = st, value, n
		return keptTensor{st}, nil
	}
	return st, nil
}

// setContents is the fallback fill, onnxruntime_go's own: it passes each value as a C
// string, so a value with a NUL byte would reach the model cut short. It refuses one
// instead.
func setContents(st *ort.StringTensor, vals []string) error {
	for _, s := range vals {
		if j := strings.IndexByte(s, 0); j >= 0 {
			return fmt.Errorf("a value holds a NUL byte at byte %d, where the fallback string fill (onnxruntime_go's C strings, used because the direct fill in ortstrings.go does not fit this ONNX Runtime) would cut it; strip it with replace(col, chr(0), '')", j)
		}
	}
	return st.SetContents(vals)
}

func (d *stringData) Preview(i int) string { return previewText(d.vals[i]) }

// previewBytes is the most of a value an error message shows.
const previewBytes = 200

// previewText quotes s for an error message, cut to previewBytes.
func previewText(s string) string {
	if len(s) > previewBytes {
		s = strings.ToValidUTF8(s[:previewBytes], "") + "…"
	}
	return strconv.Quote(s)
}
