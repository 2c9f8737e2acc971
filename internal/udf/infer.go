package udf

import (
	"context"
	"unsafe"

	"github.com/duckdb/duckdb-go/v2"
	"github.com/duckdb/duckdb-go/v2/mapping"

	"github.com/duckinfer/duckinfer/internal/core"
	"github.com/duckinfer/duckinfer/internal/duckvec"
	"github.com/duckinfer/duckinfer/internal/models"
	"github.com/duckinfer/duckinfer/internal/sqlgen"
)

// ml_infer(task, columns, batch_size, device, models_per_gpu, gpu_mem_limit_mb,
// on_error, conn, <input columns>...) infers one DuckDB chunk per call and returns the
// packed result (see macro.go). It only turns DuckDB vectors into the core's columns
// and the core's results into the result vector; the core does the rest.

// numFixedArgs is the count of ml_infer's arguments before the task's input columns:
// its packed options (sqlgen's contract).
const numFixedArgs = sqlgen.NumInferArgs

// call is one bound ml_infer call site. It must not hold a context: DuckDB binds a
// statement without parameters once, at prepare, and every execution reuses it.
type call struct {
	*core.Call
	connID    uint64 // see conncontext.go
	connKnown bool
	pos       []int // argument position of each of Call.Columns, after the fixed ones
}

type callKey struct{}

// inferFunc is ml_infer (classify: STRUCT(predicted_class, confidence) of VARCHARs),
// ml_infer_probs (the packed VARCHAR, see sqlgen.PackResult), ml_infer_regress (DOUBLE),
// ml_infer_regress_list (DOUBLE[]) or ml_infer_embed (FLOAT[]): one function per
// result type.
type inferFunc struct {
	fns  *Env
	mode inferMode
}

type inferMode int

const (
	modeClassify      inferMode = iota
	modeClassifyProbs           // also every label's probability, after a separator (sqlgen.ProbsSep)
	modeRegress
	modeRegressList
	modeEmbed // FLOAT[] per row (embed.go)
)

// kind is the task kind the function writes.
func (m inferMode) kind() string {
	switch m {
	case modeRegress, modeRegressList:
		return models.OutputRegress
	case modeEmbed:
		return models.OutputEmbed
	}
	return models.OutputClassify
}

func (f *inferFunc) Config() duckdb.ScalarFuncConfig {
	varchar, _ := duckdb.NewTypeInfo(duckdb.TYPE_VARCHAR)
	result := varchar
	switch f.mode {
	case modeClassify:
		result = classifyResultType()
	case modeRegress:
		result, _ = duckdb.NewTypeInfo(duckdb.TYPE_DOUBLE)
	case modeRegressList:
		double, _ := duckdb.NewTypeInfo(duckdb.TYPE_DOUBLE)
		result, _ = duckdb.NewListInfo(double)
	case modeEmbed:
		float, _ := duckdb.NewTypeInfo(duckdb.TYPE_FLOAT)
		result, _ = duckdb.NewListInfo(float)
	}
	anyT, _ := duckdb.NewTypeInfo(duckdb.TYPE_ANY)
	fixed := make([]duckdb.TypeInfo, numFixedArgs)
	for i := range fixed {
		fixed[i] = varchar
	}
	return duckdb.ScalarFuncConfig{
		InputTypeInfos:      fixed,
		ResultTypeInfo:      result,
		VariadicTypeInfo:    anyT,
		Volatile:            true, // see macroSQL: no pushed-down copies, no plan-time folding
		SpecialNullHandling: true, // NULL options mean "default"; NULL inputs are handled per row
	}
}

func (f *inferFunc) Executor() duckdb.ScalarFuncExecutor {
	return duckdb.ScalarFuncExecutor{ScalarBinder: f.bind, ChunkContextExecutor: f.execute}
}

// bind resolves the constant arguments once per statement. parent is the binding
// statement's context (duckdb-go's per-connection store): a cancel ends the wait for
// the model check.
func (f *inferFunc) bind(parent context.Context, args []duckdb.ScalarUDFArg) (context.Context, error) {
	if len(args) < numFixedArgs {
		return nil, core.ArgErrorf("ml_infer takes its options and the input columns; call ml_predict instead")
	}
	if !args[0].Foldable {
		return nil, core.ArgErrorf("ml_infer's options must be a constant (not a column or subquery); call ml_predict instead")
	}
	packed, _ := args[0].Value.(string)
	cc, pos, opts, err := sqlgen.BindInfer(parent, f.fns.Env, packed, len(args), f.mode.kind())
	if err != nil {
		return nil, err
	}
	c := &call{Call: cc, pos: pos}
	c.connID, c.connKnown = connArg(opts[sqlgen.ArgConn])
	// Background, not the bind-time context: execute finds the context of the
	// statement running at that time (see conncontext.go).
	return context.WithValue(context.Background(), callKey{}, c), nil
}

// execute infers one DuckDB chunk on the calling worker thread's model slot.
func (f *inferFunc) execute(bindCtx context.Context, st *duckdb.ChunkIteratorState) error {
	c, ok := bindCtx.Value(callKey{}).(*call)
	if !ok {
		return core.ArgErrorf("ml_infer was not bound; call it through ml_predict")
	}
	ctx := f.fns.conns.current(c.connID, c.connKnown)
	chunk := st.GetInputChunk()
	n := chunk.GetSize()
	cols := make([]vectorColumn, len(c.Columns))
	in := make([]models.Column, len(c.Columns))
	for i, name := range c.Columns {
		cols[i] = vectorColumn{name: name, chunk: chunk, idx: numFixedArgs + c.pos[i]}
		in[i] = &cols[i]
	}
	ch, err := f.run(ctx, c, cols, in, n)
	if err != nil {
		return err
	}
	defer c.Release(ch)
	switch f.mode {
	case modeRegress, modeRegressList:
		return writeRegress(st, ch, f.mode == modeRegressList)
	case modeEmbed:
		return writeEmbeddings(st, ch)
	}
	if f.mode == modeClassifyProbs {
		return writeProbs(st, n, ch)
	}
	return writeClasses(st, n, ch)
}

// inferDistinct turns the distinct-values path on (BenchmarkDistinct turns it off for
// its baseline).
var inferDistinct = true

// run infers the chunk; the core asks find for its distinct values when they may
// pay (core.Call.Run), which reads the first column's raw VARCHAR data.
func (f *inferFunc) run(ctx context.Context, c *call, cols []vectorColumn, in []models.Column, n int) (*core.Chunk, error) {
	var find func() (core.Distinct, bool)
	if inferDistinct {
		d := duckvec.GetDistinct()
		defer duckvec.PutDistinct(d)
		find = func() (core.Distinct, bool) {
			rv, ok := cols[0].raw(n)
			if !ok || rv.typ != duckdb.TYPE_VARCHAR || !d.Load(rv.data, rv.mask, n) {
				return core.Distinct{}, false
			}
			return core.Distinct{Uniq: d.Uniq, First: d.First, Of: d.Of}, true
		}
	}
	return c.Run(ctx, f.fns.Threads.Current(), in, n, find)
}

// writeRegress sets each row's predicted value (or list of values), or NULL.
func writeRegress(st *duckdb.ChunkIteratorState, ch *core.Chunk, list bool) error {
	out := ch.Output().(*models.RegressData)
	if !list {
		res := st.GetResultVector()
		if mv, ok := mappingVector(&res); ok {
			writeDoubles(mv, ch, out, st.GetInputChunk().GetSize())
			return nil
		}
	}
	// Rows() reads every argument of every row (boxed), so it is only the fallback.
	return setRows(st, ch, func(i int) any {
		if list {
			return out.Row(i) // SetResult copies it into the vector now
		}
		return out.Row(i)[0]
	})
}

// writeDoubles writes one prediction per row straight into a DOUBLE result vector's
// data, and NULL where a row has none.
func writeDoubles(mv mapping.Vector, ch *core.Chunk, out *models.RegressData, n int) {
	data := unsafe.Slice((*float64)(mapping.VectorGetData(mv)), n)
	var mask unsafe.Pointer
	for r := range n {
		i := ch.Result(r)
		if i >= 0 {
			data[r] = out.Row(i)[0]
			continue
		}
		if mask == nil {
			mapping.VectorEnsureValidityWritable(mv)
			mask = mapping.VectorGetValidity(mv)
		}
		mapping.ValiditySetRowInvalid(mask, mapping.IdxT(r))
	}
}

// classifyResultType is ml_infer's result: the two output columns as a STRUCT, which
// the macro takes apart with struct_extract (a reference to each field's vector, no
// copy; slicing one packed VARCHAR cost more than the model on light tasks).
func classifyResultType() duckdb.TypeInfo {
	varchar, _ := duckdb.NewTypeInfo(duckdb.TYPE_VARCHAR)
	label, _ := duckdb.NewStructEntry(varchar, predictOutputs[0])
	conf, _ := duckdb.NewStructEntry(varchar, predictOutputs[1])
	t, err := duckdb.NewStructInfo(label, conf)
	if err != nil {
		panic(err) // fixed, valid names: cannot fail
	}
	return t
}

// writeClasses fills ml_infer's STRUCT result (classifyResultType) with each row's
// label and confidence for n rows, or NULL: in one cgo call (writeClassStructs), or through
// duckdb-go's boxed rows when the raw-vector adapter is unavailable.
func writeClasses(st *duckdb.ChunkIteratorState, n int, ch *core.Chunk) error {
	res := st.GetResultVector()
	mv, ok := mappingVector(&res)
	if !ok {
		return writeClassStructsPerValue(st, ch)
	}
	writeClassStructs(mv, ch.Output().(*models.ClassData), ch.Results()[:n])
	return nil
}

// writeProbs fills ml_infer_probs' packed VARCHAR result (sqlgen.AppendProbsResult) for
// n rows, or NULL: packed into one buffer and written in one cgo call (capi.go), or
// through duckdb-go's writer when the raw-vector adapter is unavailable.
func writeProbs(st *duckdb.ChunkIteratorState, n int, ch *core.Chunk) error {
	res := st.GetResultVector()
	mv, ok := mappingVector(&res)
	if !ok {
		return writeProbsPerValue(res, n, ch)
	}
	out := ch.Output().(*models.ClassData)
	w := stringWriters.Get().(*stringWriter)
	defer stringWriters.Put(w)
	w.reset(n)
	var ps []float64
	for r := range n {
		i := ch.Result(r)
		if i < 0 {
			w.null(r)
			continue
		}
		ps = out.Probabilities(ps[:0], i)
		w.buf = sqlgen.AppendProbsResult(w.buf, out.Label(i), out.Confidence[i], ps)
		w.end()
	}
	if err := duckvec.CheckPacked(len(w.buf)); err != nil {
		return err
	}
	w.flush(mv)
	return nil
}

// writeClassStructsPerValue is ml_infer's STRUCT result through duckdb-go's boxed rows:
// the fallback when the raw-vector adapter is unavailable.
func writeClassStructsPerValue(st *duckdb.ChunkIteratorState, ch *core.Chunk) error {
	out := ch.Output().(*models.ClassData)
	return setRows(st, ch, func(i int) any {
		return map[string]any{
			predictOutputs[0]: out.Label(i),
			predictOutputs[1]: string(models.AppendConfidence(nil, out.Confidence[i])),
		}
	})
}

// setRows sets each chunk row's result through duckdb-go's boxed rows (the slow path):
// value(i) for a row whose model row is i, NULL for the others.
func setRows(st *duckdb.ChunkIteratorState, ch *core.Chunk, value func(i int) any) error {
	r := 0
	for row, err := range st.Rows() {
		if err != nil {
			return core.Wrap(err)
		}
		var v any
		if i := ch.Result(r); i >= 0 {
			v = value(i)
		}
		if err := row.SetResult(v); err != nil {
			return core.Wrap(err)
		}
		r++
	}
	return nil
}

// writeProbsPerValue is writeProbs through duckdb-go's VectorWriter, two cgo calls per
// row: the fallback.
func writeProbsPerValue(res duckdb.Vector, n int, ch *core.Chunk) error {
	w, err := duckdb.GetVectorWriter[string](res)
	if err != nil {
		return core.Wrap(err)
	}
	out := ch.Output().(*models.ClassData)
	var buf []byte
	var ps []float64
	for r := range n {
		i := ch.Result(r)
		if i < 0 {
			if err := w.SetNull(r); err != nil {
				return core.Wrap(err)
			}
			continue
		}
		ps = out.Probabilities(ps[:0], i)
		buf = sqlgen.AppendProbsResult(buf[:0], out.Label(i), out.Confidence[i], ps)
		// Set copies the bytes into DuckDB, so a view of the reused buffer is safe.
		if err := w.Set(r, unsafe.String(unsafe.SliceData(buf), len(buf))); err != nil {
			return core.Wrap(err)
		}
	}
	return nil
}
