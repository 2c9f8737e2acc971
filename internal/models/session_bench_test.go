package models_test

import (
	"context"
	"encoding/csv"
	"fmt"
	"os"
	"testing"

	"github.com/duckinfer/duckinfer/internal/models"
)

// benchTexts returns n review sentences: the shipped sample (testdata/reviews.csv),
// repeated, each copy glued to its neighbour half the time so lengths vary like the
// bench tables' texts.
func benchTexts(b *testing.B, n int) []string {
	b.Helper()
	f, err := os.Open("../../testdata/reviews.csv")
	if err != nil {
		b.Skip("testdata/reviews.csv:", err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		b.Fatal(err)
	}
	var base []string
	for _, r := range recs[1:] {
		base = append(base, r[2])
	}
	out := make([]string, n)
	for i := range out {
		s := base[i%len(base)]
		if i%2 == 1 {
			s += " " + base[(i*7+3)%len(base)]
		}
		out[i] = s
	}
	return out
}

func benchSession(b *testing.B, task string) *models.Session {
	b.Helper()
	reg, err := models.NewRegistry("../../testdata/tasks")
	if err != nil {
		b.Fatal(err)
	}
	t, err := reg.Lookup(task)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := models.InitRuntime(models.FlavorCPU); err != nil {
		b.Skip("ONNX Runtime not installed:", err)
	}
	pool := models.NewPool(models.FlavorCPU)
	b.Cleanup(func() { _ = pool.Close() })
	s, err := pool.Session(context.Background(), t, models.Placement{Device: "cpu", Threads: 1})
	if err != nil {
		b.Fatal(err)
	}
	return s
}

// BenchmarkPredict measures Session.Predict per batch: sentiment at the task's batch
// size 256 (the model_efficiency reference), the per-call overhead at batch 1 and with
// the noop model, and the cost of a cancellable context (DuckDB queries run under
// one: Predict then builds RunOptions and a context.AfterFunc per batch).
func BenchmarkPredict(b *testing.B) {
	cases := []struct {
		task       string
		batch      int
		cancelable bool
	}{
		{"sentiment", 256, false},
		{"sentiment", 256, true},
		{"sentiment", 2048, false},
		{"sentiment", 1, false},
		{"sentiment", 1, true},
		{"noop", 256, false},
		{"noop", 256, true},
		{"noop", 1, false},
	}
	for _, c := range cases {
		ctxName := "bg"
		if c.cancelable {
			ctxName = "cancelable"
		}
		b.Run(fmt.Sprintf("%s/batch=%d/ctx=%s", c.task, c.batch, ctxName), func(b *testing.B) {
			s := benchSession(b, c.task)
			texts := benchTexts(b, c.batch)
			in := s.Task().NewInputs()
			valid := make([]bool, len(texts))
			if err := in[0].Load([]models.Column{&models.Values{ColName: "text", Strs: texts}}, len(texts), valid, func(int, error) {}); err != nil {
				b.Fatal(err)
			}
			out := s.Task().NewOutput()
			out.Reset(len(texts))
			ctx := context.Background()
			if c.cancelable {
				var cancel context.CancelFunc
				ctx, cancel = context.WithCancel(ctx)
				defer cancel()
			}
			if err := s.Predict(ctx, in, 0, c.batch, out); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if err := s.Predict(ctx, in, 0, c.batch, out); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*c.batch)/b.Elapsed().Seconds(), "rows/s")
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*c.batch), "ns/row")
		})
	}
}
