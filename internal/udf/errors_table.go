package udf

import (
	"github.com/duckdb/duckdb-go/v2"

	"github.com/duckinfer/duckinfer/internal/core"
)

// errorsFunc is ml_errors(): the most recent rows that failed under on_error := 'null'.
func errorsFunc(env *Env) duckdb.RowTableFunction {
	return coreTableFunc(func() (*core.Table, error) { return core.ErrorsTable(env.Env), nil })
}
