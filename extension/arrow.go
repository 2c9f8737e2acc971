package extension

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/duckinfer/duckinfer/internal/core"
	"github.com/duckinfer/duckinfer/internal/models"
)

// RecordOptions are PredictRecord's counterparts of ml_predict's named parameters;
// zero values mean the task's or the connector's defaults.
type RecordOptions struct {
	Columns   []string // the record's columns that feed the task, in the task's input order
	BatchSize int
	Device    string // "auto", "cpu" or "cuda"
	OnError   string // "fail" or "null"
}

// Predict is ml_predict for an Arrow record, without SQL, as a Go pipeline that already
// holds Arrow batches (from Parquet, Flight, another engine) would run it: the same
// inference core, models and device slots. It returns a record with rec's columns
// followed by the task's output columns, named as ml_predict names them: for a classify
// task predicted_class and confidence, strings as in SQL, NULL where an input is NULL
// (or, under OnError "null", where a row failed). A column of rec with an output's
// name (in any case) is replaced, as in SQL. The output columns depend on the task's
// output kind, so one Predict serves every kind. The caller releases the record.
func (c *Connector) Predict(ctx context.Context, task string, rec arrow.RecordBatch, opts RecordOptions, mem memory.Allocator) (arrow.RecordBatch, error) {
	call, ch, err := c.predict(ctx, task, rec, opts)
	if err != nil {
		return nil, err
	}
	defer call.Release(ch)
	outFields, outCols, err := outputArrays(task, ch, int(rec.NumRows()), mem)
	if err != nil {
		return nil, err
	}
	var fields []arrow.Field
	var cols []arrow.Array
	for i, f := range rec.Schema().Fields() {
		if !isOutputField(f.Name, outFields) {
			fields = append(fields, f)
			cols = append(cols, rec.Column(i))
		}
	}
	fields = append(fields, outFields...)
	cols = append(cols, outCols...)
	out := array.NewRecordBatch(arrow.NewSchema(fields, nil), cols, rec.NumRows())
	for _, a := range outCols {
		a.Release()
	}
	return out, nil
}

// PredictRecord runs a classify task over an Arrow record, as Predict does, and returns
// only its predicted_class and confidence arrays, aligned with rec's rows. The caller
// releases both arrays.
func (c *Connector) PredictRecord(ctx context.Context, task string, rec arrow.RecordBatch, opts RecordOptions, mem memory.Allocator) (classes, confidences arrow.Array, err error) {
	call, ch, err := c.predict(ctx, task, rec, opts)
	if err != nil {
		return nil, nil, err
	}
	defer call.Release(ch)
	if _, ok := ch.Output().(*models.ClassData); !ok {
		return nil, nil, fmt.Errorf("extension: task %q does not classify; use Predict, whose columns follow the task's output", task)
	}
	_, cols, err := outputArrays(task, ch, int(rec.NumRows()), mem)
	if err != nil {
		return nil, nil, err
	}
	return cols[0], cols[1], nil
}

// predict binds task and runs it over rec's rows; the caller releases the chunk.
func (c *Connector) predict(ctx context.Context, task string, rec arrow.RecordBatch, opts RecordOptions) (*core.Call, *core.Chunk, error) {
	req := core.Request{Task: task, Columns: opts.Columns, Device: opts.Device, OnError: opts.OnError}
	if opts.BatchSize != 0 {
		req.BatchSize = strconv.Itoa(opts.BatchSize)
	}
	call, err := c.env.Bind(req)
	if err != nil {
		return nil, nil, err
	}
	cols := make([]models.Column, len(call.Columns))
	var have []string
	for _, f := range rec.Schema().Fields() {
		have = append(have, f.Name)
	}
	if err := core.CheckColumnsPresent(call.Task, call.Columns, have); err != nil {
		return nil, nil, err
	}
	for i, name := range call.Columns {
		idx := rec.Schema().FieldIndices(name)
		cols[i] = &arrowColumn{name: name, arr: rec.Column(idx[0])}
	}
	ch, err := call.Run(ctx, c.env.Threads.Current(), cols, int(rec.NumRows()))
	if err != nil {
		return nil, nil, err
	}
	return call, ch, nil
}

// outputArrays turns a chunk's results into the task's output columns, named and typed
// as ml_predict's (internal/udf/macro.go; TestPredictMatchesSQL compares them). A new
// output kind adds its case here.
func outputArrays(task string, ch *core.Chunk, n int, mem memory.Allocator) ([]arrow.Field, []arrow.Array, error) {
	switch out := ch.Output().(type) {
	case *models.ClassData:
		cb := array.NewStringBuilder(mem)
		defer cb.Release()
		fb := array.NewStringBuilder(mem)
		defer fb.Release()
		var buf []byte
		for r := range n {
			i := ch.Result(r)
			if i < 0 {
				cb.AppendNull()
				fb.AppendNull()
				continue
			}
			cb.Append(out.Label(i))
			buf = models.AppendConfidence(buf[:0], out.Confidence[i])
			fb.BinaryBuilder.Append(buf)
		}
		return []arrow.Field{
			{Name: "predicted_class", Type: arrow.BinaryTypes.String, Nullable: true},
			{Name: "confidence", Type: arrow.BinaryTypes.String, Nullable: true},
		}, []arrow.Array{cb.NewArray(), fb.NewArray()}, nil
	default:
		return nil, nil, fmt.Errorf("extension: task %q: output %T has no Arrow form yet", task, out)
	}
}

func isOutputField(name string, outputs []arrow.Field) bool {
	for _, o := range outputs {
		if strings.EqualFold(name, o.Name) {
			return true
		}
	}
	return false
}

// arrowColumn is one column of an Arrow record, read for the inference core.
type arrowColumn struct {
	name string
	arr  arrow.Array
}

func (a *arrowColumn) Name() string { return a.name }

func (a *arrowColumn) Strings(dst []string, valid []bool) error {
	var get func(int) string
	switch c := a.arr.(type) {
	case *array.String:
		get = c.Value
	case *array.LargeString:
		get = c.Value
	case *array.StringView:
		get = c.Value
	default:
		return fmt.Errorf("column %q must be a string array, got %s", a.name, a.arr.DataType())
	}
	for r := range dst {
		if a.arr.IsNull(r) {
			valid[r] = false
			continue
		}
		dst[r] = get(r)
	}
	return nil
}

func (a *arrowColumn) Float64s(dst []float64, valid []bool) error {
	var get func(int) float64
	switch c := a.arr.(type) {
	case *array.Float32:
		get = func(i int) float64 { return float64(c.Value(i)) }
	case *array.Float64:
		get = c.Value
	case *array.Int32:
		get = func(i int) float64 { return float64(c.Value(i)) }
	case *array.Int64:
		get = func(i int) float64 { return float64(c.Value(i)) }
	default:
		return fmt.Errorf("column %q must be numeric, got %s", a.name, a.arr.DataType())
	}
	for r := range dst {
		if a.arr.IsNull(r) {
			valid[r] = false
			continue
		}
		dst[r] = get(r)
	}
	return nil
}
