package hosttest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/duckinfer/duckinfer/internal/extfooter"
)

// RepoRoot finds the module root from the working directory.
func RepoRoot() (string, error) {
	d, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("hosttest: no go.mod above the working directory")
		}
		d = filepath.Dir(d)
	}
}

// BuildExtension builds duckinfer.duckdb_extension into dir as `make extension` does
// and returns its path.
func BuildExtension(dir string) (string, error) {
	root, err := RepoRoot()
	if err != nil {
		return "", err
	}
	out := filepath.Join(dir, "duckinfer.duckdb_extension")
	cmd := exec.Command("go", "build", "-tags", "duckinfer_dlnvml", "-buildmode=c-shared", "-o", out, "./cmd/duckinfer-extension")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=1")
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("hosttest: building the extension: %w\n%s", err, b)
	}
	_ = os.Remove(strings.TrimSuffix(out, ".duckdb_extension") + ".h")
	m := extfooter.Metadata{Platform: runtime.GOOS + "_" + runtime.GOARCH, Version: "v1.5.6", ExtensionVersion: "v0.1.0", ABI: "C_STRUCT"}
	if err := extfooter.Append(out, m); err != nil {
		return "", err
	}
	return out, nil
}
