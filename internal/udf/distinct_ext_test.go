package udf_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/duckinfer/duckinfer/internal/udf"
)

// comparePaths runs ml_predict('sentiment') over rows review texts, every 17th NULL,
// twice: into per_row with setPath(false), then into fast with setPath(true) (the
// previous setting is restored at the end). It returns how many rows differ between the
// two tables, fast's NULL predictions, and the rows the fast run inferred.
func comparePaths(t *testing.T, rows int, setPath func(bool) bool) (diff, nulls int, inferred uint64) {
	t.Helper()
	c, conn := benchDB(t, rows)
	ctx := context.Background()
	exec := func(q string) {
		t.Helper()
		if _, err := conn.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	exec(`CREATE TABLE rep AS SELECT id, CASE WHEN id % 17 = 0 THEN NULL ELSE text END AS text FROM t`)
	q := `CREATE TABLE %s AS SELECT id, text, predicted_class, confidence FROM ml_predict('sentiment', 'rep')`
	defer setPath(setPath(false))
	exec(fmt.Sprintf(q, "per_row"))
	setPath(true)
	before := c.Stats().RowsInferred
	exec(fmt.Sprintf(q, "fast"))
	inferred = c.Stats().RowsInferred - before
	if err := conn.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM (FROM per_row EXCEPT ALL FROM fast)) + (SELECT count(*) FROM (FROM fast EXCEPT ALL FROM per_row)),
		(SELECT count(*) FROM fast WHERE predicted_class IS NULL AND confidence IS NULL)`).Scan(&diff, &nulls); err != nil {
		t.Fatal(err)
	}
	return diff, nulls, inferred
}

// The distinct-values path gives every row exactly the prediction the row-by-row path
// gives (NULLs stay NULL), and RowsInferred still counts every answered row.
func TestDistinctPredictions(t *testing.T) {
	diff, nulls, inferred := comparePaths(t, 6000, udf.SetInferDistinct)
	if inferred != 6000-353 {
		t.Fatalf("RowsInferred grew by %d, want %d (every non-NULL row)", inferred, 6000-353)
	}
	if diff != 0 || nulls != 353 {
		t.Fatalf("%d rows differ between the two paths; %d NULL predictions, want 353", diff, nulls)
	}
}

// Without the raw-vector adapter (a duckdb-go upgrade that changed its layout), ml_infer
// reads through duckdb-go's views and writes its STRUCT result through duckdb-go's
// boxed rows: every row gets the same prediction as on the fast path, NULLs included.
func TestFallbackPathsMatch(t *testing.T) {
	if !udf.SetRawVectors(true) {
		t.Fatal("the raw-vector adapter is off: duckdb-go's layout changed (see vectordata.go)")
	}
	diff, nulls, _ := comparePaths(t, 3000, udf.SetRawVectors)
	if diff != 0 || nulls != 177 {
		t.Fatalf("%d rows differ between the fallback and fast paths; %d NULL predictions, want 177", diff, nulls)
	}
}
