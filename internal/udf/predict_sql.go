package udf

import (
	"database/sql/driver"

	"github.com/duckdb/duckdb-go/v2"

	"github.com/duckinfer/duckinfer/internal/sqlgen"
)

// ml_predict_sql(task, input, columns, batch_size, device, models_per_gpu,
// gpu_mem_limit_mb, on_error, conn, probabilities) writes the query ml_predict runs, for the task's
// output kind: a DuckDB function's result type is fixed when it is registered, so a
// classify task and a regress task need different functions and output columns, and
// only generated SQL can pick them. The macro reads it with query(), which evaluates it
// at bind inside the caller's query (temp tables and transaction stay visible). Options
// arrive as VARCHAR (the empty string for "not given") and reach ml_infer as literals.
type predictSQLFunc struct{ env *Env }

func (f *predictSQLFunc) Config() duckdb.ScalarFuncConfig {
	anyT, _ := duckdb.NewTypeInfo(duckdb.TYPE_ANY)
	varchar, _ := duckdb.NewTypeInfo(duckdb.TYPE_VARCHAR)
	in := make([]duckdb.TypeInfo, sqlgen.PSNumArgs)
	for i := range in {
		in[i] = anyT
	}
	return duckdb.ScalarFuncConfig{InputTypeInfos: in, ResultTypeInfo: varchar, SpecialNullHandling: true}
}

func (f *predictSQLFunc) Executor() duckdb.ScalarFuncExecutor {
	return duckdb.ScalarFuncExecutor{RowExecutor: f.sql}
}

func (f *predictSQLFunc) sql(v []driver.Value) (any, error) {
	args := make([]any, len(v))
	for i, x := range v {
		args[i] = x
	}
	// The statement's context, found as ml_infer's execute finds it (conncontext.go):
	// a regress or embed task's model is checked here, and a cancel ends that wait.
	var conn string
	if len(args) == sqlgen.PSNumArgs {
		conn, _ = args[sqlgen.PSConn].(string)
	}
	q, err := sqlgen.PredictSQL(f.env.conns.current(connArg(conn)), f.env.Env, args)
	if err != nil {
		return nil, err
	}
	return q, nil
}
