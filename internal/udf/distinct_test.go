package udf

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/duckdb/duckdb-go/v2"

	"github.com/duckinfer/duckinfer/internal/duckvec"
)

// loadDistinct runs d over the chunk's first column, as ml_infer does.
func loadDistinct(t testing.TB, d *duckvec.Distinct, chunk *duckdb.DataChunk, n int) bool {
	col := vectorColumn{name: "x", chunk: chunk}
	rv, ok := col.raw(n)
	if !ok || rv.typ != duckdb.TYPE_VARCHAR {
		t.Errorf("column 0 cannot be read raw as VARCHAR") // on a DuckDB thread: no Fatal
		return false
	}
	return d.Load(rv.data, rv.mask, n)
}

// duckvec.Distinct over real DuckDB chunks keeps each non-NULL value once, in
// first-seen order, and maps every row to its value (NULL rows to -1).
func TestDistinctValues(t *testing.T) {
	var mu sync.Mutex
	var problems []string
	chunks, total, declined := 0, 0, 0
	conn := probeDB(t, func(chunk *duckdb.DataChunk, n int) error {
		mu.Lock()
		defer mu.Unlock()
		d := &duckvec.Distinct{}
		if !loadDistinct(t, d, chunk, n) {
			declined++
			return nil
		}
		chunks++
		col := vectorColumn{name: "x", chunk: chunk, slowReads: true}
		want, valid := make([]string, n), trues(n)
		if err := col.Strings(want, valid); err != nil {
			return err
		}
		seen := map[string]int{}
		var order []string
		nonNull := 0
		for r := range n {
			total++
			if !valid[r] {
				if d.Of[r] != -1 {
					problems = append(problems, fmt.Sprintf("NULL row %d maps to %d", r, d.Of[r]))
				}
				continue
			}
			nonNull++
			if _, ok := seen[want[r]]; !ok {
				seen[want[r]] = len(order)
				order = append(order, want[r])
			}
			if d.Of[r] != int32(seen[want[r]]) {
				problems = append(problems, fmt.Sprintf("row %d (%q) maps to %d, want %d", r, want[r], d.Of[r], seen[want[r]]))
			}
		}
		mapped := 0
		for _, i := range d.Of[:n] {
			if i >= 0 {
				mapped++
			}
		}
		if strings.Join(d.Uniq, "\x00") != strings.Join(order, "\x00") || mapped != nonNull {
			problems = append(problems, fmt.Sprintf("%d distinct values (%d rows), want %d (%d rows)", len(d.Uniq), mapped, len(order), nonNull))
		}
		return nil
	})
	// Short (inline) and long values, each about ten times per chunk, plus NULLs.
	q := `SELECT count(probe(x)) FROM (SELECT CASE WHEN i % 13 = 0 THEN NULL WHEN i % 2 = 0 THEN 'v' || (hash(i // 10) % 300)
		ELSE 'a longer value, past the inline limit: ' || (hash(i // 10) % 300) END AS x FROM range(20000) r(i))`
	if _, err := conn.ExecContext(t.Context(), q); err != nil {
		t.Fatal(err)
	}
	if declined != 0 {
		t.Fatalf("%d chunks with repeats were left to the ordinary path", declined)
	}
	if chunks == 0 || total != 20000 {
		t.Fatalf("%d chunks, %d rows checked", chunks, total)
	}
	if len(problems) > 0 {
		t.Fatalf("%s", strings.Join(problems[:min(20, len(problems))], "\n"))
	}

	// A chunk of all-distinct values is declined after the probe.
	d := &duckvec.Distinct{}
	var loaded []bool
	conn = probeDB(t, func(chunk *duckdb.DataChunk, n int) error {
		mu.Lock()
		defer mu.Unlock()
		loaded = append(loaded, loadDistinct(t, d, chunk, n))
		return nil
	})
	if _, err := conn.ExecContext(t.Context(), `SELECT count(probe('value ' || i)) FROM range(2048) r(i)`); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(loaded) != "[false]" {
		t.Fatalf("Distinct.Load on one chunk of distinct values: %v, want [false]", loaded)
	}
}

// BenchmarkDistinctLoad is the distinct-values path's own cost per chunk row: reading a
// 2048-row chunk of review-like texts (~100 bytes) and finding its distinct values, or
// giving up after the probe and reading it plainly ("distinct"), next to the plain
// read alone ("read"); all values distinct, or 10 % distinct.
func BenchmarkDistinctLoad(b *testing.B) {
	for _, pct := range []int{100, 10} {
		var mu sync.Mutex
		done := false
		conn := probeDB(b, func(chunk *duckdb.DataChunk, n int) error {
			mu.Lock()
			defer mu.Unlock()
			if done || n != 2048 {
				return nil
			}
			done = true
			b.Run(fmt.Sprintf("distinct_pct=%d/read", pct), func(b *testing.B) {
				col := vectorColumn{name: "x", chunk: chunk}
				dst, valid := make([]string, n), trues(n)
				b.ReportAllocs()
				for b.Loop() {
					if err := col.Strings(dst, valid); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/row")
			})
			b.Run(fmt.Sprintf("distinct_pct=%d/distinct", pct), func(b *testing.B) {
				// What ml_infer does: the distinct path, or the plain read when the
				// probe finds too few repeats.
				d := &duckvec.Distinct{}
				col := vectorColumn{name: "x", chunk: chunk}
				dst, valid := make([]string, n), trues(n)
				b.ReportAllocs()
				for b.Loop() {
					if !loadDistinct(b, d, chunk, n) {
						if err := col.Strings(dst, valid); err != nil {
							b.Fatal(err)
						}
					}
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/row")
			})
			return nil
		})
		q := fmt.Sprintf(`SELECT count(probe(x)) FROM (SELECT 'The battery lasts all day and the screen is bright, would buy again, says customer ' || (i // %d) AS x FROM range(2048) r(i))`, 100/pct)
		if _, err := conn.ExecContext(context.Background(), q); err != nil {
			b.Fatal(err)
		}
	}
}
