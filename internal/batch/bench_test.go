package batch

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// BenchmarkShardVsCTAS times, in each iteration and on the same 200,000-row,
// 4-file Parquet dataset, one shard (0/1) of the batch run against a plain
// `CREATE TABLE … AS SELECT * FROM ml_predict(...)` and a plain `COPY (SELECT * FROM
// ml_predict(...)) TO '….parquet'`, alternating so both see the same machine state.
// Metrics: rows/s of each, and shard time ÷ CTAS time (the batch command's overhead:
// planning, a query per unit, fsyncs, manifests, locks).
//
//	go test ./internal/batch -run '^$' -bench ShardVsCTAS -benchtime 5x
func BenchmarkShardVsCTAS(b *testing.B) {
	ctx := context.Background()
	s := openSession(b)
	glob := dataset(b, s, b.TempDir(), 4, 50000, 122880)
	const rows = 200000
	src := fmt.Sprintf("SELECT * FROM read_parquet('%s')", glob)
	ctas := "CREATE OR REPLACE TABLE scored AS SELECT * FROM ml_predict('sentiment', " + sqlString(src) + ")"
	tmp := b.TempDir()
	var tCTAS, tCopy, tShard time.Duration
	// One warm-up of each, outside the timing: model load, file cache.
	run := func(i int) (time.Duration, time.Duration, time.Duration) {
		t0 := time.Now()
		if _, err := s.Conn.ExecContext(ctx, ctas); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		cp := "COPY (SELECT * FROM ml_predict('sentiment', " + sqlString(src) + ")) TO " + sqlString(filepath.Join(tmp, fmt.Sprintf("c%d.parquet", i))) + " (FORMAT parquet)"
		if _, err := s.Conn.ExecContext(ctx, cp); err != nil {
			b.Fatal(err)
		}
		t2 := time.Now()
		o := Options{Task: "sentiment", Input: Input{Patterns: []string{glob}}, Output: filepath.Join(tmp, fmt.Sprintf("out%d", i)), Shard: Shard{0, 1}, Version: "bench"}
		plan, err := Plan(ctx, s.Conn, o.Input, 0)
		if err != nil {
			b.Fatal(err)
		}
		rep, err := RunShard(ctx, s, plan, o)
		if err != nil || rep.Rows != rows {
			b.Fatalf("shard: %+v %v", rep, err)
		}
		t3 := time.Now()
		os.RemoveAll(o.Output)
		return t1.Sub(t0), t2.Sub(t1), t3.Sub(t2)
	}
	run(-1)
	b.ResetTimer()
	for i := range b.N {
		a, c, d := run(i)
		tCTAS += a
		tCopy += c
		tShard += d
	}
	n := float64(b.N)
	b.ReportMetric(rows*n/tCTAS.Seconds(), "ctas_rows/s")
	b.ReportMetric(rows*n/tCopy.Seconds(), "copy_rows/s")
	b.ReportMetric(rows*n/tShard.Seconds(), "shard_rows/s")
	b.ReportMetric(tShard.Seconds()/tCTAS.Seconds(), "shard/ctas")
	b.ReportMetric(tShard.Seconds()/tCopy.Seconds(), "shard/copy")
}
