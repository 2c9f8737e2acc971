package models

import (
	"context"
	"fmt"
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// PredictRecord runs an Arrow record through the session without SQL, the way the
// seed's predict_map ran a Spark partition: rec must hold the task's input columns (by
// name; extra columns are ignored), rows go to the model in batches of batchSize (0:
// the task's default), and the result is two string arrays aligned with rec's rows —
// predicted_class and confidence — NULL where an input is NULL. The caller releases
// both arrays.
func (s *Session) PredictRecord(ctx context.Context, rec arrow.RecordBatch, batchSize int, mem memory.Allocator) (classes, confidences arrow.Array, err error) {
	t := s.task
	if batchSize <= 0 {
		batchSize = t.Config.BatchSize
	}
	n := int(rec.NumRows())
	valid := make([]bool, n)
	for i := range valid {
		valid[i] = true
	}
	type source struct {
		strs   func(int) string
		floats func(int) float32
	}
	var srcs [][]source // per input, per column
	for _, spec := range t.Config.Inputs {
		var cols []source
		for _, name := range spec.Columns {
			idx := rec.Schema().FieldIndices(name)
			if len(idx) == 0 {
				return nil, nil, fmt.Errorf("%w: task %q: the record has no column %q (model input %q); it has: %v", ErrInput, t.Name, name, spec.Name, rec.Schema())
			}
			col := rec.Column(idx[0])
			for r := range n {
				if col.IsNull(r) {
					valid[r] = false
				}
			}
			src, err := arrowSource(t, spec, name, col)
			if err != nil {
				return nil, nil, err
			}
			cols = append(cols, src)
		}
		srcs = append(srcs, cols)
	}
	rows := make([]int, 0, n)
	for r := range n {
		if valid[r] {
			rows = append(rows, r)
		}
	}
	var b Batch
	var res Result
	cb := array.NewStringBuilder(mem)
	defer cb.Release()
	fb := array.NewStringBuilder(mem)
	defer fb.Release()
	next := 0 // next row of rec to append
	var buf []byte
	for lo := 0; lo < len(rows); lo += batchSize {
		hi := min(lo+batchSize, len(rows))
		b.Reset(t, hi-lo)
		for i, spec := range t.Config.Inputs {
			k := len(spec.Columns)
			for j, src := range srcs[i] {
				for bi, r := range rows[lo:hi] {
					if spec.Type == InputString {
						b.Inputs[i].Strings[bi] = src.strs(r)
					} else {
						b.Inputs[i].Floats[bi*k+j] = src.floats(r)
					}
				}
			}
		}
		if err := s.Predict(ctx, &b, &res); err != nil {
			return nil, nil, err
		}
		for bi, r := range rows[lo:hi] {
			for ; next < r; next++ {
				cb.AppendNull()
				fb.AppendNull()
			}
			cb.Append(t.Config.Labels[res.Class[bi]])
			buf = strconv.AppendFloat(buf[:0], float64(res.Confidence[bi]), 'f', -1, 32)
			fb.Append(string(buf))
			next++
		}
	}
	for ; next < n; next++ {
		cb.AppendNull()
		fb.AppendNull()
	}
	return cb.NewArray(), fb.NewArray(), nil
}

func arrowSource(t *Task, spec InputSpec, name string, col arrow.Array) (src struct {
	strs   func(int) string
	floats func(int) float32
}, err error) {
	bad := func() error {
		return fmt.Errorf("%w: task %q: column %q is %s, but model input %q takes %s", ErrInput, t.Name, name, col.DataType(), spec.Name, spec.Type)
	}
	if spec.Type == InputString {
		switch c := col.(type) {
		case *array.String:
			src.strs = c.Value
		case *array.LargeString:
			src.strs = c.Value
		case *array.StringView:
			src.strs = c.Value
		default:
			return src, bad()
		}
		return src, nil
	}
	switch c := col.(type) {
	case *array.Float32:
		src.floats = c.Value
	case *array.Float64:
		src.floats = func(i int) float32 { return float32(c.Value(i)) }
	case *array.Int32:
		src.floats = func(i int) float32 { return float32(c.Value(i)) }
	case *array.Int64:
		src.floats = func(i int) float32 { return float32(c.Value(i)) }
	default:
		return src, bad()
	}
	return src, nil
}
