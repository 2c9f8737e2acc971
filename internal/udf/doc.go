// Package udf is the DuckDB binding, one file per SQL function: the ml_predict table
// macro (macro.go, created on every connection), ml_predict_sql (the query it runs,
// written at bind for the task's output kind, with input_sql.go's rule for a name or a
// query), ml_infer and ml_infer_regress[_list] (the vectorized scalar functions called
// once per chunk), ml_keep_column (the pass-through columns, resolved at bind), and
// the ml_tasks(), ml_devices() and ml_errors() table functions.
//
// It only translates: DuckDB vectors into models.Column for the inference core
// (internal/core), results back into vectors. It decides nothing about batching,
// errors or models, so another binding (a loadable extension) reuses the core as is.
// Its hot loops read and write DuckDB vectors in place: vectordata.go reaches a
// vector's handle (pinned to the duckdb-go version), capi.go is the package's only cgo,
// over the few DuckDB C API functions it needs; infer.go's run hands the core each
// distinct text of a chunk once (duckvec.Distinct, core.Call.Run).
package udf
