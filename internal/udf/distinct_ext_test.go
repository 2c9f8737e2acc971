package udf_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/duckinfer/duckinfer/internal/udf"
)

// The distinct-values path gives every row exactly the prediction the row-by-row path
// gives (NULLs stay NULL), and RowsInferred still counts every answered row.
func TestDistinctPredictions(t *testing.T) {
	c, conn := benchDB(t, 6000)
	ctx := context.Background()
	exec := func(q string) {
		t.Helper()
		if _, err := conn.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	exec(`CREATE TABLE rep AS SELECT id, CASE WHEN id % 17 = 0 THEN NULL ELSE text END AS text FROM t`)
	q := `CREATE TABLE %s AS SELECT id, text, predicted_class, confidence FROM ml_predict('sentiment', 'rep')`
	defer udf.SetInferDistinct(udf.SetInferDistinct(false))
	exec(fmt.Sprintf(q, "per_row"))
	udf.SetInferDistinct(true)
	before := c.Stats().RowsInferred
	exec(fmt.Sprintf(q, "by_value"))
	if got := c.Stats().RowsInferred - before; got != 6000-353 {
		t.Fatalf("RowsInferred grew by %d, want %d (every non-NULL row)", got, 6000-353)
	}
	var diff, nulls int
	if err := conn.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM (FROM per_row EXCEPT ALL FROM by_value)) + (SELECT count(*) FROM (FROM by_value EXCEPT ALL FROM per_row)),
		(SELECT count(*) FROM by_value WHERE predicted_class IS NULL)`).Scan(&diff, &nulls); err != nil {
		t.Fatal(err)
	}
	if diff != 0 || nulls != 353 {
		t.Fatalf("%d rows differ between the two paths; %d NULL predictions, want 353", diff, nulls)
	}
}

// Without the raw-vector adapter (a duckdb-go upgrade that changed its layout), ml_infer
// reads through duckdb-go's views and writes its STRUCT result through duckdb-go's
// boxed rows: every row gets the same prediction as on the fast path, NULLs included.
func TestFallbackPathsMatch(t *testing.T) {
	_, conn := benchDB(t, 3000)
	ctx := context.Background()
	exec := func(q string) {
		t.Helper()
		if _, err := conn.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	exec(`CREATE TABLE rep AS SELECT id, CASE WHEN id % 17 = 0 THEN NULL ELSE text END AS text FROM t`)
	q := `CREATE TABLE %s AS SELECT id, text, predicted_class, confidence FROM ml_predict('sentiment', 'rep')`
	exec(fmt.Sprintf(q, "fast"))
	if !udf.SetRawVectors(false) {
		t.Fatal("the raw-vector adapter was off before the test: duckdb-go's layout changed (see vectordata.go)")
	}
	defer udf.SetRawVectors(true)
	exec(fmt.Sprintf(q, "fallback"))
	var diff, nulls, rows int
	if err := conn.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM (FROM fast EXCEPT ALL FROM fallback)) + (SELECT count(*) FROM (FROM fallback EXCEPT ALL FROM fast)),
		(SELECT count(*) FROM fallback WHERE predicted_class IS NULL AND confidence IS NULL), (SELECT count(*) FROM fallback)`).Scan(&diff, &nulls, &rows); err != nil {
		t.Fatal(err)
	}
	if diff != 0 || nulls != 177 || rows != 3000 {
		t.Fatalf("%d rows differ between the fast and fallback paths; %d NULL predictions (want 177), %d rows", diff, nulls, rows)
	}
}
