package onnxbuild

import (
	"testing"

	"github.com/duckinfer/duckinfer/internal/models"
)

// needORT loads ONNX Runtime the way the product does (models.InitRuntime's search
// order), or skips the test when the library is missing.
func needORT(t testing.TB) {
	t.Helper()
	if _, err := models.InitRuntime(models.FlavorCPU); err != nil {
		t.Skipf("ONNX Runtime not available (run make setup or set DUCKINFER_ORT_LIB): %v", err)
	}
}
