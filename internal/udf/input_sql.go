package udf

import "github.com/duckinfer/duckinfer/internal/sqlgen"

// InputSQL turns ml_predict's input argument into the SQL that query() reads (see
// sqlgen.InputSQL).
func InputSQL(v any) (string, error) { return sqlgen.InputSQL(v) }
