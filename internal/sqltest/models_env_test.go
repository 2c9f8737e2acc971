package sqltest_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/duckinfer/duckinfer/extension"
)

// A user who follows the README and exports DUCKINFER_MODELS=/my/tasks (holding a
// task of their own named sentiment) and then runs `make test` sees sql/*.test fail:
// the suite reads the caller's environment, and the last folder of a name wins, so the
// user's model replaces the built-in one the expected results were written for.
func TestFilesIgnoreCallersModelsEnv(t *testing.T) {
	src := filepath.Join("..", "..", "testdata", "tasks", "noop")
	dir := t.TempDir()
	task := filepath.Join(dir, "sentiment")
	if err := os.MkdirAll(task, 0o755); err != nil {
		t.Fatal(err)
	}
	m, err := os.ReadFile(filepath.Join(src, "model.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := os.ReadFile(filepath.Join(src, "task.json"))
	if err != nil {
		t.Fatal(err)
	}
	c := strings.NewReplacer(`"a"`, `"negative"`, `"b"`, `"positive"`).Replace(string(cfg))
	if err := os.WriteFile(filepath.Join(task, "model.onnx"), m, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(task, "task.json"), []byte(c), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv(extension.ModelsEnv, dir)
	TestFiles(t)
}
