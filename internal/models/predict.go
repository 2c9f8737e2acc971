package models

import (
	"context"
	"errors"
	"fmt"
	"runtime"

	ort "github.com/yalue/onnxruntime_go"
)

// testHookBeforeRun, when set by a test, runs just before the model call.
var testHookBeforeRun func()

// Predict runs rows [lo, hi) of in (one InputData per task input, from the task's
// NewInputs) through the model and decodes the results into the same rows of out. A
// cancelled ctx stops a running batch through ONNX Runtime's terminate flag and
// returns ctx's error.
func (s *Session) Predict(ctx context.Context, in []InputData, lo, hi int, out OutputData) error {
	if hi <= lo {
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
	inputs := make([]ort.Value, 0, len(in))
	defer func() {
		for _, v := range inputs {
			v.Destroy()
		}
	}()
	for i, d := range in {
		if td, ok := d.(*TextData); ok {
			// One text input fills several model inputs; the embed output pools by
			// its rows' token counts.
			vs, err := td.Tensors(lo, hi)
			if err != nil {
				return fmt.Errorf("task %q, input %q: %w", t.Name, t.Config.Inputs[i].Name, err)
			}
			inputs = append(inputs, vs...)
			// Set once per chunk data (its first batch runs alone): the batches
			// that may run beside each other after it only read it.
			if e, ok := out.(*EmbedData); ok && e.text != td {
				e.text = td
			}
			continue
		}
		v, err := d.Tensor(lo, hi)
		if err != nil {
			return fmt.Errorf("task %q, input %q: %w", t.Name, t.Config.Inputs[i].Name, err)
		}
		inputs = append(inputs, v)
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
	if b, ok := out.(outputBinder); ok {
		if v, err := b.outputTensor(lo, hi, int(t.outRows.Load()), t.OutputWidth()); err == nil && v != nil {
			outs[0] = v
		}
	}
	// The bound tensor, or the one ORT made; a failed run too (a bound tensor leaked
	// there before). A held tensor's Destroy does nothing.
	defer func() {
		if outs[0] != nil {
			outs[0].Destroy()
		}
	}()
	if testHookBeforeRun != nil {
		testHookBeforeRun()
	}
	bound := outs[0]
	err := s.s.RunWithOptions(inputs, outs, runOpts)
	if err != nil {
		// A failed run made no output to free, but onnxruntime_go may have left a
		// typed nil *Tensor in outs[0] (for an output it cannot wrap), whose Destroy
		// would crash the process.
		outs[0] = bound
	}
	if bound == nil && errors.Is(err, ort.ZeroShapeLengthError) && ctx.Err() == nil {
		// The model gave a scalar (shape []), which onnxruntime_go cannot read back:
		// a squeezed output's one-row batch. Rerun into a scalar of our own.
		if outs[0], err = s.scalarOutput(out, hi-lo); err != nil {
			return fmt.Errorf("task %q, output %q: %w", t.Name, t.OutputName(), err)
		}
		err = s.s.RunWithOptions(inputs, outs, runOpts)
	}
	// A held input tensor (a string input's, kept from batch to batch) is freed by a
	// cleanup once its InputData is unreachable, and nothing here reads in after the
	// loop above: without this a collection during the run could free the tensor ORT
	// is reading.
	runtime.KeepAlive(in)
	if err != nil {
		if cerr := ctx.Err(); cerr != nil {
			return cerr
		}
		return fmt.Errorf("%w: task %q on %s:%d: %v", ErrModel, t.Name, s.placement.Device, s.placement.DeviceID, err)
	}
	if err := out.Decode(outs[0], lo, hi); err != nil {
		return fmt.Errorf("task %q, output %q: %w", t.Name, t.OutputName(), err)
	}
	return nil
}

// scalarOutput is a scalar for ORT to write a rank-0 output into: only a one-row
// batch of an output kind that reads one value per row (scalarDecoder) can use one.
func (s *Session) scalarOutput(out OutputData, rows int) (ort.Value, error) {
	if sd, ok := out.(scalarDecoder); !ok || !sd.decodesScalar() || rows != 1 {
		return nil, fmt.Errorf("%w: the output has shape [] (a scalar) for a batch of %d rows; want one row per input row (shape [%d] or [%d, ...]); export the model without squeezing its batch axis", ErrModel, rows, rows, rows)
	}
	var v ort.Value
	var err error
	// Not returned directly: a failed New would make a typed nil ort.Value.
	if s.outType == ort.TensorElementDataTypeDouble {
		v, err = ort.NewEmptyScalar[float64]()
	} else {
		v, err = ort.NewEmptyScalar[float32]()
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrRuntime, err)
	}
	return v, nil
}

func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}
