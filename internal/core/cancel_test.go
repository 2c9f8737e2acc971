package core

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/duckinfer/duckinfer/internal/models"
)

// Once infer has returned, after a cancel or not, nothing lent touches the chunk: a
// helper whose session was still loading takes no batch when it arrives, and the
// helpers that took batches have finished them. (The binding frees DuckDB's vectors,
// whose strings the chunk's inputs borrow, right after.)
func TestNothingTouchesTheChunkAfterInfer(t *testing.T) {
	for _, cancelAt := range []int{-1, 0, 2, 7} {
		t.Run(fmt.Sprint("cancelAt=", cancelAt), func(t *testing.T) {
			r := &sharedRecorder{panicAt: -1}
			c, ch, release := lendCall(t, texts(64), OnErrorNull, 3, r)
			defer release()
			var returned atomic.Bool
			var late, started atomic.Int64
			loaded := make(chan struct{})
			slowLoad := make(chan struct{})
			testLendSession = func(pl models.Placement) (predictor, error) {
				started.Add(1)
				inner := r.session(fmt.Sprint("slot", pl.Instance))
				<-slowLoad // the load finishes only after infer has returned
				defer close(loaded)
				return predictFunc(func(ctx context.Context, in []models.InputData, lo, hi int, out models.OutputData) error {
					if returned.Load() {
						late.Add(1)
					}
					return inner.Predict(ctx, in, lo, hi, out)
				}), nil
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			n := 0
			part := r.session("partition")
			p := predictFunc(func(ctx2 context.Context, in []models.InputData, lo, hi int, out models.OutputData) error {
				if n == cancelAt {
					cancel()
				}
				n++
				if err := ctx2.Err(); err != nil {
					return err
				}
				return part.Predict(ctx2, in, lo, hi, out)
			})
			err := c.infer(ctx, p, ch, 64)
			returned.Store(true)
			close(slowLoad)
			time.Sleep(20 * time.Millisecond)
			if started.Load() > 0 {
				select {
				case <-loaded:
				case <-time.After(5 * time.Second):
					t.Fatal("the lent helper never finished loading")
				}
				time.Sleep(20 * time.Millisecond)
			}
			if cancelAt >= 0 && !errors.Is(err, context.Canceled) {
				t.Fatalf("cancelled at batch %d: %v", cancelAt, err)
			}
			if cancelAt < 0 && err != nil {
				t.Fatal(err)
			}
			if l := late.Load(); l != 0 {
				t.Fatalf("%d batches ran on a lent session after infer returned", l)
			}
			// The helper gives its count back after its load returns: wait, generously.
			for deadline := time.Now().Add(5 * time.Second); c.env.running().Load() != 0 && time.Now().Before(deadline); {
				time.Sleep(time.Millisecond)
			}
			if got := c.env.running().Load(); got != 0 {
				t.Fatalf("running = %d after the helper ended", got)
			}
		})
	}
}
