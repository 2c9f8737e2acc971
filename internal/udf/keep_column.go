package udf

import (
	"context"

	"github.com/duckdb/duckdb-go/v2"

	"github.com/duckinfer/duckinfer/internal/core"
	"github.com/duckinfer/duckinfer/internal/sqlgen"
)

// ml_keep_column(task, [columns, *], name) says whether an input column passes through
// to ml_predict's output (every column except those an output replaces). The macro
// calls it in a COLUMNS lambda, which DuckDB evaluates at bind over the list of all
// input column names, a vector's worth per call; its second argument holds every name
// (sqlgen.KeepColumnSQL). That is the one place that sees both the input's columns and
// the task, so it checks there that the task's input columns exist.
type keepColumnFunc struct{ env *Env }

func (f *keepColumnFunc) Config() duckdb.ScalarFuncConfig {
	anyT, _ := duckdb.NewTypeInfo(duckdb.TYPE_ANY)
	varchar, _ := duckdb.NewTypeInfo(duckdb.TYPE_VARCHAR)
	boolean, _ := duckdb.NewTypeInfo(duckdb.TYPE_BOOLEAN)
	return duckdb.ScalarFuncConfig{InputTypeInfos: []duckdb.TypeInfo{anyT, anyT, varchar}, ResultTypeInfo: boolean, SpecialNullHandling: true}
}

func (f *keepColumnFunc) Executor() duckdb.ScalarFuncExecutor {
	return duckdb.ScalarFuncExecutor{ChunkContextExecutor: f.execute}
}

func (f *keepColumnFunc) execute(_ context.Context, st *duckdb.ChunkIteratorState) error {
	chunk := st.GetInputChunk()
	n := chunk.GetSize()
	if n == 0 {
		return nil
	}
	taskArg, err := chunk.GetValue(0, 0)
	if err != nil {
		return core.Wrap(err)
	}
	colsArg, err := chunk.GetValue(1, 0)
	if err != nil {
		return core.Wrap(err)
	}
	names := make([]string, n)
	for r := range n {
		v, err := chunk.GetValue(2, r)
		if err != nil {
			return core.Wrap(err)
		}
		names[r], _ = v.(string)
	}
	keep, err := sqlgen.KeepColumns(f.env.Env, taskArg, colsArg, names)
	if err != nil {
		return err
	}
	r := 0
	for row, err := range st.Rows() {
		if err != nil {
			return core.Wrap(err)
		}
		if err := row.SetResult(keep[r]); err != nil {
			return core.Wrap(err)
		}
		r++
	}
	return nil
}
