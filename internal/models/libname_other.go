//go:build !linux

package models

// libName: only Linux builds of ONNX Runtime are set up by scripts/setup-ort.sh; on
// other systems point DUCKINFER_ORT_LIB at the library (onnxruntime.dll,
// libonnxruntime.dylib), and the search below finds nothing else.
const libName = "libonnxruntime (set DUCKINFER_ORT_LIB: duckinfer's set-up is Linux-only)"
