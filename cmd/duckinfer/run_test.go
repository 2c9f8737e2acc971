package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/duckinfer/duckinfer/internal/batch"
)

func batchCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code, ok := subcommand(args, &out, &errb)
	if !ok {
		t.Fatalf("%q is not a subcommand", args)
	}
	return code, out.String(), errb.String()
}

// TestBatchCommands runs the README's cluster commands in-process: plan, run each
// shard (by flag and by the Slurm variables), verify, and verify failing.
func TestBatchCommands(t *testing.T) {
	dir := t.TempDir()
	s, err := batch.Open(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	for f := range 3 {
		q := fmt.Sprintf(`COPY (SELECT (%d * 5000 + i)::BIGINT AS id, 'a fine film ' || i AS text FROM range(5000) r(i))
			TO '%s/data-%d.parquet' (FORMAT parquet, ROW_GROUP_SIZE 2048)`, f, dir, f)
		if _, err := s.Conn.ExecContext(context.Background(), q); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	glob := filepath.Join(dir, "data-*.parquet")
	out := filepath.Join(dir, "out")

	code, plan, stderr := batchCLI(t, "run", "-plan", "-task", "sentiment", "-input", glob, "-shards", "2", "-unit-rows", "3000")
	if code != 0 || strings.Count(plan, "rows [") != 6 || !strings.Contains(plan, "shard 0/2: 2 units, 8192 rows") {
		t.Fatalf("plan: code %d\n%s%s", code, plan, stderr)
	}
	if code, o, e := batchCLI(t, "run", "-task", "sentiment", "-input", glob, "-output", out, "-shard", "0/2", "-unit-rows", "3000", "-threads", "1"); code != 0 || !strings.Contains(o, "shard 0/2: 2 units: 2 scored (8192 rows") {
		t.Fatalf("run shard 0: code %d\n%s%s", code, o, e)
	}
	code, o, _ := batchCLI(t, "verify", "-output", out)
	if code != 1 || !strings.Contains(o, "FAILED: 2 of 6 units ok") || strings.Count(o, "missing") != 4 {
		t.Fatalf("verify with one shard done: code %d\n%s", code, o)
	}
	// Shard 1 as a Slurm array task; -unit-rows comes from the folder's job.
	t.Setenv("SLURM_ARRAY_TASK_ID", "1")
	t.Setenv("SLURM_ARRAY_TASK_MIN", "0")
	t.Setenv("SLURM_ARRAY_TASK_MAX", "1")
	t.Setenv("SLURM_ARRAY_TASK_COUNT", "2")
	if code, o, e := batchCLI(t, "run", "-task", "sentiment", "-input", glob, "-output", out); code != 0 || !strings.Contains(o, "shard 1/2: 4 units: 4 scored (6808 rows") {
		t.Fatalf("run shard 1 from Slurm's variables: code %d\n%s%s", code, o, e)
	}
	// An array of another size (the job has 2 shards) without -shards is refused.
	t.Setenv("SLURM_ARRAY_TASK_MAX", "2")
	t.Setenv("SLURM_ARRAY_TASK_COUNT", "3")
	if code, o, e := batchCLI(t, "run", "-task", "sentiment", "-input", glob, "-output", out); code != 1 || !strings.Contains(e, "pass -shards 2") {
		t.Fatalf("run from a 3-task array on a 2-shard job: code %d\n%s%s", code, o, e)
	}
	t.Setenv("SLURM_ARRAY_TASK_MAX", "1")
	t.Setenv("SLURM_ARRAY_TASK_COUNT", "2")
	code, o, _ = batchCLI(t, "verify", "-output", out)
	if code != 0 || !strings.Contains(o, "OK: 6 of 6 units ok, 15000 input rows, 15000 output rows") {
		t.Fatalf("verify: code %d\n%s", code, o)
	}
	// Another model option is another fingerprint: refused.
	code, _, e := batchCLI(t, "run", "-task", "sentiment", "-input", glob, "-output", out, "-opt", "on_error='null'")
	if code != 1 || !strings.Contains(e, "-recompute") {
		t.Fatalf("changed options: code %d\n%s", code, e)
	}
	// A lost output file fails verify.
	files, _ := filepath.Glob(filepath.Join(out, "*.parquet"))
	os.Remove(files[0])
	if code, o, _ := batchCLI(t, "verify", "-output", out); code != 1 || !strings.Contains(o, "manifest without output") {
		t.Fatalf("verify after losing a file: code %d\n%s", code, o)
	}
	for _, bad := range [][]string{
		{"run", "-input", glob, "-output", out, "-shard", "0/2"},                       // no task
		{"run", "-task", "sentiment", "-input", glob, "-output", out, "-shard", "2/2"}, // out of range
		{"run", "-task", "sentiment", "-input", glob, "-output", out, "-opt", "nonsense"},
		{"verify"},
	} {
		if code, _, _ := batchCLI(t, bad...); code != 2 {
			t.Errorf("%q: code %d, want 2", bad, code)
		}
	}
}
