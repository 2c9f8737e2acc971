package hosttest

import (
	"runtime"
	"testing"
)

// The loaded extension lends a chunk's batches to the slot of a DuckDB thread with
// nothing to scan, as the Go binding does (core.Call.lend): the packed options carry
// DuckDB's threads setting (current_setting, folded at bind by every DuckDB), the
// results of a one-row-group table at threads=3 (one idle thread after the client's,
// whichever scans) are those of threads=1, and ml_stats() counts the lent rows.
func TestLendInExtension(t *testing.T) {
	if runtime.NumCPU() < 2 {
		t.Skip("one core: the extension plans one CPU slot, nothing to lend")
	}
	forEachHost(t, func(t *testing.T, k hostKind) {
		h := k.start(t, ":memory:", nil)
		defer closeHost(t, h)
		mustQuery(t, h, "a", `CREATE TABLE r AS SELECT i AS id, 'review ' || i || CASE WHEN i % 3 = 0 THEN ' great, would buy again' ELSE ' broke after a week' END AS text
			FROM range(60000) t(i)`)
		mustQuery(t, h, "a", "SET threads = 1")
		mustQuery(t, h, "a", `CREATE TABLE one AS SELECT * FROM ml_predict('sentiment', 'r', batch_size := 64)`)
		if n := count(t, h, "a", "SELECT rows_lent FROM ml_stats()"); n != 0 {
			t.Fatalf("threads = 1 lent %d rows, want none", n)
		}
		mustQuery(t, h, "a", "SET threads = 3")
		mustQuery(t, h, "a", `CREATE TABLE two AS SELECT * FROM ml_predict('sentiment', 'r', batch_size := 64)`)
		if n := count(t, h, "a", "SELECT rows_lent FROM ml_stats()"); n == 0 {
			t.Errorf("threads = 3 on one row group lent no rows")
		}
		if n := count(t, h, "a", `SELECT count(*) FROM one JOIN two USING (id)
			WHERE one.predicted_class = two.predicted_class AND one.confidence = two.confidence`); n != 60000 {
			t.Errorf("%d of 60000 rows got the same prediction at threads 3 as at 1", n)
		}
	})
}
