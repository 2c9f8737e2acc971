package extension

import (
	"context"
	"sync/atomic"
	"testing"
)

// Pins: on the distinct-values path, Stats (RowsInferred, RowsReused) and CountRows
// counted the repeats of a value that never reached the model (a text that gives no
// tokens, failed under on_error := 'null'); they count only rows that ran.
func TestDistinctCountsOnlyRowsThatRan(t *testing.T) {
	db, c := open(t, WithTaskDirs(hfDir))
	// 300 rows: 'good movie' 100 times, '' (no tokens under qwen2) 200 times.
	exec(t, db, `CREATE TABLE t AS SELECT i AS id, CASE WHEN i % 3 = 0 THEN 'good movie' ELSE '' END AS text FROM range(300) r(i)`)
	before := c.Stats()
	var n int64
	var counted atomic.Int64
	if err := db.QueryRowContext(CountRows(context.Background(), &counted), `SELECT count(predicted_class) FROM ml_predict('qwen_nopad', 't', on_error := 'null')`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 100 {
		t.Fatalf("%d predictions, want 100", n)
	}
	after := c.Stats()
	inferred, reused := after.RowsInferred-before.RowsInferred, after.RowsReused-before.RowsReused
	if inferred != 100 || reused != 99 {
		t.Errorf("RowsInferred +%d, RowsReused +%d; want +100 and +99 (200 rows never reached the model)", inferred, reused)
	}
	if counted.Load() != 100 {
		t.Errorf("CountRows counted %d rows, want 100", counted.Load())
	}
}
