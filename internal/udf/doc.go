// Package udf is the DuckDB binding, one file per SQL function: the ml_predict table
// macro (macro.go, created on every connection), ml_infer (the vectorized scalar
// function it calls once per chunk), ml_task_inputs and ml_keep_column (the input
// columns, resolved at bind), ml_input_sql (a name or a query into query()'s SQL), and
// the ml_tasks(), ml_devices() and ml_errors() table functions.
//
// It only translates: DuckDB vectors into models.Column for the inference core
// (internal/core), results back into vectors. It decides nothing about batching,
// errors or models, so another binding (a loadable extension) reuses the core as is.
package udf
