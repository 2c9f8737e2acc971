package train

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/duckinfer/duckinfer/internal/models"
)

// repoRoot is the folder holding go.mod, found by walking up from the
// working directory.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = parent
	}
}

// needORT loads ONNX Runtime the way the product does (models.InitRuntime's search
// order), or skips the test when the library is missing.
func needORT(t testing.TB) {
	t.Helper()
	if _, err := models.InitRuntime(models.FlavorCPU); err != nil {
		t.Skipf("ONNX Runtime not available (run make setup or set DUCKINFER_ORT_LIB): %v", err)
	}
}
