package udf

import (
	"context"
	"strings"

	"github.com/duckdb/duckdb-go/v2"

	"github.com/duckinfer/duckinfer/internal/core"
	"github.com/duckinfer/duckinfer/internal/models"
)

// ml_keep_column(task, columns, name) says whether an input column passes through to
// ml_predict's output (every column except those an output replaces). The macro calls
// it in a COLUMNS lambda, which DuckDB evaluates at bind over the list of all input
// column names in one vector; that is the one place that sees both the input's columns
// and the task, so it checks there that the task's input columns exist.
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
	task, cols, err := f.env.InputColumns(taskArg, colsArg)
	if err != nil {
		return err
	}
	names := make([]string, n)
	for r := range n {
		v, err := chunk.GetValue(2, r)
		if err != nil {
			return core.Wrap(err)
		}
		names[r], _ = v.(string)
	}
	// DuckDB hands the lambda all names in one vector unless there are more than a
	// vector's worth; then a part cannot tell a missing column, and DuckDB's own
	// binder error still names it.
	if n < duckdb.GetDataChunkCapacity() {
		if err := core.CheckColumnsPresent(task, cols, names); err != nil {
			return err
		}
	}
	for _, name := range names {
		if strings.EqualFold(name, packedColumn) {
			return core.ArgErrorf("the input has a column named %q, which ml_predict uses for its own result; rename it in the input query (SELECT ... AS other_name)", name)
		}
	}
	r := 0
	for row, err := range st.Rows() {
		if err != nil {
			return core.Wrap(err)
		}
		if err := row.SetResult(!isOutputName(task, names[r])); err != nil {
			return core.Wrap(err)
		}
		r++
	}
	return nil
}

func isOutputName(task *models.Task, name string) bool {
	outs := predictOutputs
	switch task.Config.Kind {
	case models.OutputRegress:
		outs = regressOutputs
	case models.OutputEmbed:
		outs = embedOutputs
	}
	for _, o := range outs {
		if strings.EqualFold(name, o) {
			return true
		}
	}
	return false
}
