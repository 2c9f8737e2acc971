package partitions

import (
	"context"
	"fmt"
	"testing"

	"github.com/duckinfer/duckinfer/models"
)

type nopPredictor struct{}

func (nopPredictor) Predict(context.Context, *models.Batch, *models.Result) error { return nil }

// BenchmarkInferSplit measures Infer's own cost of cutting one full DuckDB chunk (2048
// rows) into model batches, with a predictor that does nothing.
func BenchmarkInferSplit(b *testing.B) {
	task := &models.Task{Name: "bench", Config: models.Config{
		Inputs: []models.InputSpec{{Name: "text", Columns: []string{"text"}, Type: models.InputString}},
		Output: "probabilities", Labels: []string{"a", "b"}, BatchSize: 256,
	}}
	const n = 2048
	var batch models.Batch
	batch.Reset(task, n)
	for i := range batch.Inputs[0].Strings {
		batch.Inputs[0].Strings[i] = "a review sentence"
	}
	var res models.Result
	ctx := context.Background()
	for _, size := range []int{1, 32, 256, 2048} {
		b.Run(fmt.Sprintf("batch=%d", size), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := Infer(ctx, nopPredictor{}, task, &batch, size, &res); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/row")
		})
	}
}
