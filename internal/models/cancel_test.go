package models

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// holdLoads makes every load (hook: &testHookLoad) or check (&testHookCheck) wait until
// the returned release is called, and counts them. The hook is cleared at the test's
// end, after release, once every call of it has returned.
func holdLoads(t *testing.T, hook *func()) (release func(), started *atomic.Int64) {
	t.Helper()
	hold := make(chan struct{})
	started = new(atomic.Int64)
	var returned atomic.Int64
	*hook = func() {
		started.Add(1)
		defer returned.Add(1)
		<-hold
	}
	var once bool
	release = func() {
		if !once {
			once = true
			close(hold)
		}
	}
	t.Cleanup(func() {
		release()
		for returned.Load() != started.Load() {
			time.Sleep(time.Millisecond)
		}
		*hook = nil
	})
	return release, started
}

// waitStarted waits until n held loads or checks have started.
func waitStarted(t *testing.T, started *atomic.Int64, n int64) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for started.Load() < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d loads started, want %d", started.Load(), n)
		}
		time.Sleep(time.Millisecond)
	}
}

// waitSessions waits until OpenSessions is want (loads end on their own goroutines).
func waitSessions(t *testing.T, want int64, what string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for OpenSessions() != want && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if n := OpenSessions(); n != want {
		t.Fatalf("%s: %d sessions open, want %d", what, n, want)
	}
}

// entry is the pool's entry for (task, pl), to wait for its load's end.
func entry(t *testing.T, pool *Pool, task *Task, pl Placement) *sessionEntry {
	t.Helper()
	pool.mu.Lock()
	defer pool.mu.Unlock()
	e := pool.sessions[poolKey{task, pl}]
	if e == nil {
		t.Fatal("no load under way")
	}
	return e
}

// result is what a Session call returned, on a goroutine.
type result struct {
	s   *Session
	err error
}

func sessionAsync(ctx context.Context, pool *Pool, task *Task, pl Placement) chan result {
	r := make(chan result, 1)
	go func() {
		s, err := pool.Session(ctx, task, pl)
		r <- result{s, err}
	}()
	return r
}

func iris(t testing.TB) *Task {
	t.Helper()
	if _, err := InitRuntime(FlavorCPU); err != nil {
		t.Skip(err)
	}
	reg, err := NewRegistry()
	if err != nil {
		t.Fatal(err)
	}
	task, err := reg.Lookup("iris")
	if err != nil {
		t.Fatal(err)
	}
	return task
}

// wantCancelled checks that err is a cancel, in words that say so.
func wantCancelled(t *testing.T, err error, what string) {
	t.Helper()
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "cancelled") {
		t.Fatalf("%s: got %v, want the context's error, saying it was cancelled", what, err)
	}
}

// A caller whose ctx ends while the session loads returns at once; the load goes on
// for the callers still waiting, is kept in the pool (the next caller gets it without
// a second load), and Close frees it.
func TestSessionCancelDuringLoad(t *testing.T) {
	task := iris(t)
	before := OpenSessions()
	pool := NewPool(FlavorCPU)
	pl := Placement{Device: "cpu", Threads: 1}
	release, started := holdLoads(t, &testHookLoad)

	ctx, cancel := context.WithCancel(context.Background())
	cancelled := sessionAsync(ctx, pool, task, pl)
	waitStarted(t, started, 1)
	waiter := sessionAsync(context.Background(), pool, task, pl) // shares the load
	cancel()
	var r result
	within(t, 10*time.Second, "Session after its ctx was cancelled, the load still held", func() { r = <-cancelled })
	wantCancelled(t, r.err, "the cancelled caller")
	if r.s != nil {
		t.Fatal("a cancelled caller got a session")
	}
	select {
	case r := <-waiter:
		t.Fatalf("the other caller returned before the load ended: %v", r.err)
	case <-time.After(20 * time.Millisecond):
	}

	release()
	within(t, 30*time.Second, "the other caller of the shared load", func() { r = <-waiter })
	if r.err != nil {
		t.Fatal(r.err)
	}
	again, err := pool.Session(context.Background(), task, pl)
	if err != nil || again != r.s {
		t.Fatalf("the next caller got (%p, %v), want the session loaded meanwhile (%p)", again, err, r.s)
	}
	if n := pool.Loads(); n != 1 || started.Load() != 1 {
		t.Fatalf("%d loads (%d started), want the one shared", n, started.Load())
	}
	if OpenSessions() != before+1 {
		t.Fatalf("%d sessions open, want %d", OpenSessions(), before+1)
	}
	if err := pool.Close(); err != nil {
		t.Fatal(err)
	}
	waitSessions(t, before, "after Close")
}

// A load whose only caller was cancelled finishes on its own: kept for the next
// caller when the pool is open, destroyed when Close came first (no leak either way).
func TestSessionCancelledLoadThenClose(t *testing.T) {
	task := iris(t)
	pl := Placement{Device: "cpu", Threads: 1}
	for _, closeFirst := range []bool{false, true} {
		t.Run(map[bool]string{false: "close after the load", true: "close during the load"}[closeFirst], func(t *testing.T) {
			before := OpenSessions()
			pool := NewPool(FlavorCPU)
			release, started := holdLoads(t, &testHookLoad)
			ctx, cancel := context.WithCancel(context.Background())
			r := sessionAsync(ctx, pool, task, pl)
			waitStarted(t, started, 1)
			cancel()
			var got result
			within(t, 10*time.Second, "the cancelled Session", func() { got = <-r })
			wantCancelled(t, got.err, "the only caller")
			e := entry(t, pool, task, pl)
			if closeFirst {
				if err := pool.Close(); err != nil {
					t.Fatal(err)
				}
			}
			release()
			within(t, 30*time.Second, "the load", func() { <-e.ready })
			if closeFirst {
				waitSessions(t, before, "a load Close overtook, after it finished")
				if _, err := pool.Session(context.Background(), task, pl); !errors.Is(err, ErrClosed) {
					t.Fatalf("Session after Close: %v", err)
				}
				return
			}
			waitSessions(t, before+1, "the load, once finished")
			s, err := pool.Session(context.Background(), task, pl)
			if err != nil {
				t.Fatal(err)
			}
			if c := irisRow(t, s); c <= 0 || c > 1 {
				t.Fatalf("the kept session predicts confidence %v", c)
			}
			if pool.Loads() != 1 {
				t.Fatalf("%d loads, want the cancelled one kept", pool.Loads())
			}
			if err := pool.Close(); err != nil {
				t.Fatal(err)
			}
			waitSessions(t, before, "after Close")
		})
	}
}

// A load of a snapshot superseded while it loaded, whose statements were all
// cancelled and have let it go, is freed when it finishes: no later statement binds
// to that snapshot, and the release's sweep could not free a load still under way.
func TestSessionCancelledLoadOfSupersededSnapshot(t *testing.T) {
	if _, err := InitRuntime(FlavorCPU); err != nil {
		t.Skip(err)
	}
	dir := t.TempDir()
	folder := filepath.Join(dir, "flowers")
	copyTask(t, "tasks/iris", folder)
	reg, err := NewRegistry(dir)
	if err != nil {
		t.Fatal(err)
	}
	t1, err := reg.Lookup("flowers")
	if err != nil {
		t.Fatal(err)
	}
	before := OpenSessions()
	pool := NewPool(FlavorCPU)
	defer pool.Close()
	pl := Placement{Device: "cpu", Threads: 1}
	release, started := holdLoads(t, &testHookLoad)
	done := pool.Use(t1) // the statement's hold, as core.Env.Bind takes it
	ctx, cancel := context.WithCancel(context.Background())
	r := sessionAsync(ctx, pool, t1, pl)
	waitStarted(t, started, 1)
	cancel()
	var got result
	within(t, 10*time.Second, "the cancelled Session", func() { got = <-r })
	wantCancelled(t, got.err, "the statement's load")
	e := entry(t, pool, t1, pl)
	// The folder changes: the next Lookup supersedes t1. Then the statement ends.
	cfgPath := filepath.Join(folder, "task.json")
	cfg, _ := os.ReadFile(cfgPath)
	if err := os.WriteFile(cfgPath, bytes.ReplaceAll(cfg, []byte(`"setosa"`), []byte(`"SETOSA"`)), 0o644); err != nil {
		t.Fatal(err)
	}
	if t2, err := reg.Lookup("flowers"); err != nil || t2 == t1 {
		t.Fatalf("the edit made no new snapshot: %v", err)
	}
	done()
	release()
	within(t, 30*time.Second, "the load", func() { <-e.ready })
	if e.s == nil || pool.Loads() != 1 {
		t.Fatalf("the load did not finish with a session: %v", e.err)
	}
	waitSessions(t, before, "the superseded snapshot's load, once finished")
	pool.mu.Lock()
	n := len(pool.sessions)
	pool.mu.Unlock()
	if n != 0 {
		t.Fatalf("%d pool entries left, want the freed load's gone", n)
	}
}

// A ctx already ended starts no load.
func TestSessionCancelledBeforeLoad(t *testing.T) {
	task := iris(t)
	pool := NewPool(FlavorCPU)
	defer pool.Close()
	_, started := holdLoads(t, &testHookLoad)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := pool.Session(ctx, task, Placement{Device: "cpu", Threads: 1})
	wantCancelled(t, err, "Session with an ended ctx")
	if err := pool.Check(ctx, task); err == nil {
		t.Fatal("Check with an ended ctx passed without checking")
	}
	if started.Load() != 0 || pool.Loads() != 0 {
		t.Fatalf("%d loads started for an ended ctx", started.Load())
	}
}

// Check is shared the same way: a bind whose ctx ends while the model is being checked
// returns at once; the check goes on for the other binds and is kept for the next.
func TestCheckCancelDuringCheck(t *testing.T) {
	task := iris(t)
	pool := NewPool(FlavorCPU)
	defer pool.Close()
	other := make(chan error, 1)
	release, started := holdLoads(t, &testHookCheck)
	ctx, cancel := context.WithCancel(context.Background())
	cancelled := make(chan error, 1)
	go func() { cancelled <- pool.Check(ctx, task) }()
	waitStarted(t, started, 1)
	go func() { other <- pool.Check(context.Background(), task) }()
	cancel()
	var err error
	within(t, 10*time.Second, "Check after its ctx was cancelled, the check still held", func() { err = <-cancelled })
	wantCancelled(t, err, "the cancelled bind")
	release()
	within(t, 30*time.Second, "the other bind's Check", func() { err = <-other })
	if err != nil {
		t.Fatal(err)
	}
	if err := pool.Check(context.Background(), task); err != nil {
		t.Fatal(err)
	}
	if n := started.Load(); n != 1 {
		t.Fatalf("%d checks ran, want the one shared by every bind", n)
	}
}

// A check that panics (on its own goroutine, which no binding recovers) is the
// check's error, and the next bind checks again.
func TestCheckPanicIsAnError(t *testing.T) {
	task := iris(t)
	pool := NewPool(FlavorCPU)
	defer pool.Close()
	testHookCheck = func() { panic("boom") }
	err := pool.Check(context.Background(), task)
	testHookCheck = nil
	if err == nil || !strings.Contains(err.Error(), "panicked: boom") {
		t.Fatalf("got %v, want the panic as the check's error", err)
	}
	if err := pool.Check(context.Background(), task); err != nil {
		t.Fatalf("the check after the panic: %v", err)
	}
}

// BenchmarkPoolSessionLoaded is Pool.Session for a session already loaded, as every
// chunk after a slot's first asks for it, under a cancellable context as the Go
// binding's statements have: no allocation.
func BenchmarkPoolSessionLoaded(b *testing.B) {
	task := iris(b)
	pool := NewPool(FlavorCPU)
	defer pool.Close()
	pl := Placement{Device: "cpu", Threads: 1}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if _, err := pool.Session(ctx, task, pl); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := pool.Session(ctx, task, pl); err != nil {
			b.Fatal(err)
		}
	}
}
