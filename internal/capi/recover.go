package capi

/*
#include "capi.h"
*/
import "C"

import "fmt"

// Every callback DuckDB makes into Go recovers a panic and reports it on the callback's
// own error path: a panic left to unwind would reach the host's C frames and end the
// whole host process (Python, Node, the DuckDB CLI), not just the query.

// internalError is the error for a panic p recovered in callback where of function fn.
func internalError(where, fn string, p any) error {
	return fmt.Errorf("duckinfer: internal error in %s (%s): %v; this is a bug in duckinfer, not in your query: please report it, with this message and the query", fn, where, p)
}

// scalarNames names the scalar functions by kind: what registers them and what
// reports their errors.
var scalarNames = map[C.int]string{
	C.DI_INFER:              "ml_infer",
	C.DI_INFER_PROBS:        "ml_infer_probs",
	C.DI_INFER_REGRESS:      "ml_infer_regress",
	C.DI_INFER_REGRESS_LIST: "ml_infer_regress_list",
	C.DI_INFER_EMBED:        "ml_infer_embed",
	C.DI_PREDICT_SQL:        "ml_predict_sql",
	C.DI_KEEP_COLUMN:        "ml_keep_column",
}

// scalarName names a scalar function by its kind, for internalError.
func scalarName(kind C.int) string {
	if name, ok := scalarNames[kind]; ok {
		return name
	}
	return fmt.Sprintf("scalar function kind %d", int(kind))
}
