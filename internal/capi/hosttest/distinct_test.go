package hosttest

import (
	"testing"
)

// The loaded extension, like the Go binding, runs a chunk's repeated texts through the
// model once (duckvec.Distinct, core.Call.Run): every row gets exactly what its
// text gets when inferred alone, NULL rows stay NULL, rows_inferred still counts every
// answered row and rows_reused the rows that took another row's answer.
func TestDistinctInExtension(t *testing.T) {
	forEachHost(t, func(t *testing.T, k hostKind) {
		h := k.start(t, ":memory:", nil)
		defer closeHost(t, h)
		// 20 000 rows over 40 texts, short ones and ones past DuckDB's 12-byte inline
		// limit; every 17th row NULL (1 177 rows).
		mustQuery(t, h, "a", `CREATE TABLE ev AS SELECT i AS id, CASE WHEN i % 17 = 0 THEN NULL WHEN i % 2 = 0 THEN 'bad ' || (i % 20)
			ELSE 'great, lovely, works: number ' || (i % 20) END AS text FROM range(20000) r(i)`)
		mustQuery(t, h, "a", `CREATE TABLE alone AS SELECT * FROM ml_predict('sentiment', 'SELECT DISTINCT text FROM ev WHERE text IS NOT NULL')`)
		if n := count(t, h, "a", "SELECT count(DISTINCT predicted_class) FROM alone"); n != 2 {
			t.Fatalf("the 40 texts alone got %d distinct labels, want both", n)
		}
		rows0, reused0 := count(t, h, "a", "SELECT rows_inferred FROM ml_stats()"), count(t, h, "a", "SELECT rows_reused FROM ml_stats()")
		mustQuery(t, h, "a", `CREATE TABLE scored AS SELECT * FROM ml_predict('sentiment', 'ev')`)
		rows, reused := count(t, h, "a", "SELECT rows_inferred FROM ml_stats()")-rows0, count(t, h, "a", "SELECT rows_reused FROM ml_stats()")-reused0
		if n := count(t, h, "a", "SELECT count(*) FROM scored WHERE text IS NULL AND predicted_class IS NULL AND confidence IS NULL"); n != 1177 {
			t.Errorf("%d NULL rows with NULL predictions, want 1177", n)
		}
		if n := count(t, h, "a", `SELECT count(*) FROM scored s JOIN alone a USING (text)
			WHERE s.predicted_class = a.predicted_class AND s.confidence = a.confidence`); n != 20000-1177 {
			t.Errorf("%d of %d rows got their text's own prediction", n, 20000-1177)
		}
		if rows != 20000-1177 || reused < 20000-1177-40*40 || reused >= rows {
			t.Errorf("rows_inferred grew by %d (want %d), rows_reused by %d (want most of them)", rows, 20000-1177, reused)
		}
		// The other writers read the same per-row map: probabilities, and an embedder's
		// vectors (a text input, tokenized once per distinct value; batches of other
		// shapes may round differently, hence the tolerance).
		if n := count(t, h, "a", `SELECT count(*) FROM ml_predict('sentiment', 'ev', probabilities := true) s
			JOIN (SELECT * FROM ml_predict('sentiment', 'SELECT DISTINCT text FROM ev WHERE text IS NOT NULL', probabilities := true)) a USING (text)
			WHERE s.probabilities = a.probabilities AND s.predicted_class = a.predicted_class`); n != 20000-1177 {
			t.Errorf("probabilities: %d of %d rows got their text's own", n, 20000-1177)
		}
		if n := count(t, h, "a", `SELECT count(*) FROM ml_embed('bert_embed', 'SELECT * FROM ev WHERE id < 3000') s
			JOIN (SELECT * FROM ml_embed('bert_embed', 'SELECT DISTINCT text FROM ev WHERE text IS NOT NULL')) a USING (text)
			WHERE array_distance(s.embedding, a.embedding) < 1e-5`); n != 3000-177 {
			t.Errorf("embeddings: %d of %d rows got their text's own", n, 3000-177)
		}
	})
}
