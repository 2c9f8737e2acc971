package udf

// SetInferDistinct turns the distinct-values path of ml_infer on or off (for tests and
// benchmarks in package udf_test) and returns the previous setting.
func SetInferDistinct(on bool) bool {
	old := inferDistinct
	inferDistinct = on
	return old
}

// UnpackSQL is unpackSQL, for BenchmarkMacroSlicing.
var UnpackSQL = unpackSQL

// SetRawVectors turns the raw-vector adapter (vectordata.go) on or off, so tests can
// run the duckdb-go fallback paths it normally replaces; it returns the previous
// setting. Turning it on when the layout check failed does nothing.
func SetRawVectors(on bool) bool {
	old := vectorLayout.ok
	if on && vectorLayout.vOff == 0 && vectorLayout.vecOf == 0 {
		return old
	}
	vectorLayout.ok = on
	return old
}
