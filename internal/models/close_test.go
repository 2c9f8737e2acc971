package models

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/duckinfer/duckinfer/internal/onnxbuild"
)

// writeWideTask writes a task folder dir/name holding a generated MLP with one float
// input "x" over cfg.Inputs columns and cfg.Classes labels, and returns the model bytes.
func writeWideTask(t testing.TB, dir, name string, cfg onnxbuild.WideMLPConfig) []byte {
	t.Helper()
	model, err := onnxbuild.WideMLP(cfg)
	if err != nil {
		t.Fatal(err)
	}
	cols := make([]string, cfg.Inputs)
	for i := range cols {
		cols[i] = fmt.Sprintf("%q", fmt.Sprintf("c%d", i))
	}
	labels := make([]string, cfg.Classes)
	for i := range labels {
		labels[i] = fmt.Sprintf(`"l%d"`, i)
	}
	cfgJSON := `{"inputs":[{"name":"x","type":"float32","columns":[` + strings.Join(cols, ",") + `]}],"output":"probabilities","labels":[` + strings.Join(labels, ",") + `]}`
	if err := os.MkdirAll(filepath.Join(dir, name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name, "task.json"), []byte(cfgJSON), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name, "model.onnx"), model, 0o644); err != nil {
		t.Fatal(err)
	}
	return model
}

// floatInputs fills a session's k-column float input with rows of test values.
func floatInputs(t testing.TB, s *Session, rows, k int) ([]InputData, OutputData) {
	t.Helper()
	cols := make([]Column, k)
	for j := range cols {
		v := &Values{ColName: fmt.Sprint("c", j), Nums: make([]float64, rows)}
		for r := range v.Nums {
			v.Nums[r] = float64((r*k+j)%7) / 7
		}
		cols[j] = v
	}
	return loadColumns(t, s.Task(), rows, cols...)
}

// Close used to hold the pool lock while waiting for a load that needed that lock
// (in Check, and to forget a failure), so it hung for ever. Now it returns at once,
// and the load, when it finishes, destroys its session and reports ErrClosed.
func TestPoolCloseDuringLoad(t *testing.T) {
	if _, err := InitRuntime(FlavorCPU); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	// ~17 MB of weights: loading (Check's session, then the real one) takes a while.
	writeWideTask(t, dir, "wide", onnxbuild.WideMLPConfig{Inputs: 64, Width: 2048, Layers: 2, Classes: 2, Seed: 1})
	reg, err := NewRegistry(dir)
	if err != nil {
		t.Fatal(err)
	}
	task, err := reg.Lookup("wide")
	if err != nil {
		t.Fatal(err)
	}

	pool := NewPool(FlavorCPU)
	type result struct {
		s   *Session
		err error
		at  time.Time
	}
	results := make(chan result, 3)
	start := time.Now()
	// Two slots load, a third caller waits for slot 0's load.
	for _, inst := range []int{0, 1, 0} {
		go func() {
			s, err := pool.Session(context.Background(), task, Placement{Device: "cpu", Threads: 1, Instance: inst})
			results <- result{s, err, time.Now()}
		}()
	}
	// Close a few ms after both loads have started (their entries are in the pool).
	for {
		pool.mu.Lock()
		n := len(pool.sessions)
		pool.mu.Unlock()
		if n == 2 {
			break
		}
		time.Sleep(100 * time.Microsecond)
	}
	time.Sleep(5 * time.Millisecond)

	closeStart := time.Now()
	var closeErr error
	within(t, 5*time.Second, "Pool.Close during a load", func() { closeErr = pool.Close() })
	closed := time.Now()
	if closeErr != nil {
		t.Fatalf("Close: %v", closeErr)
	}

	inFlight := false
	for range 3 {
		var r result
		select {
		case r = <-results:
		case <-time.After(2 * time.Minute):
			t.Fatal("a loader did not return after Close")
		}
		t.Logf("loader returned %v after start (Close at %v, took %v): %v",
			r.at.Sub(start), closeStart.Sub(start), closed.Sub(closeStart), r.err)
		inFlight = inFlight || r.at.After(closed)
		switch {
		case errors.Is(r.err, ErrClosed) && r.s == nil:
		case r.err == nil && r.s != nil:
			// The load won the race with Close; Close must have destroyed it.
			in, out := floatInputs(t, r.s, 1, 64)
			if err := r.s.Predict(context.Background(), in, 0, 1, out); !errors.Is(err, ErrClosed) {
				t.Errorf("a session loaded before Close still predicts: %v", err)
			}
		default:
			t.Errorf("loader: got (%v, %v), want ErrClosed or a destroyed session", r.s, r.err)
		}
	}
	if !inFlight {
		t.Log("every load finished before Close returned; the model loads too fast here to test Close during a load")
	}
	if _, err := pool.Session(context.Background(), task, Placement{Device: "cpu"}); !errors.Is(err, ErrClosed) {
		t.Errorf("Session after Close: %v", err)
	}
	if err := pool.Check(context.Background(), task); !errors.Is(err, ErrClosed) {
		t.Errorf("Check after Close: %v", err)
	}
	if err := pool.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// Close destroys a session only after the Predict calls running on it return: they
// finish (or, started after Close, get ErrClosed), never run on a freed session.
func TestPoolCloseWaitsForPredict(t *testing.T) {
	dir := t.TempDir()
	writeWideTask(t, dir, "mid", onnxbuild.WideMLPConfig{Inputs: 64, Width: 1024, Layers: 2, Classes: 3, Seed: 2})
	reg, _ := NewRegistry(dir)
	task, err := reg.Lookup("mid")
	if err != nil {
		t.Fatal(err)
	}
	pool := NewPool(FlavorCPU)
	s, err := pool.Session(context.Background(), task, Placement{Device: "cpu", Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	ran := make(chan struct{}, 2)
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			in, out := floatInputs(t, s, 512, 64)
			for {
				err := s.Predict(context.Background(), in, 0, 512, out)
				if errors.Is(err, ErrClosed) {
					return
				}
				if err != nil {
					t.Errorf("predict: %v", err)
					return
				}
				if out.(*ClassData).Confidence[0] <= 0 || out.(*ClassData).Confidence[0] > 1 {
					t.Errorf("confidence %v", out.(*ClassData).Confidence[0])
					return
				}
				select {
				case ran <- struct{}{}:
				default:
				}
			}
		}()
	}
	<-ran
	within(t, 30*time.Second, "Pool.Close during Predict", func() {
		if err := pool.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	within(t, 30*time.Second, "Predict loops", wg.Wait)
}

// Pins: a load that panicked (the binding recovers the panic) left its pool entry
// unready, so every later caller for that slot waited forever. The panic is the load's
// error now, and the next caller loads again.
func TestSessionLoadPanicIsAnError(t *testing.T) {
	if _, err := InitRuntime(FlavorCPU); err != nil {
		t.Skip(err)
	}
	reg, err := NewRegistry()
	if err != nil {
		t.Fatal(err)
	}
	task, err := reg.Lookup("sentiment")
	if err != nil {
		t.Fatal(err)
	}
	pool := NewPool(FlavorCPU)
	defer pool.Close()
	testHookLoad = func() { panic("boom") }
	_, err = pool.Session(context.Background(), task, Placement{Device: "cpu", Threads: 1})
	testHookLoad = nil
	if err == nil || !strings.Contains(err.Error(), "panicked: boom") {
		t.Fatalf("got %v, want the panic as the load's error", err)
	}
	// The next caller loads again rather than waiting on the panicked load.
	within(t, 30*time.Second, "the load after the panicked one", func() {
		_, err = pool.Session(context.Background(), task, Placement{Device: "cpu", Threads: 1})
	})
	if err != nil {
		t.Fatalf("the load after the panic: %v", err)
	}
}
