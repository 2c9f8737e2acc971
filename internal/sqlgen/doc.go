// Package sqlgen writes the SQL that ml_predict expands into, for every binding alike:
// the macro's definition, the query ml_predict_sql returns for a task's output kind,
// the input SQL, which input columns pass through, and the packed-result contract
// (PackResult in Go, UnpackSQL in SQL). It is pure text: it must not import DuckDB
// (the duckdb-go binding, internal/udf, and the loadable extension's C API binding,
// internal/capi, both use it; dependencies point udf, capi → sqlgen → core).
package sqlgen
