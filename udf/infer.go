package udf

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/duckdb/duckdb-go/v2"

	"github.com/duckinfer/duckinfer/models"
	"github.com/duckinfer/duckinfer/partitions"
)

// Positions of ml_infer's fixed arguments; the task's input columns follow.
const (
	argTask = iota
	argColumns
	argBatchSize
	argDevice
	argModelsPerGPU
	argGPUMemLimitMB
	argOnError
	argConn // the calling connection's DuckDB id, for the executing statement's context
	numFixedArgs
)

// On-error modes.
const (
	OnErrorFail = "fail"
	OnErrorNull = "null"
)

// call is one bound ml_infer call site: what bind resolved, reused by every chunk.
//
// It must not hold a context: DuckDB binds a statement without parameters once, at
// prepare, and every execution of it reuses what bind made.
type call struct {
	task      *models.Task
	columns   []string
	batchSize int
	plan      partitions.Plan
	slots     *partitions.Assigner
	onError   string
	connID    uint64 // see conncontext.go
	connKnown bool
}

type callKey struct{}

// RowCounterKey is the context key of an *atomic.Int64 that a caller puts on a query's
// context to watch how many rows that query has run through models so far.
type RowCounterKey struct{}

type inferFunc struct{ env *Env }

func (f *inferFunc) Config() duckdb.ScalarFuncConfig {
	varchar, _ := duckdb.NewTypeInfo(duckdb.TYPE_VARCHAR)
	anyT, _ := duckdb.NewTypeInfo(duckdb.TYPE_ANY)
	return duckdb.ScalarFuncConfig{
		InputTypeInfos:      []duckdb.TypeInfo{varchar, varchar, varchar, varchar, varchar, varchar, varchar, varchar},
		ResultTypeInfo:      varchar,
		VariadicTypeInfo:    anyT,
		SpecialNullHandling: true, // NULL options mean "default"; NULL inputs are handled per row
	}
}

func (f *inferFunc) Executor() duckdb.ScalarFuncExecutor {
	return duckdb.ScalarFuncExecutor{
		ScalarBinder:         f.bind,
		ChunkContextExecutor: f.execute,
	}
}

// bind resolves the constant arguments once per query: unknown tasks, bad options and
// broken models fail here, before any row is read.
func (f *inferFunc) bind(_ context.Context, args []duckdb.ScalarUDFArg) (context.Context, error) {
	if len(args) < numFixedArgs {
		return nil, argErrorf("ml_infer takes %d option arguments and the input columns; call ml_predict instead", numFixedArgs)
	}
	for i := range numFixedArgs {
		if !args[i].Foldable {
			return nil, argErrorf("argument %d must be a constant (not a column or subquery)", i+1)
		}
	}
	opt := func(i int) string { s, _ := args[i].Value.(string); return strings.TrimSpace(s) }
	taskName := opt(argTask)
	if taskName == "" {
		return nil, argErrorf("task must be a non-empty string; known tasks: %s", strings.Join(taskNames(f.env), ", "))
	}
	task, err := f.env.Registry.Lookup(taskName)
	if err != nil {
		return nil, wrap(err)
	}
	c := &call{task: task, columns: task.Config.Columns(), batchSize: task.Config.BatchSize, onError: OnErrorFail}
	if v := opt(argColumns); v != "" {
		// The macro joins the list with Sep: duckdb-go cannot fold LIST arguments.
		c.columns = strings.Split(v, Sep)
	}
	if got, want := len(args)-numFixedArgs, len(task.Config.Columns()); got != want || len(c.columns) != want {
		return nil, argErrorf("task %q reads %d column(s) (%s), but columns := [%s] names %d",
			task.Name, want, strings.Join(task.Config.Columns(), ", "), strings.Join(c.columns, ", "), len(c.columns))
	}
	if v := opt(argBatchSize); v != "" {
		n, err := intOption("batch_size", v, 1, models.MaxBatchSize)
		if err != nil {
			return nil, err
		}
		c.batchSize = n
	}
	opts := f.env.Defaults
	if v := opt(argDevice); v != "" {
		opts.Device = strings.ToLower(v)
	}
	if v := opt(argModelsPerGPU); v != "" {
		n, err := intOption("models_per_gpu", v, 1, 64)
		if err != nil {
			return nil, err
		}
		opts.ModelsPerGPU = n
	}
	if v := opt(argGPUMemLimitMB); v != "" {
		n, err := intOption("gpu_mem_limit_mb", v, 0, 1<<30)
		if err != nil {
			return nil, err
		}
		opts.GPUMemLimit = int64(n) << 20
	}
	if v := opt(argOnError); v != "" {
		switch m := strings.ToLower(v); m {
		case OnErrorFail, OnErrorNull:
			c.onError = m
		default:
			return nil, argErrorf("on_error %q is not one of 'fail', 'null'", v)
		}
	}
	c.plan, err = partitions.NewPlan(f.env.Inventory(), opts)
	if err != nil {
		return nil, wrap(err)
	}
	c.slots = partitions.NewAssigner(c.plan)
	if v := opt(argConn); v != "" {
		c.connID, err = strconv.ParseUint(v, 10, 64)
		c.connKnown = err == nil
	}
	if err := f.env.Pool.Check(task); err != nil {
		return nil, wrap(err)
	}
	// Background, not the bind-time context: execute finds the context of the
	// statement running at that time (see conncontext.go).
	return context.WithValue(context.Background(), callKey{}, c), nil
}

func intOption(name, v string, lo, hi int) (int, error) {
	n, err := strconv.Atoi(v)
	switch {
	case err != nil:
		return 0, argErrorf("%s must be a whole number from %d to %d, got %q", name, lo, hi, v)
	case n < lo || n > hi:
		return 0, argErrorf("%s %d is out of range %d..%d", name, n, lo, hi)
	}
	return n, nil
}

func taskNames(env *Env) []string {
	var names []string
	for _, t := range env.Registry.Tasks() {
		names = append(names, t.Name)
	}
	return names
}

// scratch is per-call working memory, pooled so a chunk allocates nothing in steady state.
type scratch struct {
	batch models.Batch
	rest  models.Batch // the rows of batch still to run after a failed model batch
	res   models.Result
	rows  []int // batch row → chunk row
	valid []bool
	bad   []error // per chunk row: an input no model can take (NaN, ±Inf); nil if none
	out   []byte
	cols  []colVals // per input column, chunk-aligned
}

// colVals holds one input column of a chunk before NULL rows are dropped.
type colVals struct {
	strs   []string // borrowed from DuckDB: valid only during the call
	floats []float32
}

var scratchPool = sync.Pool{New: func() any { return new(scratch) }}

// execute infers one DuckDB chunk on the calling worker thread's model slot.
func (f *inferFunc) execute(bindCtx context.Context, st *duckdb.ChunkIteratorState) error {
	c, ok := bindCtx.Value(callKey{}).(*call)
	if !ok {
		return argErrorf("ml_infer was not bound; call it through ml_predict")
	}
	ctx := f.env.conns.current(c.connID, c.connKnown)
	chunk := st.GetInputChunk()
	n := chunk.GetSize()
	sc := scratchPool.Get().(*scratch)
	defer scratchPool.Put(sc)

	nValid, err := c.gather(chunk, n, sc)
	if err != nil {
		return err
	}
	if err := f.inputFailures(c, sc); err != nil {
		return err
	}
	f.env.Chunks.Add(1)
	slot, release := c.slots.Acquire(f.env.Threads.Current())
	defer release()
	sess, err := f.env.Pool.Session(c.task, slot.Placement)
	if err != nil {
		return wrap(err)
	}
	failed, err := c.infer(ctx, sess, sc)
	if err != nil {
		return wrap(err)
	}
	if failed != nil {
		if c.onError != OnErrorNull {
			return wrap(c.rowError(sc, failed))
		}
		f.recordFailures(c, sc, failed)
	}
	f.env.RowsInferred.Add(uint64(nValid))
	if n, ok := ctx.Value(RowCounterKey{}).(*atomic.Int64); ok {
		n.Add(int64(nValid))
	}
	return c.write(st, n, sc, failed)
}

// infer runs sc.batch through sess in model batches. When a model batch fails, its
// rows (and only its rows) are re-run one by one, so that on_error='null' keeps the
// good ones and 'fail' can name the bad one; the batches after it run as usual. A row
// whose model output is NaN fails too. failed is nil when every row succeeded, else it
// holds each failing batch row's error.
func (c *call) infer(ctx context.Context, sess *models.Session, sc *scratch) (failed []error, err error) {
	n := sc.batch.N
	sc.res.Class = grow(sc.res.Class, n)
	sc.res.Confidence = grow(sc.res.Confidence, n)
	fail := func(b int, err error) {
		if failed == nil {
			failed = make([]error, n)
		}
		failed[b] = err
	}
	for lo := 0; lo < n; {
		sc.batch.Slice(c.task, lo, n, &sc.rest)
		part := models.Result{Class: sc.res.Class[lo:n], Confidence: sc.res.Confidence[lo:n]}
		err := partitions.Infer(ctx, sess, c.task, &sc.rest, c.batchSize, &part)
		if err == nil {
			break
		}
		var be *partitions.BatchError
		if ctx.Err() != nil || errors.Is(err, models.ErrClosed) || !errors.As(err, &be) {
			return nil, err
		}
		alone := false
		var one models.Batch
		for b := lo + be.Lo; b < lo+be.Hi; b++ {
			sc.batch.Slice(c.task, b, b+1, &one)
			res := models.Result{Class: sc.res.Class[b : b+1], Confidence: sc.res.Confidence[b : b+1]}
			if err := sess.Predict(ctx, &one, &res); err != nil {
				if ctx.Err() != nil || errors.Is(err, models.ErrClosed) {
					return nil, err
				}
				fail(b, err)
				alone = true
			}
		}
		if !alone {
			return nil, fmt.Errorf("task %q failed on a batch of %d rows but on none of its rows alone: %w", c.task.Name, be.Hi-be.Lo, be.Err)
		}
		if c.onError != OnErrorNull {
			return failed, nil
		}
		lo += be.Hi
	}
	for b := range n {
		if sc.res.Class[b] < 0 && (failed == nil || failed[b] == nil) {
			fail(b, fmt.Errorf("%w: the model's output for this row is NaN", models.ErrModel))
		}
	}
	return failed, nil
}

// inputFailures handles the rows gather found unusable: under on_error='fail' the
// first one fails the query, under 'null' each is recorded and gets NULL predictions.
func (f *inferFunc) inputFailures(c *call, sc *scratch) error {
	if sc.bad == nil {
		return nil
	}
	now := time.Now()
	for _, err := range sc.bad {
		if err == nil {
			continue
		}
		if c.onError != OnErrorNull {
			return wrap(fmt.Errorf("%w; filter such rows out (e.g. WHERE isfinite(col)) or use on_error := 'null' to give them NULL predictions", err))
		}
		f.env.failures.add(RowFailure{Time: now, Task: c.task.Name, Error: err.Error()})
	}
	return nil
}

// gather copies the task's input columns into sc.batch, skipping rows with a NULL
// input (their predictions are NULL). Strings are borrowed, not copied.
func (c *call) gather(chunk *duckdb.DataChunk, n int, sc *scratch) (int, error) {
	sc.valid = grow(sc.valid, n)
	for r := range n {
		sc.valid[r] = true
	}
	sc.bad = sc.bad[:0]
	specs := c.task.Config.Inputs
	if cap(sc.cols) < len(c.columns) {
		sc.cols = make([]colVals, len(c.columns))
	}
	vals := sc.cols[:len(c.columns)]
	col := 0
	for _, spec := range specs {
		for range spec.Columns {
			vec, err := chunk.GetVector(numFixedArgs + col)
			if err != nil {
				return 0, wrap(err)
			}
			cv := &vals[col]
			switch spec.Type {
			case models.InputString:
				view, err := duckdb.GetVectorView[string](vec)
				if err != nil {
					return 0, argErrorf("task %q: column %q must be VARCHAR (model input %q): %v; cast it (col::VARCHAR) or pick another column with columns := [...]",
						c.task.Name, c.columns[col], spec.Name, err)
				}
				cv.strs = grow(cv.strs, n)
				for r := range n {
					s, ok, _ := view.GetValueBorrowed(r)
					cv.strs[r] = s
					if !ok {
						sc.valid[r] = false
					}
				}
			case models.InputFloat32:
				cv.floats = grow(cv.floats, n)
				for r := range n {
					v, err := chunk.GetValue(numFixedArgs+col, r)
					if err != nil {
						return 0, wrap(err)
					}
					if v == nil {
						sc.valid[r] = false
						continue
					}
					x, ok := toFloat64(v)
					if !ok {
						return 0, argErrorf("task %q: column %q must be numeric (model input %q takes float32), got %T; cast it or pick another column with columns := [...]",
							c.task.Name, c.columns[col], spec.Name, v)
					}
					if math.IsNaN(x) || math.IsInf(x, 0) || math.Abs(x) > math.MaxFloat32 {
						if len(sc.bad) == 0 {
							sc.bad = grow(sc.bad, n)
							clear(sc.bad)
						}
						sc.bad[r] = fmt.Errorf("task %q: column %q holds %v at row %d of its chunk, which is not a finite float32 (model input %q)",
							c.task.Name, c.columns[col], v, r, spec.Name)
						sc.valid[r] = false
						continue
					}
					cv.floats[r] = float32(x)
				}
			}
			col++
		}
	}
	if len(sc.bad) == 0 {
		sc.bad = nil
	}
	sc.rows = sc.rows[:0]
	for r := range n {
		if sc.valid[r] {
			sc.rows = append(sc.rows, r)
		}
	}
	nValid := len(sc.rows)
	sc.batch.Reset(c.task, nValid)
	col = 0
	for i, spec := range specs {
		in := &sc.batch.Inputs[i]
		k := len(spec.Columns)
		for j := range spec.Columns {
			cv := vals[col]
			for b, r := range sc.rows {
				if spec.Type == models.InputString {
					in.Strings[b] = cv.strs[r]
				} else {
					in.Floats[b*k+j] = cv.floats[r]
				}
			}
			col++
		}
	}
	return nValid, nil
}

// toFloat64 converts a numeric SQL value; the caller checks it fits a float32.
func toFloat64(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case float32:
		return float64(x), true
	case int8:
		return float64(x), true
	case int16:
		return float64(x), true
	case int32:
		return float64(x), true
	case int64:
		return float64(x), true
	case uint8:
		return float64(x), true
	case uint16:
		return float64(x), true
	case uint32:
		return float64(x), true
	case uint64:
		return float64(x), true
	case *big.Int:
		f, _ := new(big.Float).SetInt(x).Float64()
		return f, true
	case duckdb.Decimal:
		return x.Float64(), true
	case bool:
		if x {
			return 1, true
		}
		return 0, true
	}
	return 0, false
}

// appendConfidence writes p (a probability) with six decimals. Fixed width lets the
// macro split ml_infer's result by position, which DuckDB does far faster than by a
// separator, and integer formatting is several times cheaper than strconv's shortest
// float form.
func appendConfidence(b []byte, p float32) []byte {
	switch {
	case !(p > 0): // also NaN
		p = 0
	case p > 1:
		p = 1
	}
	v := uint32(float64(p)*1e6 + 0.5)
	return append(b, byte('0'+v/1000000), '.',
		byte('0'+v/100000%10), byte('0'+v/10000%10), byte('0'+v/1000%10),
		byte('0'+v/100%10), byte('0'+v/10%10), byte('0'+v%10))
}

func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

// rowError names the first row that failed on its own, by its input and its
// position in the DuckDB chunk.
func (c *call) rowError(sc *scratch, failed []error) error {
	for b, err := range failed {
		if err != nil {
			return fmt.Errorf("task %q failed on the row whose input is %s (row %d of its chunk); use on_error := 'null' to keep going with NULL predictions: %w",
				c.task.Name, preview(c, sc, b), sc.rows[b], err)
		}
	}
	return fmt.Errorf("task %q: a row failed", c.task.Name)
}

func preview(c *call, sc *scratch, b int) string {
	in, spec := sc.batch.Inputs[0], c.task.Config.Inputs[0]
	var p string
	if spec.Type == models.InputString {
		p = in.Strings[b]
	} else {
		k := len(spec.Columns)
		p = fmt.Sprint(in.Floats[b*k : (b+1)*k])
	}
	if len(p) > 200 {
		p = strings.ToValidUTF8(p[:200], "") + "…"
	}
	return strconv.Quote(p)
}

// recordFailures remembers on_error='null' failures for ml_errors().
func (f *inferFunc) recordFailures(c *call, sc *scratch, failed []error) {
	now := time.Now()
	for b, err := range failed {
		if err == nil {
			continue
		}
		f.env.failures.add(RowFailure{Time: now, Task: c.task.Name, Input: preview(c, sc, b), Error: err.Error()})
	}
}

// write fills the result vector with the confidence in ConfidenceWidth characters
// followed by the label (the macro cuts it with two substrings), or NULL for NULL
// inputs and for rows that failed in on_error='null' mode.
func (c *call) write(st *duckdb.ChunkIteratorState, n int, sc *scratch, failed []error) error {
	w, err := duckdb.GetVectorWriter[string](st.GetResultVector())
	if err != nil {
		return wrap(err)
	}
	labels := c.task.Config.Labels
	b := 0
	for r := range n {
		if !sc.valid[r] {
			if err := w.SetNull(r); err != nil {
				return wrap(err)
			}
			continue
		}
		if failed != nil && failed[b] != nil {
			b++
			if err := w.SetNull(r); err != nil {
				return wrap(err)
			}
			continue
		}
		sc.out = packResult(sc.out[:0], labels[sc.res.Class[b]], sc.res.Confidence[b])
		b++
		// Set copies the bytes into DuckDB, so a view of the scratch buffer is safe.
		if err := w.Set(r, unsafe.String(unsafe.SliceData(sc.out), len(sc.out))); err != nil {
			return wrap(err)
		}
	}
	return nil
}
