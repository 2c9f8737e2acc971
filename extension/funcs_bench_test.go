package extension

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

// BenchmarkPreprocessor measures what a Go pre-processor adds to ml_predict per row:
// the same query over the same rows, with the input column as it is ("plain"), through
// DuckDB's own lower(trim(...)) ("sql"), and through the Go function clean ("go"). The
// three run in turn inside each iteration, so they share the machine's state; it
// reports each one's ns/row and go/plain.
//
//	go test -run '^$' -bench BenchmarkPreprocessor -benchtime 5x ./extension/
func BenchmarkPreprocessor(b *testing.B) {
	const rows = 100_000
	db, _ := open(b, WithFuncs(Func1("clean", func(s string) (string, error) {
		return strings.ToLower(strings.TrimSpace(s)), nil
	})))
	exec(b, db, `CREATE TABLE bench AS SELECT i AS id,
		'  ' || (['Great product, LOVE it', 'Broke after two days', 'Works as described, fine', 'Awful support, never again'])[i % 4 + 1] || ' #' || i || ' ' AS body
		FROM range(`+strconv.Itoa(rows)+`) r(i)`)
	queries := []struct{ name, input string }{
		{"plain", `SELECT body AS text FROM bench`},
		{"sql", `SELECT lower(trim(body)) AS text FROM bench`},
		{"go", `SELECT clean(body) AS text FROM bench`},
	}
	spent := make([]time.Duration, len(queries))
	for _, q := range queries { // warm up: model sessions, caches
		one[int64](b, db, `SELECT count(predicted_class) FROM ml_predict('sentiment', '`+strings.ReplaceAll(q.input, "'", "''")+`')`)
	}
	b.ResetTimer()
	for b.Loop() {
		for i, q := range queries {
			start := time.Now()
			n := one[int64](b, db, `SELECT count(predicted_class) FROM ml_predict('sentiment', '`+strings.ReplaceAll(q.input, "'", "''")+`')`)
			spent[i] += time.Since(start)
			if n != rows {
				b.Fatalf("%s: %d predictions for %d rows", q.name, n, rows)
			}
		}
	}
	perRow := func(i int) float64 { return float64(spent[i].Nanoseconds()) / float64(b.N*rows) }
	for i, q := range queries {
		b.ReportMetric(perRow(i), "ns/row-"+q.name)
	}
	b.ReportMetric(perRow(2)/perRow(0), "go/plain")
	b.ReportMetric(0, "ns/op") // the per-row figures are the result
}
