// Package udf is what DuckDB sees: the ml_predict table macro (created on every
// connection), the vectorized ml_infer scalar function it calls once per DuckDB chunk,
// ml_task_inputs (the task's input columns, for *COLUMNS at bind time), and the
// ml_tasks() / ml_devices() table functions.
//
// Everything DuckDB-specific lives here; partitions, models and gpu never see a DuckDB
// type, so a C-extension binding can reuse them unchanged.
package udf
