// Package core is the binding-neutral inference core: for one chunk of rows it resolves
// ml_predict's options, reads the task's input columns through models.Column, keeps the
// NULL mask and the row map, cuts the rows into model batches, places them on the
// calling partition's device slot, re-runs a failed batch row by row (on_error), keeps
// the failure log behind ml_errors() and the row counters, and leaves the results in a
// models.OutputData for the binding to write.
//
// It knows no DuckDB or Arrow type: the DuckDB scalar function (package udf) and the
// Arrow entry point (package extension) are thin adapters that turn their columns into
// models.Column and write the results back.
package core
