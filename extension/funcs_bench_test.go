//go:build unix

package extension

import (
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// BenchmarkPreprocessor measures what a Go pre-processor adds to ml_predict per row:
// the same query over the same rows with the input column already clean ("plain"),
// through DuckDB's own lower(trim(...)) ("sql"), and through the Go function clean
// ("go"); the model sees the same strings in all three. Without the model it times
// clean, an identity Go function (the cost of a call) and lower(trim(...)) alone
// ("go-alone", "same-alone", "sql-alone"). 100,000 rows are one DuckDB row group,
// which one thread scans, so the figures are per row and thread.
//
// The queries run in turn inside each iteration, in a rotating order, so they share
// the machine's state. It reports the median wall time per row of each (ns/row-*),
// and go/plain as a ratio of wall times and of the process's CPU times (cpu-go/plain),
// which a neighbour's load on a shared machine moves less.
//
//	go test -run '^$' -bench BenchmarkPreprocessor -benchtime 10x ./extension/
func BenchmarkPreprocessor(b *testing.B) {
	const rows = 100_000
	db, _ := open(b, WithFuncs(
		Func1("clean", func(s string) (string, error) { return strings.ToLower(strings.TrimSpace(s)), nil }),
		Func1("same", func(s string) (string, error) { return s, nil }),
	))
	// clean_body holds what clean returns, so the model sees the same strings in all three.
	exec(b, db, `CREATE TABLE bench AS SELECT i AS id,
		'  ' || (['Great product, LOVE it', 'Broke after two days', 'Works as described, fine', 'Awful support, never again'])[i % 4 + 1] || ' #' || i || ' ' AS body
		FROM range(`+strconv.Itoa(rows)+`) r(i)`)
	exec(b, db, `ALTER TABLE bench ADD COLUMN clean_body VARCHAR`)
	exec(b, db, `UPDATE bench SET clean_body = lower(trim(body))`)
	predict := func(input string) string {
		return `SELECT count(predicted_class) FROM ml_predict('sentiment', '` + strings.ReplaceAll(input, "'", "''") + `')`
	}
	queries := []struct{ name, query string }{
		{"plain", predict(`SELECT clean_body AS text FROM bench`)},
		{"sql", predict(`SELECT lower(trim(body)) AS text FROM bench`)},
		{"go", predict(`SELECT clean(body) AS text FROM bench`)},
		{"go-alone", `SELECT count(clean(body)) FROM bench`},        // the Go function without the model
		{"same-alone", `SELECT count(same(body)) FROM bench`},       // the cost of a call: the identity
		{"sql-alone", `SELECT count(lower(trim(body))) FROM bench`}, // DuckDB's own, without the model
	}
	cpu := func() time.Duration {
		var ru syscall.Rusage
		if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
			b.Fatal(err)
		}
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	wall := make([][]time.Duration, len(queries))
	cpus := make([][]time.Duration, len(queries))
	for _, q := range queries { // warm up: model sessions, caches
		one[int64](b, db, q.query)
	}
	for k := 0; b.Loop(); k++ {
		for j := range queries {
			i := (j + k) % len(queries) // each query takes each place in turn
			q := queries[i]
			start, startCPU := time.Now(), cpu()
			n := one[int64](b, db, q.query)
			wall[i] = append(wall[i], time.Since(start))
			cpus[i] = append(cpus[i], cpu()-startCPU)
			if n != rows {
				b.Fatalf("%s: %d predictions for %d rows", q.name, n, rows)
			}
		}
	}
	perRow := func(spent []time.Duration) float64 {
		d := slices.Clone(spent)
		slices.Sort(d)
		return float64(d[len(d)/2].Nanoseconds()) / rows
	}
	for i, q := range queries {
		b.ReportMetric(perRow(wall[i]), "ns/row-"+q.name)
	}
	b.ReportMetric(perRow(wall[2])/perRow(wall[0]), "go/plain")
	b.ReportMetric(perRow(cpus[2])/perRow(cpus[0]), "cpu-go/plain")
	b.ReportMetric(0, "ns/op") // the per-row figures are the result
}
