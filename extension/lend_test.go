package extension

import (
	"fmt"
	"testing"
)

// A table of one row group is scanned by one DuckDB thread, so ml_predict ran its
// model on one core however many threads DuckDB had. The chunk's batches now also run
// on the slots the query leaves idle, each on its own session: the results are those
// of threads = 1, row for row, for every input and output kind, and threads = 1 lends
// nothing. (threads = 3: whichever thread scans, one is left after the client's.)
func TestLendsBatchesToIdleSlots(t *testing.T) {
	db, c := open(t, WithTaskDirs(hfDir), WithTaskDirs(regressTasks(t)), WithCPUSlots(3))
	// 60,000 distinct rows: less than one row group (122,880), thirty chunks.
	exec(t, db, `CREATE TABLE r AS SELECT i AS id,
		'review ' || i || CASE i % 3 WHEN 0 THEN ' great battery, would buy again' WHEN 1 THEN ' broke after a week' ELSE ' it is fine' END AS text,
		(i % 97) / 10.0 AS a, (i % 89) / 7.0 AS b
		FROM range(60000) t(i)`)
	for _, tc := range []struct {
		name, query string
		mustLend    bool // slow enough per row to outlast the lending gap
	}{
		{"string input, classify", `SELECT string_agg(predicted_class || confidence, ',' ORDER BY id) FROM ml_predict('sentiment', 'r', batch_size := 64)`, true},
		{"text, classify, probabilities", `SELECT string_agg(predicted_class || confidence, ',' ORDER BY id) FROM ml_predict('roberta_topics', 'SELECT id, text FROM r', batch_size := 32, probabilities := true)`, true},
		{"text, embed", `SELECT md5(string_agg(embedding::VARCHAR, ',' ORDER BY id)) FROM ml_embed('bert_embed', 'SELECT id, text FROM r', batch_size := 32)`, true},
		{"numeric, regress", `SELECT string_agg(prediction::VARCHAR, ',' ORDER BY id) FROM ml_predict('lin', 'SELECT id, a, b FROM r', batch_size := 8)`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			run := func(threads int) (string, uint64) {
				t.Helper()
				exec(t, db, fmt.Sprintf("SET threads = %d", threads))
				before := c.Stats().RowsLent
				got := one[string](t, db, tc.query)
				return got, c.Stats().RowsLent - before
			}
			want, lent1 := run(1)
			got, lent2 := run(3)
			if lent1 != 0 {
				t.Errorf("threads = 1 lent %d rows, want none", lent1)
			}
			if tc.mustLend && lent2 == 0 {
				t.Errorf("threads = 3 on one row group lent no rows to an idle slot")
			}
			if got != want {
				t.Errorf("threads = 3 (%d rows lent) gave other results than threads = 1:\n got %.200s…\nwant %.200s…", lent2, got, want)
			}
			t.Logf("%d of 60000 rows lent", lent2)
		})
	}
}
