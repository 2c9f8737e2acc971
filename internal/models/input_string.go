package models

import (
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"sync"
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
	// mu is held by the batch using pack and held, from Tensor until its tensor is
	// destroyed after the run; a batch running beside it builds its own tensor.
	mu   sync.Mutex
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
// the run, but this one stays with its stringData, whose lock the destroy gives back.
type keptTensor struct {
	*ort.StringTensor
	mu *sync.Mutex
}

func (k keptTensor) Destroy() error {
	k.mu.Unlock()
	return nil
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

// Tensor fills a string tensor with rows [lo, hi) from one packed buffer
// (ortstrings.go). A batch of the held tensor's size refills it; a batch of another
// size gets a held tensor of its own when it is the larger (the full batch size
// comes first and stays), else a fresh tensor that the caller destroys.
//
// While another batch of the same rows holds them (Predict on several sessions at
// once), a batch builds a fresh tensor from a packer of its own.
func (d *stringData) Tensor(lo, hi int) (v ort.Value, err error) {
	if !d.mu.TryLock() {
		return d.tensor(&stringPacker{}, nil, d.vals[lo:hi])
	}
	v, err = d.tensor(&d.pack, d.held, d.vals[lo:hi])
	if _, kept := v.(keptTensor); !kept {
		d.mu.Unlock()
	}
	return v, err
}

// tensor is Tensor for vals with packer p and, when not nil, the held tensor h (the
// caller holds d.mu for both).
func (d *stringData) tensor(p *stringPacker, h *heldString, vals []string) (ort.Value, error) {
	n := len(vals)
	if h != nil && h.t != nil && h.n == n {
		if err := p.fill(h.value, vals); err == nil {
			return keptTensor{h.t, &d.mu}, nil
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
		err = p.fill(value, vals)
	}
	if !ok || errors.Is(err, errFillUnavailable) {
		err = setContents(st, vals)
	}
	if err != nil {
		st.Destroy()
		return nil, fmt.Errorf("%w: %v", ErrInput, err)
	}
	if h != nil && ok && n >= h.n {
		h.destroy()
		h.t, h.value, h.n = st, value, n
		return keptTensor{st, &d.mu}, nil
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
