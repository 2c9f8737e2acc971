package batch

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// twoColumnDataset writes files Parquet files of rows rows each with two text
// columns: text (praise) and other (abuse), so that scoring one column or the other
// gives opposite predictions. It returns the glob.
func twoColumnDataset(t *testing.T, s *Session, dir string, files, rows int) string {
	t.Helper()
	for f := range files {
		execSQL(t, s, fmt.Sprintf(`COPY (SELECT (%d * %d + i)::BIGINT AS id,
			'a wonderful, excellent film, loved it ' || i AS text,
			'awful and boring, I hated it ' || i AS other
			FROM range(%d) r(i)) TO %s (FORMAT parquet)`, f, rows, rows, sqlString(filepath.Join(dir, fmt.Sprintf("part-%03d.parquet", f)))))
	}
	return filepath.Join(dir, "*.parquet")
}

// Was a defect: verify says it checks that "all units share one fingerprint", and
// the manifests' fingerprint includes the ml_predict options that change predictions
// (-columns, -opt). But verify groups units by fpKey, which leaves the options out: a
// folder whose shard 0 scored column text and whose shard 1 scored column other (one
// shard rerun with -recompute and other flags, or two shards started with different
// args) holds opposite predictions for the same kind of row, and verify passes.
func TestVerifyRefusesUnitsScoredWithOtherOptions(t *testing.T) {
	s := openSession(t)
	glob := twoColumnDataset(t, s, t.TempDir(), 2, 20)
	out := filepath.Join(t.TempDir(), "out")
	o := Options{Task: "sentiment", Input: Input{Patterns: []string{glob}}, Output: out, Shard: Shard{0, 2}, Columns: []string{"text"}, Version: "test"}
	plan := runShard(t, s, o)
	o1 := o
	o1.Shard.Index, o1.Columns, o1.Recompute = 1, []string{"other"}, true
	var log bytes.Buffer
	o1.Log = &log
	if _, err := RunShard(context.Background(), s, plan, o1); err != nil {
		t.Fatal(err)
	}
	// The shard's log names the options it scores with.
	if !strings.Contains(log.String(), "columns := ['other']") {
		t.Errorf("shard 1's log does not name its options:\n%s", log.String())
	}
	classes := scalar[string](t, s, fmt.Sprintf("SELECT string_agg(DISTINCT predicted_class, ',' ORDER BY predicted_class) FROM read_parquet(%s)", sqlString(filepath.Join(out, "*.parquet"))))
	opts := scalar[string](t, s, fmt.Sprintf("SELECT string_agg(DISTINCT decode(value), ' | ') FROM parquet_kv_metadata(%s) WHERE decode(key) = 'duckinfer_options'", sqlString(filepath.Join(out, "*.parquet"))))
	t.Logf("the folder's predicted classes: %s; its units' options: %s", classes, opts)
	if v := verify(t, s, o); v.OK() {
		var b bytes.Buffer
		v.Print(&b)
		t.Fatalf("verify passed on a folder whose units were scored with different ml_predict options (%s):\n%s", opts, b.String())
	} else if p := strings.Join(v.Problems, "\n"); !strings.Contains(p, "columns := ['text']") || !strings.Contains(p, "columns := ['other']") {
		t.Errorf("verify's problems do not name the two options: %s", p)
	}
}

// processState is the state letter of /proc/PID/stat (R, S, T, Z...).
func processState(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return ""
	}
	s := string(b)
	i := strings.LastIndex(s, ")")
	if i < 0 || i+2 >= len(s) {
		return ""
	}
	return s[i+2 : i+3]
}

// Was a defect: the fingerprint is checked once, when a shard starts, against the
// manifests already in the folder. Two shards that start before either has committed
// a unit (a Kubernetes Job whose pods pulled :latest at different times, a Slurm array
// whose nodes see another duckinfer or model on their PATH, a -recompute run started
// beside a plain one) both pass that check, both commit, and both exit 0: the cluster
// engine reports the job complete, and the folder holds two fingerprints. Here shard 0
// (version v1) is stopped after its check, shard 1 (version v2) runs start to end, and
// shard 0 goes on: one of them must be refused.
func TestShardsStartedWithDifferentFingerprintsAtOnce(t *testing.T) {
	s := openSession(t)
	glob := dataset(t, s, t.TempDir(), 2, 200, 200)
	out := filepath.Join(t.TempDir(), "out")
	o := Options{Task: "sentiment", Input: Input{Patterns: []string{glob}}, Output: out, Shard: Shard{0, 2}, Version: "v1"}
	var err1 error
	log0, err0 := runPaused(t, o, "pause:read:0", func() {
		o1 := o
		o1.Shard.Index, o1.Version = 1, "v2"
		plan, err := Plan(context.Background(), s.Conn, o.Input, 0)
		if err != nil {
			t.Fatal(err)
		}
		_, err1 = RunShard(context.Background(), s, plan, o1)
	})
	v := verify(t, s, o)
	var b bytes.Buffer
	v.Print(&b)
	t.Logf("shard 0 (v1): %v; shard 1 (v2): %v; verify:\n%s", err0, err1, b.String())
	if err0 == nil && err1 == nil {
		t.Fatalf("both shards exited 0 with different fingerprints (the engine reports the job complete); shard 0's log:\n%s", log0)
	}
}

// Was a defect: an input file is checked against the job's size and modification
// time only when a shard starts (claimJob) and at verify, never around the unit that
// reads it. A file rewritten while a shard runs is scored as it is then, and the shard
// commits it and exits 0; the next shard is refused and told to "put the file back as
// it was (contents and modification time, e.g. from a backup with rsync -t or cp -p)".
// Doing so makes the file match the job again, so the rerun skips the unit (a CSV
// unit's manifest is not compared by rows) and verify passes, while the unit's output
// holds the rows of the other version: an input row is missing from the output, a row
// that is in no input is there, and nothing fails.
func TestFileRewrittenDuringAShardThenRestoredIsNotSilentlyKept(t *testing.T) {
	s := openSession(t)
	d := t.TempDir()
	a, b := filepath.Join(d, "a.csv"), filepath.Join(d, "b.csv")
	if err := os.WriteFile(a, []byte("id,text\n0,a great film\n1,a great cast\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	orig := []byte("id,text\n2,a good film\n3,a fine film\n")
	if err := os.WriteFile(b, orig, 0o644); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(b)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "out")
	o := Options{Task: "sentiment", Input: Input{Patterns: []string{filepath.Join(d, "*.csv")}}, Output: out, Shard: Shard{0, 1}, Version: "test"}
	// The shard stops before reading its second unit, b.csv.
	_, errShard := runPaused(t, o, "pause:read:0:1", func() {
		// b.csv rewritten in place, same size, one word changed.
		if err := os.WriteFile(b, []byte("id,text\n2,a good film\n3,a dull film\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(b, st.ModTime(), st.ModTime().Add(time.Second)); err != nil {
			t.Fatal(err)
		}
	})
	t.Logf("the shard that read b.csv after its rewrite: %v", errShard)

	// The next run is refused and says to put the file back; so it is, time included.
	plan, err := Plan(context.Background(), s.Conn, o.Input, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, err = RunShard(context.Background(), s, plan, o)
	t.Logf("the next run: %v", err)
	if err := os.WriteFile(b, orig, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(b, st.ModTime(), st.ModTime()); err != nil {
		t.Fatal(err)
	}
	if plan, err = Plan(context.Background(), s.Conn, o.Input, 0); err != nil {
		t.Fatal(err)
	}
	rep, err := RunShard(context.Background(), s, plan, o)
	t.Logf("the run after b.csv was put back: %+v %v", rep, err)

	v := verify(t, s, o)
	var vb bytes.Buffer
	v.Print(&vb)
	in := fmt.Sprintf("SELECT id, text FROM read_csv(%s)", sqlString(filepath.Join(d, "*.csv")))
	res := fmt.Sprintf("SELECT id, text FROM read_parquet(%s)", sqlString(filepath.Join(out, "*.parquet")))
	missing := scalar[string](t, s, "SELECT coalesce(string_agg(text, '; '), '') FROM ("+in+" EXCEPT ALL "+res+")")
	extra := scalar[string](t, s, "SELECT coalesce(string_agg(text, '; '), '') FROM ("+res+" EXCEPT ALL "+in+")")
	if v.OK() && (missing != "" || extra != "") {
		t.Fatalf("verify passed, yet input rows %q are not in the output and output rows %q are in no input (the shard exited %v):\n%s", missing, extra, errShard, vb.String())
	}
}

// Was a defect: ShardFromEnv refuses to take the array's size for the shard count
// of a resubmitted single task (sbatch --array=2 sees MIN=MAX=2, COUNT=1), since "a
// resubmitted single task sees a count of 1 and would otherwise compute a different
// plan". Task 0 resubmitted alone (sbatch --array=0, the README's rerun recipe with
// index 0) sees MIN=MAX=0, COUNT=1, which passes the whole-array test: it becomes
// shard 0/1 and takes every unit of the job, the other tasks' included (scored under
// their locks, so not twice, but by the wrong task, while the others run or wait).
// A count of 1 read from the environment is the ambiguous case and should need
// -shards (a one-shard job needs no array: -shard 0/1).
func TestSlurmTaskZeroResubmittedAloneNeedsShards(t *testing.T) {
	env := map[string]string{"SLURM_ARRAY_TASK_ID": "0", "SLURM_ARRAY_TASK_MIN": "0", "SLURM_ARRAY_TASK_MAX": "0", "SLURM_ARRAY_TASK_COUNT": "1"}
	got, err := ShardFromEnv(func(k string) string { return env[k] }, 0)
	if err == nil {
		t.Fatalf("sbatch --array=0 (task 0 resubmitted alone) without -shards: got shard %v, want an error asking for -shards (task 2 alone gets one)", got)
	}
}

// an input with duplicate rows, NULL ids and no key at all is
// scored row for row (verify counts rows per unit, it joins on nothing), and a
// throttled or 0-based whole Slurm array, or a Kubernetes index, maps as documented.
func TestDuplicateAndNullRowsAndEnginesHeld(t *testing.T) {
	s := openSession(t)
	d := t.TempDir()
	for f := range 3 {
		execSQL(t, s, fmt.Sprintf(`COPY (SELECT CASE WHEN i %% 3 = 0 THEN NULL ELSE i %% 4 END::BIGINT AS id, 'a fine film' AS text FROM range(30) r(i)) TO %s (FORMAT parquet)`,
			sqlString(filepath.Join(d, fmt.Sprintf("p%d.parquet", f)))))
	}
	glob := filepath.Join(d, "*.parquet")
	out := filepath.Join(t.TempDir(), "out")
	o := Options{Task: "sentiment", Input: Input{Patterns: []string{glob}}, Output: out, Shard: Shard{0, 2}, Version: "test"}
	runAll(t, s, o)
	if v := verify(t, s, o); !v.OK() {
		t.Fatalf("verify: %+v %v", v.Rows, v.Problems)
	}
	if n := scalar[int64](t, s, fmt.Sprintf("SELECT count(*) FROM read_parquet(%s)", sqlString(filepath.Join(out, "*.parquet")))); n != 90 {
		t.Fatalf("%d output rows, want 90", n)
	}
	// Row-level: both ways EXCEPT ALL over every column (NULLs compare equal there).
	in := fmt.Sprintf("SELECT id, text FROM read_parquet(%s)", sqlString(glob))
	res := fmt.Sprintf("SELECT id, text FROM read_parquet(%s)", sqlString(filepath.Join(out, "*.parquet")))
	if n := scalar[int64](t, s, "SELECT (SELECT count(*) FROM ("+in+" EXCEPT ALL "+res+")) + (SELECT count(*) FROM ("+res+" EXCEPT ALL "+in+"))"); n != 0 {
		t.Fatalf("%d rows differ", n)
	}
	// verify fails when one of two identical rows is lost from a unit's output.
	plan, _ := Plan(context.Background(), s.Conn, o.Input, 0)
	f := layout{out}.output(plan[0].ID)
	execSQL(t, s, fmt.Sprintf(`COPY (SELECT * FROM read_parquet(%s) LIMIT 29) TO %s (FORMAT parquet)`, sqlString(f), sqlString(f+".x")))
	if err := os.Rename(f+".x", f); err != nil {
		t.Fatal(err)
	}
	if v := verify(t, s, o); v.OK() {
		t.Fatal("verify passed with a row lost")
	}

	env := func(kv ...string) func(string) string {
		m := map[string]string{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return func(k string) string { return m[k] }
	}
	for _, c := range []struct {
		name  string
		env   func(string) string
		count int
		want  Shard
		ok    bool
	}{
		{"--array=0-9%2", env("SLURM_ARRAY_TASK_ID", "7", "SLURM_ARRAY_TASK_MIN", "0", "SLURM_ARRAY_TASK_MAX", "9", "SLURM_ARRAY_TASK_COUNT", "10"), 0, Shard{7, 10}, true},
		{"--array=3-7 without -shards", env("SLURM_ARRAY_TASK_ID", "3", "SLURM_ARRAY_TASK_MIN", "3", "SLURM_ARRAY_TASK_MAX", "7", "SLURM_ARRAY_TASK_COUNT", "5"), 0, Shard{}, false},
		{"--array=3-7 -shards 5, task 7", env("SLURM_ARRAY_TASK_ID", "7", "SLURM_ARRAY_TASK_MIN", "3", "SLURM_ARRAY_TASK_MAX", "7", "SLURM_ARRAY_TASK_COUNT", "5"), 5, Shard{}, false},
		{"--array=1,5,9", env("SLURM_ARRAY_TASK_ID", "5", "SLURM_ARRAY_TASK_MIN", "1", "SLURM_ARRAY_TASK_MAX", "9", "SLURM_ARRAY_TASK_COUNT", "3"), 0, Shard{}, false},
		{"--array=0-6:2", env("SLURM_ARRAY_TASK_ID", "2", "SLURM_ARRAY_TASK_MIN", "0", "SLURM_ARRAY_TASK_MAX", "6", "SLURM_ARRAY_TASK_COUNT", "4"), 0, Shard{}, false},
		{"JOB_COMPLETION_INDEX empty", env("JOB_COMPLETION_INDEX", ""), 4, Shard{}, false},
		{"JOB_COMPLETION_INDEX -1", env("JOB_COMPLETION_INDEX", "-1"), 4, Shard{}, false},
	} {
		got, err := ShardFromEnv(c.env, c.count)
		if (err == nil) != c.ok || got != c.want {
			t.Errorf("%s: got %v, %v", c.name, got, err)
		}
	}
}

// Was a defect: verify's "the file's rows" and a rerun's "finished before" both come
// from the Parquet footer alone (parquet_file_metadata), and the manifest records no
// checksum of the file. A unit file whose data pages are damaged while its footer is
// whole (a torn write: two writers of one unit after an NFS client lost its lock lease,
// whose temp path <unit>.<pid>.parquet.tmp is the same for both when each runs as
// PID 1 in its container; or the storage) passes verify and is skipped by every rerun,
// though reading out/*.parquet fails.
func TestVerifyReadsUnitDataNotOnlyTheFooter(t *testing.T) {
	s := openSession(t)
	glob := dataset(t, s, t.TempDir(), 2, 5000, 5000)
	out := filepath.Join(t.TempDir(), "out")
	o := Options{Task: "sentiment", Input: Input{Patterns: []string{glob}}, Output: out, Shard: Shard{0, 1}, Version: "test"}
	runAll(t, s, o)
	plan, err := Plan(context.Background(), s.Conn, o.Input, 0)
	if err != nil {
		t.Fatal(err)
	}
	f := layout{out}.output(plan[0].ID)
	b, err := os.ReadFile(f)
	if err != nil {
		t.Fatal(err)
	}
	for i := 100; i < len(b)/2; i++ { // data pages; the footer is at the end
		b[i] = 0x55
	}
	if err := os.WriteFile(f, b, 0o644); err != nil {
		t.Fatal(err)
	}
	var n int64
	rerr := s.Conn.QueryRowContext(context.Background(), fmt.Sprintf("SELECT count(DISTINCT t) FROM read_parquet(%s) t", sqlString(filepath.Join(out, "*.parquet")))).Scan(&n)
	if rerr == nil {
		t.Skip("the damage did not reach a data page")
	}
	t.Logf("reading out/*.parquet: %v", rerr)
	if v := verify(t, s, o); v.OK() {
		var vb bytes.Buffer
		v.Print(&vb)
		t.Fatalf("verify passed on a unit file that cannot be read:\n%s", vb.String())
	}
	// The rerun must not skip the damaged unit, and then the folder is whole again.
	rep, err := RunShard(context.Background(), s, plan, o)
	t.Logf("rerun: %+v %v", rep, err)
	if err != nil || rep.Done != 1 || rep.Skipped != 1 {
		t.Fatalf("the rerun skipped the damaged unit: %+v %v", rep, err)
	}
	if v := verify(t, s, o); !v.OK() {
		t.Fatalf("verify after the rerun: %+v %v", v.Rows, v.Problems)
	}
	if err := s.Conn.QueryRowContext(context.Background(), fmt.Sprintf("SELECT count(DISTINCT t) FROM read_parquet(%s) t", sqlString(filepath.Join(out, "*.parquet")))).Scan(&n); err != nil || n != 10000 {
		t.Fatalf("reading out/*.parquet after the rerun: %d rows, %v", n, err)
	}
}
