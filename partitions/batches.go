package partitions

import (
	"context"
	"iter"

	"github.com/duckinfer/duckinfer/models"
)

// Split yields the [lo, hi) bounds of consecutive batches of at most size rows.
func Split(n, size int) iter.Seq2[int, int] {
	return func(yield func(int, int) bool) {
		if size < 1 {
			size = n
		}
		for lo := 0; lo < n; lo += size {
			if !yield(lo, min(lo+size, n)) {
				return
			}
		}
	}
}

// Predictor is what a slot's model instance does; *models.Session implements it.
type Predictor interface {
	Predict(ctx context.Context, b *models.Batch, res *models.Result) error
}

// Infer runs b through p in batches of size rows, writing into res in place, and
// checks ctx between batches so a cancelled query stops within one batch.
func Infer(ctx context.Context, p Predictor, t *models.Task, b *models.Batch, size int, res *models.Result) error {
	res.Class = growTo(res.Class, b.N)
	res.Confidence = growTo(res.Confidence, b.N)
	var sub models.Batch
	for lo, hi := range Split(b.N, size) {
		if err := ctx.Err(); err != nil {
			return err
		}
		b.Slice(t, lo, hi, &sub)
		part := models.Result{Class: res.Class[lo:hi], Confidence: res.Confidence[lo:hi]}
		if err := p.Predict(ctx, &sub, &part); err != nil {
			return &BatchError{Lo: lo, Hi: hi, Err: err}
		}
	}
	return nil
}

func growTo[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

// BatchError says which rows of the input batch a failed model batch held.
type BatchError struct {
	Lo, Hi int
	Err    error
}

func (e *BatchError) Error() string { return e.Err.Error() }
func (e *BatchError) Unwrap() error { return e.Err }
