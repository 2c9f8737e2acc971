package udf

import (
	"context"
	"database/sql/driver"
	"fmt"
	"strings"

	"github.com/duckdb/duckdb-go/v2"

	"github.com/duckinfer/duckinfer/models"
)

// ml_task_inputs(task, columns) returns the input columns ml_predict reads, in the
// order of the task's inputs: columns := [...] when given, else the task's own. The
// macro unpacks them with *COLUMNS at bind time.
//
// ml_keep_column(task, columns, name) says whether an input column passes through to
// ml_predict's output (every column except those an output replaces). The macro calls
// it in a COLUMNS lambda, which DuckDB evaluates at bind over the list of all input
// column names in one vector; that is the one place that sees both the input's columns
// and the task, so it checks there that the task's input columns exist.
//
// Both take task and columns as ANY so that a wrong type gets ml_predict's message
// rather than "No function matches ml_task_inputs(INTEGER_LITERAL)".

type taskInputsFunc struct{ env *Env }

func (f *taskInputsFunc) Config() duckdb.ScalarFuncConfig {
	anyT, _ := duckdb.NewTypeInfo(duckdb.TYPE_ANY)
	varchar, _ := duckdb.NewTypeInfo(duckdb.TYPE_VARCHAR)
	list, _ := duckdb.NewListInfo(varchar)
	return duckdb.ScalarFuncConfig{InputTypeInfos: []duckdb.TypeInfo{anyT, anyT}, ResultTypeInfo: list, SpecialNullHandling: true}
}

func (f *taskInputsFunc) Executor() duckdb.ScalarFuncExecutor {
	return duckdb.ScalarFuncExecutor{RowExecutor: func(values []driver.Value) (any, error) {
		_, cols, err := f.env.inputColumns(values[0], values[1])
		return cols, err
	}}
}

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
		return wrap(err)
	}
	colsArg, err := chunk.GetValue(1, 0)
	if err != nil {
		return wrap(err)
	}
	task, cols, err := f.env.inputColumns(taskArg, colsArg)
	if err != nil {
		return err
	}
	names := make([]string, n)
	for r := range n {
		v, err := chunk.GetValue(2, r)
		if err != nil {
			return wrap(err)
		}
		names[r], _ = v.(string)
	}
	// DuckDB hands the lambda all names in one vector unless there are more than a
	// vector's worth; then a part cannot tell a missing column, and DuckDB's own
	// binder error still names it.
	if n < duckdb.GetDataChunkCapacity() {
		if err := checkColumnsPresent(task, cols, names); err != nil {
			return err
		}
	}
	r := 0
	for row, err := range st.Rows() {
		if err != nil {
			return wrap(err)
		}
		if err := row.SetResult(!isOutputName(names[r])); err != nil {
			return wrap(err)
		}
		r++
	}
	return nil
}

func isOutputName(name string) bool {
	for _, o := range predictOutputs {
		if strings.EqualFold(name, o) {
			return true
		}
	}
	return false
}

func checkColumnsPresent(task *models.Task, cols, have []string) error {
	for _, c := range cols {
		found := false
		for _, h := range have {
			if strings.EqualFold(c, h) {
				found = true
				break
			}
		}
		if found {
			continue
		}
		return argErrorf("task %q reads column %q, but the input has no such column (its columns: %s); name the input column(s) that feed the task with columns := [...], in the order of the task's inputs (%s)",
			task.Name, c, strings.Join(have, ", "), strings.Join(task.Config.Columns(), ", "))
	}
	return nil
}

// inputColumns checks ml_predict's task and columns arguments and returns the task and
// the input columns it reads.
func (e *Env) inputColumns(taskArg, colsArg any) (*models.Task, []string, error) {
	name, ok := taskArg.(string)
	switch {
	case taskArg == nil || (ok && strings.TrimSpace(name) == ""):
		return nil, nil, argErrorf("task must be a non-empty string; known tasks: %s", strings.Join(taskNames(e), ", "))
	case !ok:
		return nil, nil, argErrorf("task must be a string naming a task, got %v (%T); known tasks: %s", taskArg, taskArg, strings.Join(taskNames(e), ", "))
	}
	task, err := e.Registry.Lookup(strings.TrimSpace(name))
	if err != nil {
		return nil, nil, wrap(err)
	}
	want := task.Config.Columns()
	if colsArg == nil {
		return task, want, nil
	}
	list, ok := colsArg.([]any)
	if !ok {
		return nil, nil, argErrorf("columns must be a list of column names, e.g. columns := ['%s'], got %s", strings.Join(want, "', '"), describeValue(colsArg))
	}
	cols := make([]string, 0, len(list))
	for i, v := range list {
		s, ok := v.(string)
		if !ok || strings.TrimSpace(s) == "" {
			return nil, nil, argErrorf("columns[%d] is %v; columns := [...] takes column names as strings, e.g. columns := ['%s']", i+1, describeValue(v), strings.Join(want, "', '"))
		}
		cols = append(cols, s)
	}
	if len(cols) != len(want) {
		return nil, nil, argErrorf("task %q reads %d column(s) (%s), but columns := [%s] names %d; list one input column per task column, in that order",
			task.Name, len(want), strings.Join(want, ", "), strings.Join(cols, ", "), len(cols))
	}
	return task, cols, nil
}

func describeValue(v any) string {
	switch x := v.(type) {
	case nil:
		return "NULL"
	case string:
		return fmt.Sprintf("%q", x)
	}
	return fmt.Sprintf("%v (%T)", v, v)
}
