package udf

import (
	"context"

	"github.com/duckdb/duckdb-go/v2"

	"github.com/duckinfer/duckinfer/internal/core"
)

// tasksFunc is ml_tasks(): every task folder as it is now (core.Env.TasksTable).
func tasksFunc(env *Env) duckdb.RowTableFunction {
	return coreTableFunc(func() (*core.Table, error) { return env.TasksTable(), nil })
}

// coreTableFunc serves a core.Table as a table function: its columns fixed at bind,
// its rows computed again at the start of each scan (staticTable.Init).
func coreTableFunc(build func() (*core.Table, error)) duckdb.RowTableFunction {
	return duckdb.RowTableFunction{
		BindArgumentsContext: func(ctx context.Context, named map[string]any, args ...any) (duckdb.RowTableSource, error) {
			t, err := build()
			if err != nil {
				return nil, err
			}
			s := &staticTable{rows: t.Rows, build: build}
			for _, c := range t.Columns {
				switch c.Kind {
				case core.KindText:
					s.cols = append(s.cols, column(c.Name, duckdb.TYPE_VARCHAR))
				case core.KindInt:
					s.cols = append(s.cols, column(c.Name, duckdb.TYPE_INTEGER))
				case core.KindBigint:
					s.cols = append(s.cols, column(c.Name, duckdb.TYPE_BIGINT))
				case core.KindTextList:
					s.cols = append(s.cols, listColumn(c.Name))
				case core.KindTimestamp:
					s.cols = append(s.cols, column(c.Name, duckdb.TYPE_TIMESTAMP))
				}
			}
			return s, nil
		},
	}
}
