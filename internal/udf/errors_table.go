package udf

import (
	"context"

	"github.com/duckdb/duckdb-go/v2"
)

// errorsFunc lists the most recent rows that failed under on_error := 'null'.
func errorsFunc(env *Env) duckdb.RowTableFunction {
	return duckdb.RowTableFunction{
		BindArgumentsContext: func(ctx context.Context, named map[string]any, args ...any) (duckdb.RowTableSource, error) {
			s := &staticTable{cols: []duckdb.ColumnInfo{
				column("time", duckdb.TYPE_TIMESTAMP), column("task", duckdb.TYPE_VARCHAR),
				column("input", duckdb.TYPE_VARCHAR), column("error", duckdb.TYPE_VARCHAR),
			}}
			for _, f := range env.Failures.List() {
				s.rows = append(s.rows, []any{f.Time, f.Task, f.Input, f.Error})
			}
			return s, nil
		},
	}
}
