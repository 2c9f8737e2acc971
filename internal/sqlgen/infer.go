package sqlgen

import (
	"strings"

	"github.com/duckinfer/duckinfer/internal/core"
)

// Positions of ml_infer's fixed arguments, as PredictSQL writes them; the task's input
// columns follow. Both bindings read them through BindInfer.
const (
	ArgTask = iota
	ArgColumns
	ArgBatchSize
	ArgDevice
	ArgModelsPerGPU
	ArgGPUMemLimitMB
	ArgOnError
	ArgConn  // the calling connection's id, for the executing statement's context
	ArgText  // text options, PackText's form
	ArgOrder // the input columns' order as passed, typeof(struct_pack(columns...)); see ArgPositions
	NumFixedArgs
)

// BindInfer binds one ml_infer* call site: opt(i) is fixed argument i as a string ("" for
// not given), argc the number of arguments, and kind the task kind the function writes.
// It returns the core's call and each input column's argument position after the fixed
// ones.
func BindInfer(env *core.Env, opt func(int) string, argc int, kind string) (*core.Call, []int, error) {
	req := core.Request{
		Task: opt(ArgTask), BatchSize: opt(ArgBatchSize), Device: opt(ArgDevice),
		ModelsPerGPU: opt(ArgModelsPerGPU), GPUMemLimitMB: opt(ArgGPUMemLimitMB), OnError: opt(ArgOnError),
	}
	UnpackText(&req, opt(ArgText))
	if v := opt(ArgColumns); v != "" {
		// The macro joins the list with Sep: a binding may not fold LIST arguments.
		req.Columns = strings.Split(v, Sep)
	}
	cc, err := env.Bind(req)
	if err != nil {
		return nil, nil, err
	}
	if got, want := argc-NumFixedArgs, len(cc.Columns); got != want {
		return nil, nil, core.ArgErrorf("task %q reads %d column(s) (%s), but ml_infer got %d; call ml_predict instead", cc.Task.Name, want, strings.Join(cc.Columns, ", "), got)
	}
	if cc.Task.Config.Kind != kind {
		return nil, nil, core.ArgErrorf("task %q is a %s task, which this function does not write; call ml_predict instead", cc.Task.Name, cc.Task.Config.Kind)
	}
	pos, err := ArgPositions(opt(ArgOrder), cc.Columns)
	if err != nil {
		return nil, nil, err
	}
	return cc, pos, nil
}
