package udf

import (
	"strings"

	"github.com/duckinfer/duckinfer/internal/core"
	"github.com/duckinfer/duckinfer/internal/sqltext"
)

// InputSQL turns ml_predict's input argument into the SQL that query() reads: a query
// string as it is, a table or view name as FROM name. Bad input fails here with a
// message about ml_predict rather than a parser error about generated SQL.
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
