package udf

import (
	"context"
	"fmt"
	"strings"

	"github.com/duckdb/duckdb-go/v2"
)

// tasksFunc lists every task folder as it is now, usable or not: a broken one has
// NULL details and its error, so a task that will not load is not simply missing.
// fingerprint is the start of the model's sha256 (models.Task.Fingerprint); the first
// call after a model changes reads the whole file to compute it.
func tasksFunc(env *Env) duckdb.RowTableFunction {
	return duckdb.RowTableFunction{
		BindArgumentsContext: func(ctx context.Context, named map[string]any, args ...any) (duckdb.RowTableSource, error) {
			s := &staticTable{cols: []duckdb.ColumnInfo{
				column("name", duckdb.TYPE_VARCHAR), column("source", duckdb.TYPE_VARCHAR),
				listColumn("inputs"), listColumn("labels"), column("batch_size", duckdb.TYPE_INTEGER),
				column("description", duckdb.TYPE_VARCHAR), column("fingerprint", duckdb.TYPE_VARCHAR),
				column("error", duckdb.TYPE_VARCHAR),
			}}
			for _, e := range env.Registry.Entries() {
				t := e.Task
				if t == nil {
					s.rows = append(s.rows, []any{e.Name, e.Source, nil, nil, nil, nil, nil, e.Err.Error()})
					continue
				}
				var inputs []string
				for _, in := range t.Config.Inputs {
					inputs = append(inputs, fmt.Sprintf("%s: %s ← %s", in.Name, in.Type, strings.Join(in.Columns, ", ")))
				}
				// A model that cannot be read (missing, not a regular file) is this
				// task's error, though its task.json is fine.
				var fp, errText any
				if sum, err := t.Fingerprint(); err != nil {
					errText = err.Error()
				} else {
					fp = sum[:16]
				}
				s.rows = append(s.rows, []any{t.Name, t.Source, inputs, t.Config.Labels, int32(t.Config.BatchSize), t.Config.Description, fp, errText})
			}
			return s, nil
		},
	}
}
