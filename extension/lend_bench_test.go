package extension

import (
	"fmt"
	"runtime"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// BenchmarkPredictRecord scores one 30,000-row record of distinct review texts with
// Predict: with one CPU slot (the record's batches on the caller's goroutine alone)
// and with one slot per core (the batches lent to the idle slots too), in one run.
//
//	go test ./extension -run '^$' -bench BenchmarkPredictRecord -benchtime 5x
func BenchmarkPredictRecord(b *testing.B) {
	const n = 30000
	mem := memory.NewGoAllocator()
	sb := array.NewStringBuilder(mem)
	for i := range n {
		sb.Append(fmt.Sprint("review ", i, [...]string{" great battery, would buy again", " broke after a week", " it is fine"}[i%3]))
	}
	ta := sb.NewArray()
	defer ta.Release()
	schema := arrow.NewSchema([]arrow.Field{{Name: "text", Type: arrow.BinaryTypes.String}}, nil)
	rec := array.NewRecordBatch(schema, []arrow.Array{ta}, n)
	defer rec.Release()
	for _, slots := range []int{1, runtime.NumCPU()} {
		b.Run(fmt.Sprintf("slots=%d", slots), func(b *testing.B) {
			_, c := open(b, WithCPUSlots(slots))
			// Load every slot's session before timing.
			for range 2 {
				cls, conf, err := c.PredictRecord(b.Context(), "sentiment", rec, RecordOptions{}, mem)
				if err != nil {
					b.Fatal(err)
				}
				cls.Release()
				conf.Release()
			}
			lent := c.Stats().RowsLent
			b.ResetTimer()
			for b.Loop() {
				cls, conf, err := c.PredictRecord(b.Context(), "sentiment", rec, RecordOptions{}, mem)
				if err != nil {
					b.Fatal(err)
				}
				cls.Release()
				conf.Release()
			}
			b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "rows/s")
			b.ReportMetric(float64(c.Stats().RowsLent-lent)/float64(n*b.N), "lent/row")
		})
	}
}
