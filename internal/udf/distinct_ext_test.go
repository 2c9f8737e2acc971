package udf_test

import (
	"context"
	"database/sql"
	"fmt"
	"testing"

	"github.com/duckinfer/duckinfer/internal/train"
	"github.com/duckinfer/duckinfer/internal/udf"
)

// comparePaths runs ml_predict(task, …extra) (taskDirs hold tasks beyond the shipped
// ones; extra is more arguments, such as ", probabilities := true") over rows review
// texts, every 17th NULL, twice, keeping every output column: into per_row with setPath(false),
// then into fast with setPath(true) (the previous setting is restored at the end). It
// returns how many rows differ between the two tables, fast's NULL predictions, and the
// rows the fast run inferred and reused; the tables stay for more checks on conn.
func comparePaths(t *testing.T, rows int, setPath func(bool) bool, task, extra string, taskDirs ...string) (diff, nulls int, inferred, reused uint64, conn *sql.Conn) {
	t.Helper()
	c, conn := benchDB(t, rows, taskDirs...)
	ctx := context.Background()
	exec := func(q string) {
		t.Helper()
		if _, err := conn.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	exec(`CREATE TABLE rep AS SELECT id, CASE WHEN id % 17 = 0 THEN NULL ELSE text END AS text FROM t`)
	q := `CREATE TABLE %s AS SELECT * FROM ml_predict('` + task + `', 'rep'` + extra + `)`
	defer setPath(setPath(false))
	exec(fmt.Sprintf(q, "per_row"))
	setPath(true)
	before := c.Stats()
	exec(fmt.Sprintf(q, "fast"))
	inferred, reused = c.Stats().RowsInferred-before.RowsInferred, c.Stats().RowsReused-before.RowsReused
	if err := conn.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM (FROM per_row EXCEPT ALL FROM fast)) + (SELECT count(*) FROM (FROM fast EXCEPT ALL FROM per_row)),
		(SELECT count(*) FROM fast WHERE predicted_class IS NULL AND confidence IS NULL)`).Scan(&diff, &nulls); err != nil {
		t.Fatal(err)
	}
	return diff, nulls, inferred, reused, conn
}

// The distinct-values path gives every row exactly the prediction the row-by-row path
// gives (NULLs stay NULL), RowsInferred still counts every answered row, and
// RowsReused those answered by an equal value's run.
func TestDistinctPredictions(t *testing.T) {
	diff, nulls, inferred, reused, _ := comparePaths(t, 6000, udf.SetInferDistinct, "sentiment", "")
	if inferred != 6000-353 || reused == 0 || reused >= inferred {
		t.Fatalf("RowsInferred grew by %d, want %d (every non-NULL row); RowsReused by %d, want some of them", inferred, 6000-353, reused)
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
	diff, nulls, _, _, _ := comparePaths(t, 3000, udf.SetRawVectors, "sentiment", "")
	if diff != 0 || nulls != 177 {
		t.Fatalf("%d rows differ between the fallback and fast paths; %d NULL predictions, want 177", diff, nulls)
	}
	// ml_infer_probs' packed VARCHAR has its own fallback writer.
	diff, nulls, _, _, conn := comparePaths(t, 3000, udf.SetRawVectors, "sentiment", ", probabilities := true")
	var probs int
	if err := conn.QueryRowContext(context.Background(), `SELECT count(*) FROM fast WHERE probabilities IS NOT NULL`).Scan(&probs); err != nil {
		t.Fatal(err)
	}
	if diff != 0 || nulls != 177 || probs != 3000-177 {
		t.Fatalf("probabilities := true: %d rows differ between the fallback and fast paths; %d NULL predictions (want 177), %d rows with probabilities (want %d)", diff, nulls, probs, 3000-177)
	}
}

// Labels longer than DuckDB's 12-byte inline limit (written once per chunk into the
// result's heap and shared by later rows) and multi-byte labels come out of the fast
// writer exactly as out of duckdb-go's boxed one, NULL rows included, and both labels
// occur.
func TestClassStructLabels(t *testing.T) {
	long, short := train.LongLabel, train.ShortLabel
	dir := t.TempDir()
	if err := train.LabelsTask(dir, "labels", "../models/tasks/sentiment/model.onnx"); err != nil {
		t.Fatal(err)
	}
	if !udf.SetRawVectors(true) {
		t.Fatal("the raw-vector adapter is off: duckdb-go's layout changed (see vectordata.go)")
	}
	diff, nulls, _, _, conn := comparePaths(t, 5000, udf.SetRawVectors, "labels", "", dir)
	if diff != 0 || nulls != 295 {
		t.Fatalf("%d rows differ between the fallback and fast writers; %d NULL predictions, want 295", diff, nulls)
	}
	var nLong, nShort int
	if err := conn.QueryRowContext(context.Background(), `SELECT count(*) FILTER (WHERE predicted_class = $1),
		count(*) FILTER (WHERE predicted_class = $2) FROM fast`, long, short).Scan(&nLong, &nShort); err != nil {
		t.Fatal(err)
	}
	if nLong == 0 || nShort == 0 || nLong+nShort != 5000-295 {
		t.Fatalf("%d rows %q and %d rows %q, want both and %d in all", nLong, long, nShort, short, 5000-295)
	}
}
