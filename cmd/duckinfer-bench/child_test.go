package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// The README's -child command lines name no -db: a child must read the table a bench
// run left in -dir (they all failed with 'Table with name "d.t" does not exist').
func TestChildReadsTheBenchTableWithoutDB(t *testing.T) {
	sents, err := loadSentences(filepath.Join("..", "..", "lib", "data"))
	if err != nil {
		t.Skipf("no training data (make setup): %v", err)
	}
	dir := t.TempDir()
	*dirFlag, *rowsFlag, *childDB = dir, "1000", ""
	t.Cleanup(func() { *dirFlag, *rowsFlag = "bench-data", "" })
	if _, err := childTable(); err == nil || !strings.Contains(err.Error(), "-db") {
		t.Fatalf("no table yet: got %v, want an error that names -db", err)
	}
	if _, err := ensureTable(dir, 1000, sents); err != nil {
		t.Fatal(err)
	}
	*tasksFlag = filepath.Join("..", "..", "testdata", "tasks")
	*childThreads, *childReps = 2, 1
	for _, c := range []struct{ mode, sql string }{
		{"ctas", ""},
		{"ctas-noop", ""},
		{"direct", ""},
		{"sql", "CREATE TEMP TABLE sink AS SELECT * FROM ml_predict('sentiment', 'd.few')"},
	} {
		*childSQL = c.sql
		db, err := childTable()
		if err != nil {
			t.Fatal(err)
		}
		if db != tablePath(dir, 1000) {
			t.Fatalf("child table %s, want %s", db, tablePath(dir, 1000))
		}
		if err := runChild(c.mode, db); err != nil {
			t.Errorf("duckinfer-bench -child %s (README's command line, no -db): %v", c.mode, err)
		}
	}
}
