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
