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

// scalarName names a scalar function by its kind, for internalError.
func scalarName(kind C.int) string {
	switch kind {
	case C.DI_INFER:
		return "ml_infer"
	case C.DI_INFER_PROBS:
		return "ml_infer_probs"
	case C.DI_INFER_REGRESS:
		return "ml_infer_regress"
	case C.DI_INFER_REGRESS_LIST:
		return "ml_infer_regress_list"
	case C.DI_PREDICT_SQL:
		return "ml_predict_sql"
	case C.DI_KEEP_COLUMN:
		return "ml_keep_column"
	case C.DI_INFER_EMBED:
		return "ml_infer_embed"
	}
	return fmt.Sprintf("scalar function kind %d", int(kind))
}
