package extension

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/duckinfer/duckinfer/internal/core"
	"github.com/duckinfer/duckinfer/internal/duckvec"
	"github.com/duckinfer/duckinfer/internal/models"
)

// RecordOptions are PredictRecord's counterparts of ml_predict's named parameters;
// zero values mean the task's or the connector's defaults.
type RecordOptions struct {
	Columns   []string // the record's columns that feed the task, in the task's input order
	BatchSize int
	Device    string // "auto", "cpu" or "cuda"
	OnError   string // "fail" or "null"
	// Text tasks: MaxLength caps tokens per text (0: the task's max_length); embed
	// tasks: Pooling ("mean", "cls"; "": the task's) and Normalize (nil: the task's).
	MaxLength int
	Pooling   string
	Normalize *bool
}

// Predict is ml_predict for an Arrow record, without SQL, as a Go pipeline that already
// holds Arrow batches (from Parquet, Flight, another engine) would run it: the same
// inference core, models and device slots. It returns a record with rec's columns
// followed by the task's output columns, named as ml_predict names them: for a classify
// task predicted_class and confidence, strings as in SQL, NULL where an input is NULL
// (or, under OnError "null", where a row failed). A column of rec with an output's
// name (in any case) is replaced, as in SQL. The output columns depend on the task's
// output kind, so one Predict serves every kind. The record keeps rec's schema
// metadata. The caller releases the record.
func (c *Connector) Predict(ctx context.Context, task string, rec arrow.RecordBatch, opts RecordOptions, mem memory.Allocator) (arrow.RecordBatch, error) {
	call, ch, err := c.predict(ctx, task, rec, opts, "Predict", "")
	if err != nil {
		return nil, err
	}
	defer finish(call, ch)
	outFields, outCols, err := outputArrays(call, ch, int(rec.NumRows()), mem)
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
	md := rec.Schema().Metadata() // pandas or Parquet key-values a writer round-trips
	out := array.NewRecordBatch(arrow.NewSchema(fields, &md), cols, rec.NumRows())
	for _, a := range outCols {
		a.Release()
	}
	return out, nil
}

// PredictRecord runs a classify task over an Arrow record, as Predict does, and returns
// only its predicted_class and confidence arrays, aligned with rec's rows; a task of
// another kind is refused before any row runs. The caller releases both arrays.
func (c *Connector) PredictRecord(ctx context.Context, task string, rec arrow.RecordBatch, opts RecordOptions, mem memory.Allocator) (classes, confidences arrow.Array, err error) {
	call, ch, err := c.predict(ctx, task, rec, opts, "PredictRecord", models.OutputClassify)
	if err != nil {
		return nil, nil, err
	}
	defer finish(call, ch)
	_, cols, err := outputArrays(call, ch, int(rec.NumRows()), mem)
	if err != nil {
		return nil, nil, err
	}
	return cols[0], cols[1], nil
}

// recordNames are RecordOptions' fields as the core's errors name them.
var recordNames = core.Names{
	Columns: "RecordOptions.Columns", ColumnsList: "RecordOptions.Columns [%s]", BatchSize: "RecordOptions.BatchSize",
	OnError: "RecordOptions.OnError", OnErrorNull: `RecordOptions{OnError: "null"}`,
	MaxLength: "RecordOptions.MaxLength", Pooling: "RecordOptions.Pooling", Normalize: "RecordOptions.Normalize",
}

// predict binds task and runs it over rec's rows; the caller releases the chunk. When
// kind is not "", a task of another kind is refused before any row runs, with the
// method that takes it. Its errors name the method, not ml_predict, which the caller
// never called.
func (c *Connector) predict(ctx context.Context, task string, rec arrow.RecordBatch, opts RecordOptions, method, kind string) (*core.Call, *core.Chunk, error) {
	call, ch, err := c.predictChunk(ctx, task, rec, opts, method, kind)
	return call, ch, core.InFunc("extension: "+method, err)
}

// finish gives a predict's chunk back and ends its call's hold on the task's sessions,
// so a replaced model version's sessions go when its last Predict returns rather than
// when the collector finds the call.
func finish(call *core.Call, ch *core.Chunk) {
	call.Release(ch)
	call.Close()
}

func (c *Connector) predictChunk(ctx context.Context, task string, rec arrow.RecordBatch, opts RecordOptions, method, kind string) (*core.Call, *core.Chunk, error) {
	req := core.Request{Task: task, Columns: opts.Columns, Device: opts.Device, OnError: opts.OnError, Pooling: opts.Pooling, Names: recordNames}
	// Any count but 0 goes to Bind, which refuses a negative one as SQL's max_length does.
	if opts.MaxLength != 0 {
		req.MaxLength = strconv.Itoa(opts.MaxLength)
	}
	if opts.Normalize != nil {
		req.Normalize = strconv.FormatBool(*opts.Normalize)
	}
	if opts.BatchSize != 0 {
		req.BatchSize = strconv.Itoa(opts.BatchSize)
	}
	call, err := c.env.Bind(ctx, req)
	if err != nil {
		return nil, nil, err
	}
	ch, err := c.runRecord(ctx, call, task, rec, method, kind)
	if err != nil {
		call.Close()
		return nil, nil, err
	}
	return call, ch, nil
}

// runRecord checks rec against the bound call and runs its rows as one chunk.
func (c *Connector) runRecord(ctx context.Context, call *core.Call, task string, rec arrow.RecordBatch, method, kind string) (*core.Chunk, error) {
	if got := call.Task.Config.Kind; kind != "" && got != kind {
		return nil, wrongKind(method, task, got, kind)
	}
	call.ColumnHint = "convert the column, or pick another with RecordOptions.Columns"
	// The record is one chunk on the caller's goroutine: its batches also run on the
	// other slots, as many at once as Go runs threads (and the machine has cores),
	// every caller's together.
	call.Threads, call.NoScan = min(runtime.GOMAXPROCS(0), runtime.NumCPU()), true
	cols := make([]models.Column, len(call.Columns))
	var have []string
	for _, f := range rec.Schema().Fields() {
		have = append(have, f.Name)
	}
	if err := core.CheckColumnsPresent(call.Task, call.Columns, have, recordNames); err != nil {
		return nil, err
	}
	for i, name := range call.Columns {
		cols[i] = &arrowColumn{name: name, arr: rec.Column(fieldIndex(rec.Schema(), name))}
	}
	return call.Run(ctx, c.env.Threads.Current(), cols, int(rec.NumRows()), nil)
}

// PredictValues is PredictRecord for a regress task: it returns the prediction column,
// a Float64 array when the model gives one value per row, else a FixedSizeList of
// Float64; NULL where an input is NULL (or a row failed under OnError "null"). A task
// of another kind is refused before any row runs. The caller releases it.
func (c *Connector) PredictValues(ctx context.Context, task string, rec arrow.RecordBatch, opts RecordOptions, mem memory.Allocator) (arrow.Array, error) {
	call, ch, err := c.predict(ctx, task, rec, opts, "PredictValues", models.OutputRegress)
	if err != nil {
		return nil, err
	}
	defer finish(call, ch)
	out, ok := ch.Output().(*models.RegressData)
	if !ok {
		return nil, wrongKind("PredictValues", task, call.Task.Config.Kind, models.OutputRegress)
	}
	arr, _ := regressArray(out, call.Task.OutputWidth(), ch, int(rec.NumRows()), mem)
	return arr, nil
}

// wrongKind is the error of a shortcut (PredictRecord, PredictValues) given a task of
// another kind: it names the methods that take that kind.
func wrongKind(method, task, got, want string) error {
	use := "Predict"
	switch got {
	case models.OutputClassify:
		use = "PredictRecord or Predict"
	case models.OutputRegress:
		use = "PredictValues or Predict"
	}
	return fmt.Errorf("extension: %s: task %q is %s task, but %s takes only %s tasks; use %s, whose columns follow the task's output", method, task, article(got), method, want, use)
}

// article is kind with "a" or "an" before it: "a classify", "an embed".
func article(kind string) string {
	if kind != "" && strings.ContainsRune("aeiou", rune(kind[0])) {
		return "an " + kind
	}
	return "a " + kind
}

// regressArray is a regress task's prediction column: Float64 when the model declares
// one value per row, else a FixedSizeList of Float64, as ml_predict's DOUBLE or DOUBLE[].
// The list is as wide as the model declares; a model that leaves the width open gets
// the width of this batch's results, and 1 when no row has a result (all NULL, no rows,
// or every row failed under OnError "null"), so its type may differ between batches.
func regressArray(out *models.RegressData, declared int, ch *core.Chunk, n int, mem memory.Allocator) (arrow.Array, arrow.DataType) {
	if declared == 1 {
		b := array.NewFloat64Builder(mem)
		defer b.Release()
		for r := range n {
			if i := ch.Result(r); i >= 0 {
				b.Append(out.Row(i)[0])
			} else {
				b.AppendNull()
			}
		}
		return b.NewArray(), arrow.PrimitiveTypes.Float64
	}
	w := declared
	if w <= 0 {
		w = max(out.Width, 1)
	}
	lb := array.NewFixedSizeListBuilder(mem, int32(w), arrow.PrimitiveTypes.Float64)
	defer lb.Release()
	vb := lb.ValueBuilder().(*array.Float64Builder)
	for r := range n {
		i := ch.Result(r)
		if i < 0 {
			lb.AppendNull()
			continue
		}
		lb.Append(true)
		vb.AppendValues(out.Row(i), nil)
	}
	return lb.NewArray(), arrow.FixedSizeListOf(int32(w), arrow.PrimitiveTypes.Float64)
}

// outputArrays turns a chunk's results into the task's output columns, named and typed
// as ml_predict's (internal/udf/macro.go; TestPredictMatchesSQL compares them). A new
// output kind adds its case here.
func outputArrays(call *core.Call, ch *core.Chunk, n int, mem memory.Allocator) ([]arrow.Field, []arrow.Array, error) {
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
	case *models.RegressData:
		arr, typ := regressArray(out, call.Task.OutputWidth(), ch, n, mem)
		return []arrow.Field{{Name: "prediction", Type: typ, Nullable: true}}, []arrow.Array{arr}, nil
	case *models.EmbedData:
		arr, typ := embedArray(out, call.Task.OutputWidth(), ch, n, mem)
		return []arrow.Field{{Name: "embedding", Type: typ, Nullable: true}}, []arrow.Array{arr}, nil
	default:
		return nil, nil, fmt.Errorf("extension: task %q: output %T has no Arrow form yet", call.Task.Name, out)
	}
}

func isOutputField(name string, outputs []arrow.Field) bool {
	for _, o := range outputs {
		if core.SameName(name, o.Name) {
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

// Strings reads a String, LargeString or StringView column, or one dictionary-encoded
// over those (as Parquet readers often give a string column).
func (a *arrowColumn) Strings(dst []string, valid []bool) error {
	arr := a.arr
	dict, _ := arr.(*array.Dictionary)
	if dict != nil {
		arr = dict.Dictionary()
	}
	var get func(int) string
	switch c := arr.(type) {
	case *array.String:
		get = c.Value
	case *array.LargeString:
		get = c.Value
	case *array.StringView:
		get = c.Value
	default:
		return fmt.Errorf("column %q must be an Arrow string column (utf8, large_utf8, string_view, or a dictionary of them), got %s", a.name, a.arr.DataType())
	}
	if dict != nil {
		vals := get
		get = func(i int) string { return vals(dict.GetValueIndex(i)) }
	}
	fill(a.arr, dst, valid, get)
	// A valid index may point at a NULL entry of the dictionary (pyarrow's
	// dictionary_encode(null_encoding='encode') makes them): that row is NULL too.
	if dict != nil && arr.NullN() > 0 {
		for r := range valid {
			if valid[r] && arr.IsNull(dict.GetValueIndex(r)) {
				valid[r] = false
			}
		}
	}
	return nil
}

// numericTypes lists the Arrow types a numeric input takes, for errors.
const numericTypes = "int8 to int64, uint8 to uint64, float32, float64, decimal128 or bool"

func (a *arrowColumn) notNumeric() error {
	return fmt.Errorf("column %q must be numeric (%s), got %s", a.name, numericTypes, a.arr.DataType())
}

func (a *arrowColumn) Float64s(dst []float64, valid []bool) error {
	switch c := a.arr.(type) {
	case *array.Float64:
		copy(dst, c.Float64Values())
	case *array.Float32:
		duckvec.Widen(dst, c.Float32Values())
	case *array.Int64:
		duckvec.Widen(dst, c.Int64Values())
	case *array.Int32:
		duckvec.Widen(dst, c.Int32Values())
	case *array.Int16:
		duckvec.Widen(dst, c.Int16Values())
	case *array.Int8:
		duckvec.Widen(dst, c.Int8Values())
	case *array.Uint64:
		duckvec.Widen(dst, c.Uint64Values())
	case *array.Uint32:
		duckvec.Widen(dst, c.Uint32Values())
	case *array.Uint16:
		duckvec.Widen(dst, c.Uint16Values())
	case *array.Uint8:
		duckvec.Widen(dst, c.Uint8Values())
	case *array.Boolean:
		fill(a.arr, dst, valid, func(i int) float64 { return boolNum[float64](c.Value(i)) })
	case *array.Decimal128:
		fill(a.arr, dst, valid, decimal128(c))
	default:
		return a.notNumeric()
	}
	clearNulls(a.arr, valid)
	return nil
}

// Int64s reads the integer arrays exactly; a uint64 beyond int64 goes to beyond, as
// ml_predict reads a UBIGINT column: it fails its own row, and no other.
func (a *arrowColumn) Int64s(dst []int64, valid []bool, beyond func(int, string)) (bool, error) {
	switch c := a.arr.(type) {
	case *array.Int64:
		copy(dst, c.Int64Values())
	case *array.Int32:
		duckvec.Widen(dst, c.Int32Values())
	case *array.Int16:
		duckvec.Widen(dst, c.Int16Values())
	case *array.Int8:
		duckvec.Widen(dst, c.Int8Values())
	case *array.Uint64:
		for r, x := range c.Uint64Values() {
			if x > math.MaxInt64 && c.IsValid(r) {
				beyond(r, strconv.FormatUint(x, 10))
			}
			dst[r] = int64(x)
		}
	case *array.Uint32:
		duckvec.Widen(dst, c.Uint32Values())
	case *array.Uint16:
		duckvec.Widen(dst, c.Uint16Values())
	case *array.Uint8:
		duckvec.Widen(dst, c.Uint8Values())
	case *array.Boolean:
		fill(a.arr, dst, valid, func(i int) int64 { return boolNum[int64](c.Value(i)) })
	case *array.Float32, *array.Float64, *array.Decimal128:
		return false, nil
	default:
		return false, a.notNumeric()
	}
	clearNulls(a.arr, valid)
	return true, nil
}

// clearNulls clears valid[r] for each NULL row of arr.
func clearNulls(arr arrow.Array, valid []bool) {
	if arr.NullN() == 0 {
		return
	}
	for r := range valid {
		if arr.IsNull(r) {
			valid[r] = false
		}
	}
}

func (a *arrowColumn) ArrayFloat64s(dst []float64, k int, valid []bool) error {
	fl, ok := a.arr.(*array.FixedSizeList)
	if !ok {
		return fmt.Errorf("column %q must be a fixed-size list of %d numbers, got %s", a.name, k, a.arr.DataType())
	}
	if w := int(fl.DataType().(*arrow.FixedSizeListType).Len()); w != k {
		return fmt.Errorf("column %q holds %d values per row, but the model input takes %d", a.name, w, k)
	}
	child := &arrowColumn{name: a.name, arr: fl.ListValues()}
	off := fl.Offset() * k
	vals := make([]float64, child.arr.Len())
	cv := make([]bool, len(vals))
	for i := range cv {
		cv[i] = true
	}
	if err := child.Float64s(vals, cv); err != nil {
		return err
	}
	for r := range valid {
		if fl.IsNull(r) {
			valid[r] = false
			continue
		}
		for j := range k {
			if !cv[off+r*k+j] {
				valid[r] = false
			}
			dst[r*k+j] = vals[off+r*k+j]
		}
	}
	return nil
}

// decimal128 reads a Decimal128 value as ml_predict reads a DECIMAL: as DuckDB's
// ::DOUBLE gives it (duckvec.Decimals).
func decimal128(c *array.Decimal128) func(int) float64 {
	scale := int(c.DataType().(*arrow.Decimal128Type).Scale)
	return func(i int) float64 {
		n := c.Value(i)
		return duckvec.Hugeint{Lower: n.LowBits(), Upper: n.HighBits()}.Decimal(scale)
	}
}

// boolNum is a BOOLEAN as a number, 1 or 0, as ml_predict reads one.
func boolNum[T int64 | float64](b bool) T {
	if b {
		return 1
	}
	return 0
}

// fill reads every row of arr through get into dst, clearing valid where arr is NULL.
func fill[T any](arr arrow.Array, dst []T, valid []bool, get func(int) T) {
	for r := range dst {
		if arr.IsNull(r) {
			valid[r] = false
			continue
		}
		dst[r] = get(r)
	}
}

// fieldIndex is the column that name means, as SQL would match it: the field of
// exactly that name, else the first whose name DuckDB takes for it (core.SameName:
// "Text" for "text"). CheckColumnsPresent has made sure there is one.
func fieldIndex(schema *arrow.Schema, name string) int {
	if idx := schema.FieldIndices(name); len(idx) > 0 {
		return idx[0]
	}
	for i, f := range schema.Fields() {
		if core.SameName(f.Name, name) {
			return i
		}
	}
	return -1
}
