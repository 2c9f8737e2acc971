package batch

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"
)

// Pins: a shard waiting for a unit another process holds (the second pass) blocked
// in flock(2) and never looked at its context, so SIGTERM (scancel, a pod's deletion)
// and Ctrl-C did not stop it while the holder lived. It returns promptly now.
func TestRunShardCancelWhileWaitingForALock(t *testing.T) {
	s := openSession(t)
	glob := dataset(t, s, t.TempDir(), 1, 20, 20)
	out := filepath.Join(t.TempDir(), "out")
	o := Options{Task: "sentiment", Input: Input{Patterns: []string{glob}}, Output: out, Shard: Shard{0, 1}, Version: "test"}
	plan, err := Plan(context.Background(), s.Conn, o.Input, 0)
	if err != nil {
		t.Fatal(err)
	}
	l := layout{out}
	if err := l.create(); err != nil {
		t.Fatal(err)
	}
	// Another holder of the unit's lock (a separate open file: flock conflicts).
	held, err := lockUnit(context.Background(), l.lock(plan[0].ID), false)
	if err != nil || held == nil {
		t.Fatalf("lock: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := RunShard(ctx, s, plan, o)
		done <- err
	}()
	time.Sleep(1500 * time.Millisecond)
	cancel() // SIGTERM
	select {
	case err := <-done:
		held.unlock()
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("cancelled shard returned %v, want context.Canceled", err)
		}
	case <-time.After(5 * time.Second):
		held.unlock()
		<-done
		t.Fatal("RunShard still waiting for the held unit lock 5 s after its context was cancelled (SIGTERM/Ctrl-C ignored)")
	}
}
