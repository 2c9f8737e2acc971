package models

import (
	"context"
	"fmt"

	ort "github.com/yalue/onnxruntime_go"
)

// Batch holds one model batch: for each task input (in task.json order) either the
// strings or the row-major float features of N rows. Rows with NULL inputs never
// reach a Batch; callers leave them out and keep their own row map.
type Batch struct {
	N      int
	Inputs []InputData
}

// InputData is one model input's values for a batch.
type InputData struct {
	Strings []string  // InputString: N values
	Floats  []float32 // InputFloat32: N*k values, row-major
}

// Reset prepares b for n rows of task t, reusing its buffers.
func (b *Batch) Reset(t *Task, n int) {
	b.N = n
	if cap(b.Inputs) < len(t.Config.Inputs) {
		b.Inputs = make([]InputData, len(t.Config.Inputs))
	}
	b.Inputs = b.Inputs[:len(t.Config.Inputs)]
	for i, spec := range t.Config.Inputs {
		in := &b.Inputs[i]
		switch spec.Type {
		case InputString:
			in.Strings = grow(in.Strings, n)
		case InputFloat32:
			in.Floats = grow(in.Floats, n*len(spec.Columns))
		}
	}
}

// Slice points dst at rows [lo, hi) of b, sharing b's memory: model batches are
// windows onto a chunk's batch, never copies.
func (b *Batch) Slice(t *Task, lo, hi int, dst *Batch) {
	dst.N = hi - lo
	if cap(dst.Inputs) < len(t.Config.Inputs) {
		dst.Inputs = make([]InputData, len(t.Config.Inputs))
	}
	dst.Inputs = dst.Inputs[:len(t.Config.Inputs)]
	for i, spec := range t.Config.Inputs {
		if spec.Type == InputString {
			dst.Inputs[i] = InputData{Strings: b.Inputs[i].Strings[lo:hi]}
		} else {
			k := len(spec.Columns)
			dst.Inputs[i] = InputData{Floats: b.Inputs[i].Floats[lo*k : hi*k]}
		}
	}
}

func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

// Result holds, per row of a batch, the index of the predicted label and its
// probability. Class is -1 for a row whose model output holds a NaN: it has no
// prediction, and callers treat it as a failed row rather than print a confident guess.
type Result struct {
	Class      []int32
	Confidence []float32
}

// Predict runs one batch. A cancelled ctx stops a running batch through ONNX
// Runtime's terminate flag and returns ctx's error.
func (s *Session) Predict(ctx context.Context, b *Batch, res *Result) error {
	res.Class = grow(res.Class, b.N)
	res.Confidence = grow(res.Confidence, b.N)
	if b.N == 0 {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.dead {
		return fmt.Errorf("models: task %q: %w", s.task.Name, ErrClosed)
	}
	t := s.task
	inputs := make([]ort.Value, len(t.Config.Inputs))
	defer func() {
		for _, v := range inputs {
			if v != nil {
				v.Destroy()
			}
		}
	}()
	for i, spec := range t.Config.Inputs {
		switch spec.Type {
		case InputString:
			st, err := ort.NewStringTensor(ort.NewShape(int64(b.N)))
			if err != nil {
				return fmt.Errorf("%w: task %q: %v", ErrRuntime, t.Name, err)
			}
			inputs[i] = st
			if err := st.SetContents(b.Inputs[i].Strings[:b.N]); err != nil {
				return fmt.Errorf("%w: task %q: %v", ErrInput, t.Name, err)
			}
		case InputFloat32:
			ft, err := ort.NewTensor(ort.NewShape(int64(b.N), int64(len(spec.Columns))), b.Inputs[i].Floats)
			if err != nil {
				return fmt.Errorf("%w: task %q: %v", ErrInput, t.Name, err)
			}
			inputs[i] = ft
		}
	}
	var runOpts *ort.RunOptions
	if ctx.Done() != nil {
		ro, err := ort.NewRunOptions()
		if err != nil {
			return fmt.Errorf("%w: %v", ErrRuntime, err)
		}
		terminated := make(chan struct{})
		stop := context.AfterFunc(ctx, func() {
			defer close(terminated)
			_ = ro.Terminate()
		})
		defer func() {
			// A Terminate already under way must finish before the options are freed.
			if !stop() {
				<-terminated
			}
			ro.Destroy()
		}()
		runOpts = ro
	}
	outs := []ort.Value{nil}
	if err := s.s.RunWithOptions(inputs, outs, runOpts); err != nil {
		if cerr := ctx.Err(); cerr != nil {
			return cerr
		}
		return fmt.Errorf("%w: task %q on %s:%d: %v", ErrModel, t.Name, s.placement.Device, s.placement.DeviceID, err)
	}
	defer outs[0].Destroy()
	out, ok := outs[0].(*ort.Tensor[float32])
	if !ok {
		return fmt.Errorf("%w: task %q: output %q is not a float tensor", ErrModel, t.Name, t.Config.Output)
	}
	nl := len(t.Config.Labels)
	shape := out.GetShape()
	if len(shape) != 2 || shape[0] != int64(b.N) || shape[1] != int64(nl) {
		return fmt.Errorf("%w: task %q: output %q has shape %v, want [%d %d] (rows × labels); make the model's classes match task.json's labels",
			ErrModel, t.Name, t.Config.Output, shape, b.N, nl)
	}
	argmax(out.GetData(), nl, res)
	return nil
}

func argmax(probs []float32, nl int, res *Result) {
	for r := range res.Class {
		row := probs[r*nl : (r+1)*nl]
		best := 0
		for j := 1; j < nl; j++ {
			if row[j] > row[best] {
				best = j
			}
		}
		res.Class[r] = int32(best)
		res.Confidence[r] = row[best]
		for _, p := range row {
			if p != p { // NaN
				res.Class[r] = -1
				break
			}
		}
	}
}
