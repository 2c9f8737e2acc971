package udf

import (
	"database/sql/driver"
	"strings"

	"github.com/duckdb/duckdb-go/v2"

	"github.com/duckinfer/duckinfer/internal/core"
	"github.com/duckinfer/duckinfer/internal/sqltext"
)

// inputSQLFunc turns ml_predict's input argument into the SQL that query() reads: a
// query string as it is, a table or view name as FROM name. Bad input fails here with
// a message about ml_predict rather than a parser error about generated SQL.
type inputSQLFunc struct{}

func (f *inputSQLFunc) Config() duckdb.ScalarFuncConfig {
	varchar, _ := duckdb.NewTypeInfo(duckdb.TYPE_VARCHAR)
	anyT, _ := duckdb.NewTypeInfo(duckdb.TYPE_ANY)
	return duckdb.ScalarFuncConfig{InputTypeInfos: []duckdb.TypeInfo{anyT}, ResultTypeInfo: varchar, SpecialNullHandling: true}
}

func (f *inputSQLFunc) Executor() duckdb.ScalarFuncExecutor {
	return duckdb.ScalarFuncExecutor{RowExecutor: func(values []driver.Value) (any, error) {
		return InputSQL(values[0])
	}}
}

// InputSQL is the rule ml_input_sql applies.
func InputSQL(v any) (string, error) {
	s, ok := v.(string)
	switch {
	case v == nil:
		return "", core.ArgErrorf("input is NULL; pass a table name, a view name or a query string, e.g. ml_predict('sentiment', 'reviews')")
	case !ok:
		return "", core.ArgErrorf("input must be a string naming a table, view or query, got %T %v", v, v)
	case strings.TrimSpace(s) == "":
		return "", core.ArgErrorf("input is empty; pass a table name, a view name or a query string")
	case sqltext.IsQuery(s):
		return s, nil
	}
	return "FROM " + s, nil
}
