package udf

import (
	"database/sql/driver"

	"github.com/duckdb/duckdb-go/v2"
)

// ml_task_inputs(task, columns) returns the input columns ml_predict reads, in the
// order of the task's inputs: columns := [...] when given, else the task's own. The
// macro unpacks them with *COLUMNS at bind time. It takes task and columns as ANY so
// that a wrong type gets ml_predict's message rather than "No function matches".
type taskInputsFunc struct{ env *Env }

func (f *taskInputsFunc) Config() duckdb.ScalarFuncConfig {
	anyT, _ := duckdb.NewTypeInfo(duckdb.TYPE_ANY)
	varchar, _ := duckdb.NewTypeInfo(duckdb.TYPE_VARCHAR)
	list, _ := duckdb.NewListInfo(varchar)
	return duckdb.ScalarFuncConfig{InputTypeInfos: []duckdb.TypeInfo{anyT, anyT}, ResultTypeInfo: list, SpecialNullHandling: true}
}

func (f *taskInputsFunc) Executor() duckdb.ScalarFuncExecutor {
	return duckdb.ScalarFuncExecutor{RowExecutor: func(values []driver.Value) (any, error) {
		_, cols, err := f.env.InputColumns(values[0], values[1])
		return cols, err
	}}
}
