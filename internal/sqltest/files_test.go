package sqltest_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/duckinfer/duckinfer/extension"
	"github.com/duckinfer/duckinfer/internal/sqltest"
)

// TestFiles runs every sql/*.test file through duckinfer, one fresh in-memory
// database per file, so `go test ./internal/sqltest/` is the SQL-level test suite.
func TestFiles(t *testing.T) {
	// The files expect the shipped tasks: a caller's DUCKINFER_MODELS folders would
	// replace them by name (the last folder of a name wins).
	t.Setenv("DUCKINFER_MODELS", "")
	files, err := filepath.Glob(filepath.Join("..", "..", "sql", "*.test"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no .test files in sql/")
	}
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			s, err := sqltest.ParseFile(path)
			if err != nil {
				t.Fatal(err)
			}
			db, err := extension.Open("", extension.WithTaskDirs(filepath.Join("..", "..", "testdata", "tasks"), filepath.Join("..", "..", "testdata", "torch"), filepath.Join("..", "..", "testdata", "hf", "models")))
			if err != nil {
				t.Fatalf("extension.Open: %v", err)
			}
			defer db.Close()
			res := sqltest.Run(context.Background(), db, s)
			switch {
			case res.Failed():
				t.Errorf("\n%s", res.Report())
			case res.SkipReason != "" && res.Run == 0:
				t.Skip(res.SkipReason)
			default:
				t.Logf("%d records run, %d skipped", res.Run, res.Skipped)
			}
		})
	}
}
