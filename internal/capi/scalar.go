package capi

/*
#include "capi.h"
*/
import "C"

import (
	"context"
	"encoding/json"
	"errors"
	"runtime/cgo"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/duckinfer/duckinfer/internal/core"
	"github.com/duckinfer/duckinfer/internal/duckvec"
	"github.com/duckinfer/duckinfer/internal/models"
	"github.com/duckinfer/duckinfer/internal/partitions"
	"github.com/duckinfer/duckinfer/internal/sqlgen"
)

// numFixedArgs is the count of ml_infer's arguments before the task's input columns:
// its packed options (sqlgen's contract).
const numFixedArgs = sqlgen.NumInferArgs

// bound is what a scalar function's bind leaves for its executions.
type bound struct {
	call  *core.Call // ml_infer*
	pos   []int      // argument position of each of call.Columns, after the fixed ones
	sql   string     // ml_predict_sql: the query
	later bool       // ml_predict_sql: an argument was unknown at bind, the query is written at execution
	env   *core.Env  // ml_keep_column, and ml_predict_sql when later
	task  any        // ml_keep_column's task and [columns, *] arguments
	cols  any
	count int // argument count, for checks at execution

	threads *partitions.Threads

	// refs counts DuckDB's copies of the bind data (goHandleCopy, goHandleDelete):
	// the last one deleted closes call, so a statement's sessions go with it.
	refs atomic.Int32
}

// drop is one copy of b's bind data deleted.
func (b *bound) drop() {
	if b.refs.Add(-1) == 0 && b.call != nil {
		b.call.Close()
	}
}

// errNotConstant says an argument must be known at bind.
var errNotConstant = errors.New("must be a constant (not a column or subquery)")

// bindArgs folds the first n arguments to Go values (see goValue).
func bindArgs(info C.duckdb_bind_info, n int) ([]any, error) {
	out, unknown, err := foldArgs(info, n)
	if err == nil && unknown > 0 {
		err = core.ArgErrorf("argument %d %v", unknown, errNotConstant)
	}
	return out, err
}

// foldArgs folds the first n arguments to Go values (see goValue); unknown is the
// position (from 1) of the first that is not a constant at bind (a column, a subquery,
// a prepared statement's parameter), 0 when all are. An argument that fails to fold (a
// cast out of range) is err, in DuckDB's words, as the Go binding reports it; the other
// arguments are folded all the same, so that the caller can tell whose words to use
// (ml_predict_sql's embed flag).
func foldArgs(info C.duckdb_bind_info, n int) (out []any, unknown int, err error) {
	out = make([]any, n)
	for i := range n {
		var cerr *C.char
		v := C.di_bind_arg(info, C.idx_t(i), &cerr)
		if v == nil {
			if cerr != nil {
				if err == nil {
					err = core.Wrap(errors.New(duckdbError(C.GoString(cerr))))
				}
				C.free(unsafe.Pointer(cerr))
			} else if unknown == 0 {
				unknown = i + 1
			}
			continue
		}
		out[i] = goValue(v)
		C.di_destroy_value(v)
	}
	return out, unknown, err
}

// duckdbError is DuckDB's error data text (duckdb_error_data_message) as DuckDB
// itself words it, "Conversion Error: ...": the C API gives the exception serialised
// as JSON ({"exception_type":"Conversion","exception_message":"..."}). Other text
// passes unchanged.
func duckdbError(raw string) string {
	var e struct {
		Type    string `json:"exception_type"`
		Message string `json:"exception_message"`
	}
	if json.Unmarshal([]byte(raw), &e) != nil || e.Message == "" {
		return raw
	}
	if e.Type == "" {
		return e.Message
	}
	return e.Type + " Error: " + e.Message
}

// goValue turns a constant into the Go value the Go binding would see where the code
// reads one: nil, a string, a []any (LIST or ARRAY), an int32 or int64, or else a
// core.SQLValue, so that a DECIMAL, DATE, ... is refused where a string is due
// rather than read as its SQL text.
func goValue(v C.duckdb_value) any {
	if C.di_value_is_null(v) != 0 {
		return nil
	}
	switch t := C.di_value_type(v); t {
	case C.DUCKDB_TYPE_VARCHAR:
		return goString(C.di_value_varchar(v))
	case C.DUCKDB_TYPE_ENUM, C.DUCKDB_TYPE_STRING_LITERAL:
		// Its text as a VARCHAR: an ENUM's label, as duckdb-go reads it
		// (duckdb_value_to_string would give the SQL literal, quotes and all).
		return goString(C.di_value_varchar(v))
	case C.DUCKDB_TYPE_LIST:
		n := int(C.di_value_list_size(v))
		l := make([]any, n)
		for i := range n {
			c := C.di_value_list_child(v, C.idx_t(i))
			l[i] = goValue(c)
			C.di_destroy_value(c)
		}
		return l
	case C.DUCKDB_TYPE_ARRAY:
		// The value API reads no ARRAY's elements (its list size is 0): read them
		// from a vector holding it, as at execution.
		vec := C.di_value_vector(v)
		defer C.di_destroy_vector(vec)
		return argValue(vec, 0)
	case C.DUCKDB_TYPE_TINYINT, C.DUCKDB_TYPE_SMALLINT, C.DUCKDB_TYPE_INTEGER:
		return int32(C.di_value_int64(v))
	case C.DUCKDB_TYPE_BIGINT:
		return int64(C.di_value_int64(v))
	default:
		return core.SQLValue{Type: typeName(t), Text: goString(C.di_value_varchar(v))}
	}
}

func (d *dbEnv) bindEnv(info C.duckdb_bind_info) (*core.Env, error) {
	name := cString(ModelsSetting)
	defer C.free(unsafe.Pointer(name))
	return d.env(goString(C.di_bind_option(info, name)))
}

//export goScalarBind
func goScalarBind(info C.duckdb_bind_info, kind C.int, envh C.uintptr_t) {
	defer func() {
		if p := recover(); p != nil {
			bindError(info, internalError("bind", scalarName(kind), p))
		}
	}()
	if testHooks {
		testHookPanic("bind", scalarName(kind))
	}
	d := cgo.Handle(envh).Value().(*dbEnv)
	b, err := d.bind(info, kind)
	if err != nil {
		bindError(info, err)
		return
	}
	b.refs.Store(1)
	C.di_set_bind_data(info, C.uintptr_t(cgo.NewHandle(b)))
}

func bindError(info C.duckdb_bind_info, err error) {
	msg := errString(err)
	C.di_bind_error(info, msg)
	C.free(unsafe.Pointer(msg))
}

func (d *dbEnv) bind(info C.duckdb_bind_info, kind C.int) (*bound, error) {
	env, err := d.bindEnv(info)
	if err != nil {
		return nil, err
	}
	argc := int(C.di_bind_argc(info))
	switch kind {
	case C.DI_PREDICT_SQL:
		v, unknown, err := foldArgs(info, argc)
		if err != nil {
			if argc == sqlgen.PSNumArgs && v[sqlgen.PSEmbed] == "true" {
				err = core.InFunc(core.FuncFor(models.OutputEmbed), err) // called by ml_embed
			}
			return nil, err
		}
		if unknown > 0 {
			// A prepared statement's parameter ($1, ?) is unknown at PREPARE: query()
			// then asks DuckDB to bind the statement again at EXECUTE, with the values
			// as constants, and refuses a column or subquery itself. Refusing here would
			// fail the PREPARE. Should the function run all the same (called directly),
			// it writes each row's query from that row's values, as the Go binding's does.
			return &bound{env: env, later: true, count: argc}, nil
		}
		q, err := sqlgen.PredictSQL(context.Background(), env, v) // no interrupt reaches a bind here
		if err != nil {
			return nil, err
		}
		return &bound{sql: q, count: argc}, nil
	case C.DI_KEEP_COLUMN:
		v, err := bindArgs(info, 2)
		if err != nil {
			return nil, err
		}
		return &bound{env: env, task: v[0], cols: v[1], count: argc}, nil
	}
	if argc < numFixedArgs {
		return nil, core.ArgErrorf("ml_infer takes its options and the input columns; call ml_predict instead")
	}
	v, err := bindArgs(info, numFixedArgs)
	if err != nil {
		return nil, err
	}
	packed, _ := v[0].(string)
	fnKind := models.OutputClassify
	switch kind {
	case C.DI_INFER_REGRESS, C.DI_INFER_REGRESS_LIST:
		fnKind = models.OutputRegress
	case C.DI_INFER_EMBED:
		fnKind = models.OutputEmbed
	}
	// Background: DuckDB's C API tells a bind nothing about an interrupt.
	cc, pos, _, err := sqlgen.BindInfer(context.Background(), env, packed, argc, fnKind)
	if err != nil {
		return nil, err
	}
	return &bound{call: cc, pos: pos, count: argc, threads: d.threads}, nil
}

//export goScalar
func goScalar(info C.duckdb_function_info, input C.duckdb_data_chunk, output C.duckdb_vector, kind C.int) {
	defer func() {
		if p := recover(); p != nil {
			scalarError(info, internalError("execution", scalarName(kind), p))
		}
	}()
	if testHooks {
		testHookPanic("scalar", scalarName(kind))
	}
	if err := scalar(info, input, output, kind); err != nil {
		scalarError(info, err)
	}
}

func scalarError(info C.duckdb_function_info, err error) {
	msg := errString(err)
	C.di_scalar_error(info, msg)
	C.free(unsafe.Pointer(msg))
}

func scalar(info C.duckdb_function_info, input C.duckdb_data_chunk, output C.duckdb_vector, kind C.int) error {
	h := uintptr(C.di_bind_data(info))
	if h == 0 {
		return core.ArgErrorf("duckinfer: a function was called without its bind data; call ml_predict instead")
	}
	b := cgo.Handle(h).Value().(*bound)
	n := int(C.di_chunk_size(input))
	if n == 0 {
		return nil
	}
	switch kind {
	case C.DI_PREDICT_SQL:
		if b.later {
			return predictSQLRows(b, input, output, n)
		}
		return writeStrings(output, n, func(_ int, buf []byte) ([]byte, bool) { return append(buf, b.sql...), true })
	case C.DI_KEEP_COLUMN:
		col := vecColumn{vec: C.di_chunk_vector(input, 2), n: n}
		names := make([]string, n)
		valid := make([]bool, n)
		for r := range valid {
			valid[r] = true
		}
		if err := col.Strings(names, valid); err != nil {
			return err
		}
		cols := b.cols
		if pair, ok := cols.([]any); ok && len(pair) == 2 {
			// The input's names as folded at bind are C strings, cut at a NUL byte; the
			// argument's vector holds them whole.
			all, err := listStrings(C.di_chunk_vector(input, 1), 1)
			if err != nil {
				return core.ArgErrorf("ml_keep_column's second argument: %v; call ml_predict instead", err)
			}
			cols = []any{pair[0], all}
		}
		keep, err := sqlgen.KeepColumns(b.env, b.task, cols, names)
		if err != nil {
			return err
		}
		out := unsafe.Slice((*bool)(C.di_vector_data(output)), n)
		copy(out, keep)
		return nil
	}
	c := b.call
	cols := make([]vecColumn, len(c.Columns))
	in := make([]models.Column, len(c.Columns))
	for i, name := range c.Columns {
		cols[i] = vecColumn{name: name, vec: C.di_chunk_vector(input, C.idx_t(numFixedArgs+b.pos[i])), n: n}
		in[i] = &cols[i]
	}
	ch, err := run(b, cols, in, n)
	if err != nil {
		return err
	}
	defer c.Release(ch)
	switch kind {
	case C.DI_INFER_REGRESS:
		out := ch.Output().(*models.RegressData)
		data := unsafe.Slice((*float64)(C.di_vector_data(output)), n)
		for r := range n {
			if i := ch.Result(r); i >= 0 {
				data[r] = out.Row(i)[0]
			} else {
				C.di_set_invalid(output, C.idx_t(r))
			}
		}
		return nil
	case C.DI_INFER_REGRESS_LIST:
		return writeDoubleLists(output, n, ch)
	case C.DI_INFER_EMBED:
		return writeFloatLists(output, n, ch)
	}
	out := ch.Output().(*models.ClassData)
	if kind != C.DI_INFER_PROBS {
		writeClasses(output, n, ch, out)
		return nil
	}
	var ps []float64
	return writeStrings(output, n, func(r int, b []byte) ([]byte, bool) {
		i := ch.Result(r)
		if i < 0 {
			return b, false
		}
		ps = out.Probabilities(ps[:0], i)
		return sqlgen.AppendProbsResult(b, out.Label(i), out.Confidence[i], ps), true
	})
}

// predictSQLRows is ml_predict_sql's result for arguments unknown at bind: each row's
// query, from that row's arguments.
func predictSQLRows(b *bound, input C.duckdb_data_chunk, output C.duckdb_vector, n int) error {
	qs := make([]string, n)
	args := make([]any, b.count)
	for r := range n {
		for i := range args {
			args[i] = argValue(C.di_chunk_vector(input, C.idx_t(i)), r)
		}
		q, err := sqlgen.PredictSQL(context.Background(), b.env, args)
		if err != nil {
			return err
		}
		qs[r] = q
	}
	return writeStrings(output, n, func(r int, buf []byte) ([]byte, bool) { return append(buf, qs[r]...), true })
}

// run infers the chunk; the core asks find for its distinct values when they may
// pay (core.Call.Run), which reads the first column's VARCHAR data. The C API tells a
// scalar function nothing about cancellation: an interrupted query stops calling it
// between chunks.
func run(b *bound, cols []vecColumn, in []models.Column, n int) (*core.Chunk, error) {
	d := duckvec.GetDistinct()
	defer duckvec.PutDistinct(d)
	find := func() (core.Distinct, bool) {
		if cols[0].info().id != C.DUCKDB_TYPE_VARCHAR || !d.Load(unsafe.Pointer(C.di_vector_data(cols[0].vec)), cols[0].mask(n), n) {
			return core.Distinct{}, false
		}
		return core.Distinct{Uniq: d.Uniq, First: d.First, Of: d.Of}, true
	}
	return b.call.Run(context.Background(), b.threads.Current(), in, n, find)
}

// writeStrings fills a VARCHAR vector in one C call: row r is what appendRow appends,
// or NULL when it says so. The rows are packed into pooled buffers (stringRows).
func writeStrings(v C.duckdb_vector, n int, appendRow func(r int, b []byte) ([]byte, bool)) error {
	p := stringRowsPool.Get().(*stringRows)
	defer stringRowsPool.Put(p)
	p.buf = p.buf[:0]
	p.off = duckvec.Grow(p.off, n+1)
	p.off[0] = 0
	p.null = p.null[:0]
	for r := range n {
		var ok bool
		p.buf, ok = appendRow(r, p.buf)
		if !ok {
			if len(p.null) == 0 {
				p.null = duckvec.Grow(p.null, n)
				clear(p.null)
			}
			p.null[r] = 1
		}
		p.off[r+1] = uint32(len(p.buf))
	}
	if err := duckvec.CheckPacked(len(p.buf)); err != nil {
		return err
	}
	var nullp *C.uint8_t // nil: no NULL row
	if len(p.null) > 0 {
		nullp = (*C.uint8_t)(unsafe.Pointer(&p.null[0]))
	}
	C.di_assign_strings(v, C.idx_t(n), (*C.char)(unsafe.Pointer(unsafe.SliceData(p.buf))), (*C.uint32_t)(unsafe.Pointer(&p.off[0])), nullp)
	return nil
}

// writeClasses fills ml_infer's STRUCT(predicted_class, confidence) result for n chunk
// rows in one C call (duckvec.WriteClassStruct): each row's label and its confidence,
// or NULL.
func writeClasses(v C.duckdb_vector, n int, ch *core.Chunk, out *models.ClassData) {
	labels, ends := out.PackedLabels()
	duckvec.WriteClassStruct(unsafe.Pointer(C.di_vec_api()), unsafe.Pointer(v), ch.Results()[:n], out.Class, out.Confidence, labels, ends)
}

// stringRows is one chunk's result strings packed for writeStrings' C call: row r is
// buf[off[r]:off[r+1]]; null[r] is 1 for a NULL row (nil when there is none). Pooled:
// its buffers are reused from chunk to chunk.
type stringRows struct {
	buf  []byte
	off  []uint32
	null []uint8
}

var stringRowsPool = sync.Pool{New: func() any { return new(stringRows) }}

func writeDoubleLists(v C.duckdb_vector, n int, ch *core.Chunk) error {
	out := ch.Output().(*models.RegressData)
	return writeLists(v, n, ch, out.Row)
}

// writeFloatLists writes ml_infer_embed's result: each row's embedding, or NULL.
func writeFloatLists(v C.duckdb_vector, n int, ch *core.Chunk) error {
	out := ch.Output().(*models.EmbedData)
	return writeLists(v, n, ch, out.Row)
}

// writeLists fills a LIST vector of float64 or float32 elements from each result row.
func writeLists[T float32 | float64](v C.duckdb_vector, n int, ch *core.Chunk, row func(int) []T) error {
	var vals []T
	off := make([]uint64, n+1)
	null := make([]uint8, n)
	for r := range n {
		if i := ch.Result(r); i >= 0 {
			vals = append(vals, row(i)...)
		} else {
			null[r] = 1
		}
		off[r+1] = uint64(len(vals))
	}
	var valp unsafe.Pointer
	if len(vals) > 0 {
		valp = unsafe.Pointer(&vals[0])
	}
	var zero T
	if C.di_write_lists(v, C.idx_t(n), valp, C.size_t(unsafe.Sizeof(zero)), (*C.uint64_t)(unsafe.Pointer(&off[0])), (*C.uint8_t)(unsafe.Pointer(&null[0]))) == 0 {
		return core.ArgErrorf("duckinfer: writing the result lists failed (out of memory?)")
	}
	return nil
}
