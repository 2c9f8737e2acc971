package batch

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// waitStopped waits until the child process has stopped itself (a pause hook).
func waitStopped(t *testing.T, pid int, stderr *bytes.Buffer) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for processState(pid) != "T" {
		if time.Now().After(deadline) {
			t.Fatalf("the child never reached its pause:\n%s", stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// A -recompute run that replaces the job's fingerprint while a shard of the old one
// runs: that shard must not commit its unit and must fail, not exit 0.
func TestShardFailsWhenRecomputeReplacesTheJobsFingerprint(t *testing.T) {
	s := openSession(t)
	glob := dataset(t, s, t.TempDir(), 2, 200, 200)
	out := filepath.Join(t.TempDir(), "out")
	o := Options{Task: "sentiment", Input: Input{Patterns: []string{glob}}, Output: out, Shard: Shard{0, 2}, Version: "v1"}
	cmd := child(t, o, "pause:read:0")
	var errb bytes.Buffer
	cmd.Stderr = &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	waitStopped(t, cmd.Process.Pid, &errb)
	plan, err := Plan(context.Background(), s.Conn, o.Input, 0)
	if err != nil {
		t.Fatal(err)
	}
	o1 := o
	o1.Shard.Index, o1.Version, o1.Recompute = 1, "v2", true
	if _, err := RunShard(context.Background(), s, plan, o1); err != nil {
		t.Fatalf("shard 1 with -recompute: %v", err)
	}
	cmd.Process.Signal(syscall.SIGCONT)
	if err := cmd.Wait(); err == nil || !strings.Contains(errb.String(), "not committed") {
		t.Fatalf("shard 0 of the replaced fingerprint: %v, want a failure; its log:\n%s", err, errb.String())
	}
	ms, _, err := layout{out}.allManifests()
	if err != nil {
		t.Fatal(err)
	}
	for id, m := range ms {
		if m.Fingerprint.Version != "v2" {
			t.Errorf("unit %s was committed with version %s after the job became v2", id, m.Fingerprint.Version)
		}
	}
}

// A folder whose job.json was written by a version that recorded neither fingerprint
// nor shard count: the next shard adopts its own and goes on, as before.
func TestJobWithoutFingerprintAdoptsTheFirst(t *testing.T) {
	s := openSession(t)
	glob := dataset(t, s, t.TempDir(), 2, 100, 100)
	out := filepath.Join(t.TempDir(), "out")
	o := Options{Task: "sentiment", Input: Input{Patterns: []string{glob}}, Output: out, Shard: Shard{0, 2}, Version: "test"}
	plan := runShard(t, s, o)
	l := layout{out}
	// Through Job, not editJSON: a float64 would round the files' times.
	j, err := ReadJob(out)
	if err != nil {
		t.Fatal(err)
	}
	j.Fingerprint, j.Shards = nil, 0
	b, _ := json.Marshal(j)
	if err := os.WriteFile(l.job(), b, 0o644); err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(b, []byte("fingerprint")) || bytes.Contains(b, []byte(`"shards"`)) {
		t.Fatalf("job.json still records them: %s", b)
	}
	o.Shard.Index = 1
	if _, err := RunShard(context.Background(), s, plan, o); err != nil {
		t.Fatalf("shard 1 on a job without a fingerprint: %v", err)
	}
	j, err = ReadJob(out)
	if err != nil || j.Fingerprint == nil || j.Fingerprint.Version != "test" || j.Shards != 2 {
		t.Fatalf("the job after shard 1: %+v %v, want its fingerprint and 2 shards recorded", j, err)
	}
	if v := verify(t, s, o); !v.OK() {
		t.Fatalf("verify: %+v %v", v.Rows, v.Problems)
	}
}

// Every unit made with one fingerprint that is not the job's (the job's was replaced
// by a -recompute run that then failed before committing anything): verify fails.
func TestVerifyComparesUnitsWithTheJobsFingerprint(t *testing.T) {
	s := openSession(t)
	glob := dataset(t, s, t.TempDir(), 2, 100, 100)
	out := filepath.Join(t.TempDir(), "out")
	o := Options{Task: "sentiment", Input: Input{Patterns: []string{glob}}, Output: out, Shard: Shard{0, 2}, Version: "v1"}
	runAll(t, s, o)
	if v := verify(t, s, o); !v.OK() {
		t.Fatalf("verify: %+v %v", v.Rows, v.Problems)
	}
	j, err := ReadJob(out)
	if err != nil {
		t.Fatal(err)
	}
	j.Fingerprint.Version = "v2"
	b, _ := json.Marshal(j)
	if err := os.WriteFile(layout{out}.job(), b, 0o644); err != nil {
		t.Fatal(err)
	}
	v := verify(t, s, o)
	if v.OK() || !strings.Contains(v.Rows[0].Status, "another fingerprint than the job's") {
		t.Fatalf("verify passed with every unit made with v1 and the job at v2: %+v %v", v.Rows, v.Problems)
	}
}

// The shard count is recorded at the first claim: a count from the environment that
// differs (tasks 0 and 1 resubmitted as --array=0-1 see a whole array of 2) is
// refused; an explicit one reshards, and the job records it.
func TestShardCountFromEnvMustMatchTheJob(t *testing.T) {
	s := openSession(t)
	glob := dataset(t, s, t.TempDir(), 4, 100, 100)
	out := filepath.Join(t.TempDir(), "out")
	o := Options{Task: "sentiment", Input: Input{Patterns: []string{glob}}, Output: out, Shard: Shard{0, 4}, Version: "test"}
	plan := runShard(t, s, o)
	if j, _ := ReadJob(out); j.Shards != 4 {
		t.Fatalf("job records %d shards, want 4", j.Shards)
	}
	env := o
	env.Shard, env.ShardFromEnv = Shard{1, 2}, true
	rep, err := RunShard(context.Background(), s, plan, env)
	if !errors.Is(err, ErrShard) || !strings.Contains(err.Error(), "-shards 4") {
		t.Fatalf("shard 1/2 from the environment on a 4-shard job: %+v %v, want ErrShard naming -shards 4", rep, err)
	}
	// The same count from the environment is fine.
	env.Shard = Shard{1, 4}
	if _, err := RunShard(context.Background(), s, plan, env); err != nil {
		t.Fatalf("shard 1/4 from the environment: %v", err)
	}
	// An explicit count reshards; the environment's must then agree with it.
	o.Shard = Shard{1, 2}
	if _, err := RunShard(context.Background(), s, plan, o); err != nil {
		t.Fatalf("explicit reshard to 2: %v", err)
	}
	if j, _ := ReadJob(out); j.Shards != 2 {
		t.Fatalf("job records %d shards after the reshard, want 2", j.Shards)
	}
	env.Shard = Shard{0, 2}
	if _, err := RunShard(context.Background(), s, plan, env); err != nil {
		t.Fatalf("shard 0/2 from the environment after the reshard: %v", err)
	}
	if v := verify(t, s, Options{Input: o.Input, Output: out, Shard: Shard{0, 2}}); !v.OK() {
		t.Fatalf("verify: %+v %v", v.Rows, v.Problems)
	}
}

// runPaused runs shard o in a child process stopped by hook, calls change while it is
// stopped, lets it go on, and returns its error and log.
func runPaused(t *testing.T, o Options, hook string, change func()) (string, error) {
	t.Helper()
	cmd := child(t, o, hook)
	var errb bytes.Buffer
	cmd.Stderr = &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	waitStopped(t, cmd.Process.Pid, &errb)
	change()
	cmd.Process.Signal(syscall.SIGCONT)
	err := cmd.Wait()
	return errb.String(), err
}

// touch moves a file's modification time by a second: a rewrite, as the job sees it.
func touch(t *testing.T, path string) {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	later := st.ModTime().Add(time.Second)
	if err := os.Chtimes(path, later, later); err != nil {
		t.Fatal(err)
	}
}

// hasManifest reports whether the unit of the plan reading a file named base has a
// manifest (is committed).
func hasManifest(t *testing.T, s *Session, o Options, base string) bool {
	t.Helper()
	plan, err := Plan(context.Background(), s.Conn, o.Input, o.UnitRows)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range plan {
		if filepath.Base(u.Path) == base {
			m, err := layout{o.Output}.readManifest(u.ID)
			if err != nil {
				t.Fatal(err)
			}
			return m != nil
		}
	}
	t.Fatalf("no unit reads %s", base)
	return false
}

// A file rewritten while its unit's query runs (here: after the query, before the
// commit) is not committed, and the refusal says to redo its units, not only to put
// it back.
func TestInputChangedDuringTheQueryIsNotCommitted(t *testing.T) {
	s := openSession(t)
	d := t.TempDir()
	for name, text := range map[string]string{"a.csv": "id,text\n0,a great film\n", "b.csv": "id,text\n1,a fine film\n"} {
		if err := os.WriteFile(filepath.Join(d, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	o := Options{Task: "sentiment", Input: Input{Patterns: []string{filepath.Join(d, "*.csv")}}, Output: filepath.Join(t.TempDir(), "out"), Shard: Shard{0, 1}, Version: "test"}
	// The unit is too small to stop mid-query: the hook fires after it.
	log, err := runPaused(t, o, "pause:inference:0:1", func() { touch(t, filepath.Join(d, "b.csv")) })
	if err == nil || !strings.Contains(log, "after the unit's query") || !strings.Contains(log, "delete the manifests of its units") {
		t.Fatalf("the shard whose input changed during the query: %v, want a failure saying to redo the file's units; its log:\n%s", err, log)
	}
	if hasManifest(t, s, o, "b.csv") || !hasManifest(t, s, o, "a.csv") {
		t.Fatalf("want a.csv's unit committed and b.csv's not")
	}
	if tmp, _ := os.ReadDir(layout{o.Output}.tmp()); len(tmp) != 0 {
		t.Errorf("temp files left: %v", tmp)
	}
}

// A table unit checks its database file (and .wal) around its query.
func TestTableChangedDuringAShardIsNotCommitted(t *testing.T) {
	s := openSession(t)
	db := filepath.Join(t.TempDir(), "src.duckdb")
	execSQL(t, s, "ATTACH "+sqlString(db)+" AS w")
	execSQL(t, s, "CREATE TABLE w.reviews AS SELECT i::BIGINT AS id, 'a fine film ' || i AS text FROM range(20) r(i)")
	execSQL(t, s, "DETACH w")
	o := Options{Task: "sentiment", Input: Input{Patterns: []string{db}, Table: "reviews"}, UnitRows: 10,
		Output: filepath.Join(t.TempDir(), "out"), Shard: Shard{0, 1}, Version: "test"}
	log, err := runPaused(t, o, "pause:read:0:1", func() { touch(t, db) })
	if err == nil || !strings.Contains(log, "src.duckdb changed") {
		t.Fatalf("the shard whose database changed: %v, want a failure naming src.duckdb; its log:\n%s", err, log)
	}
	ms, _, err := layout{o.Output}.allManifests()
	if err != nil || len(ms) != 1 {
		t.Fatalf("%d units committed (%v), want only the one before the change", len(ms), err)
	}
}

// An empty CSV unit's output takes the columns of its Like file: that one is checked
// too.
func TestEmptyUnitChecksItsLikeFile(t *testing.T) {
	s := openSession(t)
	d := t.TempDir()
	if err := os.WriteFile(filepath.Join(d, "a.csv"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(d, "b.csv"), []byte("id,text\n1,a fine film\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	o := Options{Task: "sentiment", Input: Input{Patterns: []string{filepath.Join(d, "*.csv")}}, Output: filepath.Join(t.TempDir(), "out"), Shard: Shard{0, 1}, Version: "test"}
	log, err := runPaused(t, o, "pause:read:0:0", func() { touch(t, filepath.Join(d, "b.csv")) })
	if err == nil || !strings.Contains(log, "b.csv changed") {
		t.Fatalf("the shard whose empty unit's Like file changed: %v; its log:\n%s", err, log)
	}
	if hasManifest(t, s, o, "a.csv") {
		t.Fatal("the empty unit was committed with the columns of a changed file")
	}
}

// The manifest records the input file's size and time the unit read: verify flags a
// unit that read another version, and a rerun of a job started afresh (job.json
// removed) redoes it rather than skip a CSV unit on its manifest.
func TestManifestRecordsTheInputItRead(t *testing.T) {
	s := openSession(t)
	d := t.TempDir()
	b := filepath.Join(d, "b.csv")
	if err := os.WriteFile(filepath.Join(d, "a.csv"), []byte("id,text\n0,a great film\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(b, []byte("id,text\n1,a fine film\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	o := Options{Task: "sentiment", Input: Input{Patterns: []string{filepath.Join(d, "*.csv")}}, Output: filepath.Join(t.TempDir(), "out"), Shard: Shard{0, 1}, Version: "test"}
	runAll(t, s, o)
	st, _ := os.Stat(b)
	plan, err := Plan(context.Background(), s.Conn, o.Input, 0)
	if err != nil {
		t.Fatal(err)
	}
	m, err := layout{o.Output}.readManifest(plan[1].ID)
	if err != nil || m == nil || m.InputSize != st.Size() || m.InputModNs != st.ModTime().UnixNano() {
		t.Fatalf("b.csv's manifest: %+v %v, want its size %d and time %d", m, err, st.Size(), st.ModTime().UnixNano())
	}
	// Same size and row count, another word.
	if err := os.WriteFile(b, []byte("id,text\n1,a dull film\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	touch(t, b)
	if err := os.Remove(layout{o.Output}.job()); err != nil {
		t.Fatal(err)
	}
	v := verify(t, s, o)
	if v.OK() || !strings.Contains(v.Rows[1].Status, "another version of its input file") {
		t.Fatalf("verify of a unit that read another version: %+v %v", v.Rows, v.Problems)
	}
	reps := runAll(t, s, o)
	if reps[0].Done != 1 || reps[0].Skipped != 1 {
		t.Fatalf("rerun of the job started afresh: %+v, want b.csv's unit redone", reps[0])
	}
	if v := verify(t, s, o); !v.OK() {
		t.Fatalf("verify after the rerun: %+v %v", v.Rows, v.Problems)
	}
}

// A unit's temp file is named by os.CreateTemp, not by the PID: in Kubernetes every
// pod's duckinfer is PID 1, and two writers of one unit must not share a file. The
// name still matches cleanTemp's glob, and the manifest records the committed file's
// size and sha256.
func TestTempNameIsNotThePID(t *testing.T) {
	l := layout{filepath.Join(t.TempDir(), "out")}
	if err := l.create(); err != nil {
		t.Fatal(err)
	}
	id := "part-000-2dc27f31e07bc73f885f"
	a, err := tempOutput(l, id)
	if err != nil {
		t.Fatal(err)
	}
	b, err := tempOutput(l, id)
	if err != nil {
		t.Fatal(err)
	}
	pid := filepath.Join(l.tmp(), fmt.Sprintf("%s.%d.parquet.tmp", id, os.Getpid()))
	if a == b || a == pid || b == pid || !strings.HasSuffix(a, ".parquet.tmp") {
		t.Fatalf("temp names %s and %s, want two unique ones, not %s", a, b, pid)
	}
	if err := cleanTemp(l, id); err != nil {
		t.Fatal(err)
	}
	if left, _ := os.ReadDir(l.tmp()); len(left) != 0 {
		t.Fatalf("cleanTemp left %v", left)
	}

	s := openSession(t)
	glob := dataset(t, s, t.TempDir(), 1, 100, 100)
	o := Options{Task: "sentiment", Input: Input{Patterns: []string{glob}}, Output: filepath.Join(t.TempDir(), "out"), Shard: Shard{0, 1}, Version: "test"}
	runAll(t, s, o)
	plan, err := Plan(context.Background(), s.Conn, o.Input, 0)
	if err != nil {
		t.Fatal(err)
	}
	m, err := layout{o.Output}.readManifest(plan[0].ID)
	if err != nil || m == nil {
		t.Fatal(m, err)
	}
	if size, sum, err := hashFile(layout{o.Output}.output(plan[0].ID), false); err != nil || size != m.OutputSize || sum != m.OutputSHA256 {
		t.Fatalf("manifest records %d bytes %s, the file is %d bytes %s (%v)", m.OutputSize, m.OutputSHA256, size, sum, err)
	}
}

// A folder begun by a version that recorded no fingerprint or shard count in job.json,
// then a mistaken run with another fingerprint (another version here; -opt or another
// model alike) and no -recompute: that run is refused, and job.json does not adopt its
// fingerprint, so a rerun with the folder's own still goes on.
func TestOldJobMistakenRunDoesNotAdoptItsFingerprint(t *testing.T) {
	s := openSession(t)
	glob := dataset(t, s, t.TempDir(), 2, 100, 100)
	out := filepath.Join(t.TempDir(), "out")
	o := Options{Task: "sentiment", Input: Input{Patterns: []string{glob}}, Output: out, Shard: Shard{0, 2}, Version: "v1"}
	plan0, err := Plan(context.Background(), s.Conn, o.Input, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := RunShard(context.Background(), s, plan0, o); err != nil { // shard 0 only
		t.Fatal(err)
	}
	j, err := ReadJob(out)
	if err != nil {
		t.Fatal(err)
	}
	j.Fingerprint, j.Shards = nil, 0 // as older versions wrote it
	b, _ := json.Marshal(j)
	if err := os.WriteFile(layout{out}.job(), b, 0o644); err != nil {
		t.Fatal(err)
	}
	plan, err := Plan(context.Background(), s.Conn, o.Input, 0)
	if err != nil {
		t.Fatal(err)
	}
	bad := o
	bad.Version = "v2"
	bad.Shard.Index = 1
	_, err = RunShard(context.Background(), s, plan, bad)
	t.Logf("mistaken run (v2, no -recompute): err=%v", err)
	if j, _ := ReadJob(out); j != nil && j.Fingerprint != nil && j.Fingerprint.Version != "v1" {
		t.Errorf("job.json now records version %q, though every unit is v1 and the v2 run had no -recompute", j.Fingerprint.Version)
	}
	o.Shard.Index = 1
	if _, err := RunShard(context.Background(), s, plan, o); err != nil {
		t.Errorf("rerun with the folder's own fingerprint (v1): %v", err)
	}
}

// runShard plans o's input and runs o's shard of it, failing the test on an error; it
// returns the plan.
func runShard(t *testing.T, s *Session, o Options) []Unit {
	t.Helper()
	plan, err := Plan(context.Background(), s.Conn, o.Input, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := RunShard(context.Background(), s, plan, o); err != nil {
		t.Fatal(err)
	}
	return plan
}
