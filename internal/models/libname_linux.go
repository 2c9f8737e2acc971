package models

// libName is ONNX Runtime's shared library as its packages ship it for Linux.
const libName = "libonnxruntime.so.1"
