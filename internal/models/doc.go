// Package models owns everything about a model task: the task registry (shipped tasks
// embedded in the binary plus user folders), task configs, the ONNX Runtime library and
// environment, one session per (task, device slot), turning columnar inputs into tensors
// and model outputs into (class, confidence) pairs.
//
// It must not know which binding drives it: no DuckDB types here. Callers hand it plain
// Go slices (or Arrow records) and a Placement saying which device a session runs on.
package models
