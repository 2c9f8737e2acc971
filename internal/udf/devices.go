package udf

import "github.com/duckdb/duckdb-go/v2"

// devicesFunc is ml_devices(): the GPUs seen, or one CPU row saying why there is none,
// with slots and the ONNX Runtime in use (core.Env.DevicesTable).
func devicesFunc(env *Env) duckdb.RowTableFunction {
	return coreTableFunc(env.DevicesTable)
}
