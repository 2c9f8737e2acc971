package batch

import (
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// faultSetup writes a dataset of files × rows and returns shard 0/1 options over it.
func faultSetup(t *testing.T, files, rows int) (*Session, Options, string) {
	t.Helper()
	s := openSession(t)
	glob := dataset(t, s, t.TempDir(), files, rows, 4096)
	out := filepath.Join(t.TempDir(), "out")
	return s, Options{Task: "sentiment", Input: Input{Patterns: []string{glob}}, Output: out, Shard: Shard{0, 1}, Version: "test"}, glob
}

func killedBySIGKILL(err error) bool {
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		return false
	}
	ws, ok := ee.Sys().(syscall.WaitStatus)
	return ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL
}

func mustVerify(t *testing.T, s *Session, o Options, glob string) {
	t.Helper()
	v := verify(t, s, o)
	if !v.OK() {
		var b bytes.Buffer
		v.Print(&b)
		t.Fatalf("verify failed:\n%s", b.String())
	}
	exactlyOnce(t, s, glob, o.Output)
}

// TestKillAtEachStage kills a shard process with SIGKILL while it works on its second
// unit, at each point a unit passes, then reruns the shard: the rerun must skip the
// first unit, redo the second, and leave every row exactly once and no temp files.
func TestKillAtEachStage(t *testing.T) {
	want := map[string]string{ // what the folder shows between the kill and the rerun
		stageRead: "missing", stageInference: "missing", stageWrite: "missing", stageRename: "missing",
		stageManifest: "output without manifest (unfinished)", stageManifestWrite: "output without manifest (unfinished)",
	}
	for _, stage := range stages {
		t.Run(stage, func(t *testing.T) {
			s, o, glob := faultSetup(t, 3, 30000)
			_, stderr, err := runChild(t, o, "kill:"+stage+":0:1")
			if !killedBySIGKILL(err) {
				t.Fatalf("child not killed at %s: %v\n%s", stage, err, stderr)
			}
			t.Logf("hook: %s", strings.TrimSpace(stderr[strings.LastIndex(stderr, "test hook"):]))
			v := verify(t, s, o)
			if v.OK() {
				t.Fatal("verify passed after a kill")
			}
			var statuses []string
			for _, r := range v.Rows {
				statuses = append(statuses, r.Status)
			}
			if statuses[0] != "ok" || statuses[1] != want[stage] || statuses[2] != "missing" {
				t.Fatalf("after a kill at %s: statuses %q, want ok, %q, missing", stage, statuses, want[stage])
			}
			// A reader of out/*.parquet never sees a partial file.
			if n := scalar[int64](t, s, "SELECT count(*) FROM read_parquet('"+filepath.Join(o.Output, "*.parquet")+"')"); n%30000 != 0 {
				t.Fatalf("readers see %d rows: a partial unit", n)
			}
			rep, stderr, err := runChild(t, o, "")
			if err != nil {
				t.Fatalf("rerun: %v\n%s", err, stderr)
			}
			if rep.Skipped != 1 || rep.Done != 2 {
				t.Fatalf("rerun: %+v, want 1 skipped and 2 done", rep)
			}
			mustVerify(t, s, o, glob)
			if tmp, _ := os.ReadDir(layout{o.Output}.tmp()); len(tmp) != 0 {
				t.Fatalf("temp files left after the rerun: %v", tmp)
			}
		})
	}
}

// TestKillAtRandomPoints kills a shard process after a random delay, several times
// over one output folder, then lets one finish.
func TestKillAtRandomPoints(t *testing.T) {
	s, o, glob := faultSetup(t, 6, 20000)
	seed := uint64(time.Now().UnixNano())
	rng := rand.New(rand.NewPCG(seed, 13))
	t.Logf("seed %d", seed)
	for i := range 5 {
		cmd := child(t, o, "")
		var errb bytes.Buffer
		cmd.Stderr = &errb
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		d := time.Duration(rng.IntN(1500)) * time.Millisecond
		time.Sleep(d)
		cmd.Process.Signal(syscall.SIGKILL)
		err := cmd.Wait()
		t.Logf("kill %d after %v: %v; log: %q", i, d, err, lastLine(errb.String()))
	}
	if _, stderr, err := runChild(t, o, ""); err != nil {
		t.Fatalf("final run: %v\n%s", err, stderr)
	}
	mustVerify(t, s, o, glob)
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	return s[strings.LastIndex(s, "\n")+1:]
}

// TestTempFilesIgnoredAndCleaned: a partial Parquet temp file and a partial manifest
// temp file are invisible to readers and to verify, and the unit's next run removes them.
func TestTempFilesIgnoredAndCleaned(t *testing.T) {
	s, o, glob := faultSetup(t, 3, 2000)
	runAll(t, s, o)
	plan, _ := Plan(context.Background(), s.Conn, o.Input, 0)
	l := layout{o.Output}
	id := plan[1].ID
	good, err := os.ReadFile(l.output(id))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(l.tmp(), id+".4242.parquet.tmp"), good[:len(good)/2], 0o644)
	os.WriteFile(filepath.Join(l.tmp(), id+".json.77.tmp"), []byte(`{"unit": {"id": "`), 0o644)
	v := verify(t, s, o)
	if !v.OK() || v.Stale != 2 {
		t.Fatalf("verify with stale temp files: ok %v, stale %d", v.OK(), v.Stale)
	}
	exactlyOnce(t, s, glob, o.Output)
	rep, err := RunShard(context.Background(), s, plan, o)
	if err != nil || rep.Skipped != 3 {
		t.Fatalf("rerun: %+v %v", rep, err)
	}
	if tmp, _ := os.ReadDir(l.tmp()); len(tmp) != 0 {
		t.Fatalf("temp files not cleaned: %v", tmp)
	}
}

// TestOutputWithoutManifestRedone: an output file whose manifest is missing is an
// unfinished unit, and so is a finished unit whose output file was damaged.
func TestOutputWithoutManifestRedone(t *testing.T) {
	s, o, glob := faultSetup(t, 3, 2000)
	runAll(t, s, o)
	plan, _ := Plan(context.Background(), s.Conn, o.Input, 0)
	l := layout{o.Output}
	os.Remove(l.manifest(plan[0].ID))
	b, _ := os.ReadFile(l.output(plan[2].ID))
	os.WriteFile(l.output(plan[2].ID), b[:len(b)-100], 0o644) // footer gone
	rep, err := RunShard(context.Background(), s, plan, o)
	if err != nil || rep.Done != 2 || rep.Skipped != 1 {
		t.Fatalf("rerun: %+v %v; want units 0 and 2 redone", rep, err)
	}
	mustVerify(t, s, o, glob)
}

// TestConcurrentRunsOfOneShard runs two processes on the same shard at once, as
// Kubernetes may with a duplicate pod: each unit is scored once in all, both exit 0.
func TestConcurrentRunsOfOneShard(t *testing.T) {
	s, o, glob := faultSetup(t, 8, 8000)
	var wg sync.WaitGroup
	reps := make([]*Report, 2)
	errs := make([]error, 2)
	logs := make([]string, 2)
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			reps[i], logs[i], errs[i] = runChild(t, o, "")
		}()
	}
	wg.Wait()
	for i := range 2 {
		if errs[i] != nil {
			t.Fatalf("process %d: %v\n%s", i, errs[i], logs[i])
		}
	}
	if d := reps[0].Done + reps[1].Done; d != 8 || reps[0].Done+reps[0].Skipped != 8 || reps[1].Done+reps[1].Skipped != 8 {
		t.Fatalf("reports %+v %+v: want 8 units scored once in all", reps[0], reps[1])
	}
	t.Logf("process 0 scored %d, process 1 scored %d", reps[0].Done, reps[1].Done)
	mustVerify(t, s, o, glob)
}
