package sqlgen

import (
	"context"
	"strconv"
	"strings"

	"github.com/duckinfer/duckinfer/internal/core"
)

// Positions of ml_infer's options in its packed options argument (OptionsSQL), as
// PredictSQL writes them. Both bindings read them through UnpackOptions and BindInfer.
const (
	ArgTask = iota
	ArgColumns
	ArgBatchSize
	ArgDevice
	ArgModelsPerGPU
	ArgGPUMemLimitMB
	ArgOnError
	ArgConn    // the calling connection's id, for the executing statement's context
	ArgText    // text options, PackText's form
	ArgThreads // DuckDB's threads setting as the query binds (core.Request.Threads)
	ArgOrder   // the input columns' order as passed, typeof(struct_pack(columns...)); see ArgPositions
	NumFixedArgs
)

// ThreadsSQL is ArgThreads' expression: folded to a constant at bind, like the order.
const ThreadsSQL = "current_setting('threads')::VARCHAR"

// NumInferArgs is the count of ml_infer*'s SQL arguments before the task's input
// columns: the one packed options argument. DuckDB's C API flattens every argument of a
// scalar function for every chunk, so ten constant VARCHARs cost ten 2048-row copies per
// chunk where one costs one.
const NumInferArgs = 1

// OptionsSQL writes ml_infer's packed options argument: opts are the options before
// ArgThreads as literals (each as its length, ':' and its bytes, so no value needs
// escaping), then ThreadsSQL's digits and ':', and order the SQL expression for
// ArgOrder, appended last with || (DuckDB folds both to a constant at bind).
func OptionsSQL(opts []string, order string) string {
	var b strings.Builder
	for _, o := range opts {
		b.WriteString(strconv.Itoa(len(o)))
		b.WriteByte(':')
		b.WriteString(o)
	}
	return Quote(b.String()) + " || " + ThreadsSQL + " || ':' || " + order
}

// UnpackOptions reads OptionsSQL's value back into NumFixedArgs strings.
func UnpackOptions(v string) ([]string, error) {
	opts := make([]string, NumFixedArgs)
	for i := range ArgThreads {
		n, rest, ok := strings.Cut(v, ":")
		l, err := strconv.Atoi(n)
		if !ok || err != nil || l < 0 || l > len(rest) {
			return nil, core.ArgErrorf("ml_infer: cannot read option %d from its options argument; call ml_predict instead", i+1)
		}
		opts[i], v = rest[:l], rest[l:]
	}
	threads, order, ok := strings.Cut(v, ":")
	if !ok {
		return nil, core.ArgErrorf("ml_infer: cannot read option %d from its options argument; call ml_predict instead", ArgThreads+1)
	}
	opts[ArgThreads], opts[ArgOrder] = threads, order
	return opts, nil
}

// BindInfer binds one ml_infer* call site: ctx is the binding statement's (Env.Bind),
// packed is its options argument as folded at bind (OptionsSQL's value), argc the
// number of arguments, and kind the task kind the function writes. It returns the core's call, each input column's position among the
// arguments after the options, and the options themselves (UnpackOptions; "" for not
// given).
func BindInfer(ctx context.Context, env *core.Env, packed string, argc int, kind string) (*core.Call, []int, []string, error) {
	cc, pos, opts, err := bindInfer(ctx, env, packed, argc, kind)
	// ml_infer_embed runs for ml_embed, the others for ml_predict.
	return cc, pos, opts, core.InFunc(core.FuncFor(kind), err)
}

func bindInfer(ctx context.Context, env *core.Env, packed string, argc int, kind string) (*core.Call, []int, []string, error) {
	opts, err := UnpackOptions(packed)
	if err != nil {
		return nil, nil, nil, err
	}
	req := core.Request{
		Task: opts[ArgTask], BatchSize: opts[ArgBatchSize], Device: opts[ArgDevice],
		ModelsPerGPU: opts[ArgModelsPerGPU], GPUMemLimitMB: opts[ArgGPUMemLimitMB], OnError: opts[ArgOnError],
	}
	UnpackText(&req, opts[ArgText])
	req.Threads = opts[ArgThreads]
	if v := opts[ArgColumns]; v != "" {
		// The macro joins the list with Sep: a binding may not fold LIST arguments.
		req.Columns = strings.Split(v, Sep)
	}
	cc, err := env.Bind(ctx, req)
	if err != nil {
		return nil, nil, nil, err
	}
	pos, err := inferPositions(cc, opts[ArgOrder], argc, kind)
	if err != nil {
		cc.Close() // not handed out: its sessions need not wait for the collector
		return nil, nil, nil, err
	}
	return cc, pos, opts, nil
}

// inferPositions checks a bound call against its call site (argument count, kind)
// and finds each input column's argument position.
func inferPositions(cc *core.Call, order string, argc int, kind string) ([]int, error) {
	if got, want := argc-NumInferArgs, len(cc.Columns); got != want {
		return nil, core.ArgErrorf("task %q reads %d column(s) (%s), but ml_infer got %d; call ml_predict instead", cc.Task.Name, want, strings.Join(cc.Columns, ", "), got)
	}
	if cc.Task.Config.Kind != kind {
		return nil, core.ArgErrorf("task %q is a %s task, which this function does not write; call ml_predict instead", cc.Task.Name, cc.Task.Config.Kind)
	}
	return ArgPositions(order, cc.Columns)
}
