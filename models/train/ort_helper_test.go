package train

import (
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"

	ort "github.com/yalue/onnxruntime_go"
)

var (
	ortOnce sync.Once
	ortErr  error
)

// ortLibPath finds the CPU ORT library: $DUCKINFER_ORT_LIB, else
// lib/ort/cpu/libonnxruntime.so.1 under the folder holding go.mod
// (installed by scripts/setup-ort.sh).
func ortLibPath() (string, error) {
	if p := os.Getenv("DUCKINFER_ORT_LIB"); p != "" {
		return p, nil
	}
	root, err := repoRoot()
	if err != nil {
		return "", err
	}
	return filepath.Join(root, "lib", "ort", "cpu", "libonnxruntime.so.1"), nil
}

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

// needORT initialises the one ORT environment of the test process, or skips
// the test when the library is missing.
func needORT(t testing.TB) {
	t.Helper()
	ortOnce.Do(func() {
		p, err := ortLibPath()
		if err != nil {
			ortErr = err
			return
		}
		if _, err := os.Stat(p); err != nil {
			ortErr = err
			return
		}
		ort.SetSharedLibraryPath(p)
		ortErr = ort.InitializeEnvironment()
	})
	if ortErr != nil {
		t.Skipf("ONNX Runtime not available (run scripts/setup-ort.sh or set DUCKINFER_ORT_LIB): %v", ortErr)
	}
}
