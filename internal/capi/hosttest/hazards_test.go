package hosttest

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func count(t *testing.T, h *Host, conn, sql string) int64 {
	t.Helper()
	r := mustQuery(t, h, conn, sql)
	n, err := r.Int(0, 0)
	if err != nil {
		t.Fatalf("%s: %v", firstLine(sql), err)
	}
	return n
}

const bigTable = `CREATE TABLE big AS SELECT i AS id,
    CASE WHEN i %% 2 = 0 THEN 'I loved it, wonderful ' ELSE 'awful and boring ' END || i AS text FROM range(%d) t(i)`

func createBig(t *testing.T, h *Host, conn string, n int) {
	t.Helper()
	mustQuery(t, h, conn, fmt.Sprintf(bigTable, n))
}

// DuckDB's worker threads call the extension in parallel (several partitions seen),
// and CREATE TABLE AS keeps the input's order (preserve_insertion_order, the default).
func TestParallelAndOrder(t *testing.T) {
	forEachHost(t, func(t *testing.T, k hostKind) {
		h := k.start(t, ":memory:", map[string]string{"threads": "4"})
		defer closeHost(t, h)
		const n = 200_000
		createBig(t, h, "a", n)
		mustQuery(t, h, "a", "CREATE TABLE scored AS SELECT id, predicted_class FROM ml_predict('sentiment', 'big')")
		if got := count(t, h, "a", "SELECT count(*) FROM scored WHERE id <> rowid"); got != 0 {
			t.Errorf("%d rows out of order after CREATE TABLE AS", got)
		}
		if got := count(t, h, "a", "SELECT count(*) FROM scored WHERE predicted_class = CASE WHEN id % 2 = 0 THEN 'positive' ELSE 'negative' END"); got != n {
			t.Errorf("%d of %d rows got the expected class", got, n)
		}
		if got := count(t, h, "a", "SELECT rows_inferred FROM ml_stats()"); got != n {
			t.Errorf("rows_inferred = %d, want %d", got, n)
		}
		if p := count(t, h, "a", "SELECT partitions FROM ml_stats()"); p < 2 {
			t.Errorf("the extension ran on %d DuckDB worker thread(s) with threads=4; want several", p)
		}
	})
}

// A read-only database works, and nothing is saved into the user's file: opened again
// without the extension, it has no duckinfer function, macro or catalog.
func TestReadOnlyAndNothingSaved(t *testing.T) {
	forEachHost(t, func(t *testing.T, k hostKind) {
		path := filepath.Join(t.TempDir(), "user.duckdb")
		h := k.start(t, path, nil)
		mustQuery(t, h, "a", "CREATE TABLE reviews AS SELECT 1 AS id, 'I loved it' AS text UNION ALL SELECT 2, 'awful'")
		if got := count(t, h, "a", "SELECT count(*) FROM ml_predict('sentiment', 'reviews') WHERE predicted_class IS NOT NULL"); got != 2 {
			t.Fatalf("%d predictions on a writable file", got)
		}
		closeHost(t, h)

		h = k.start(t, path, map[string]string{"access_mode": "READ_ONLY"})
		r := mustQuery(t, h, "a", "SELECT string_agg(predicted_class, ',' ORDER BY id) FROM duckinfer.predict('sentiment', 'reviews')")
		if got := r.Value(0, 0); got != "positive,negative" {
			t.Errorf("read-only database: predictions %q", got)
		}
		closeHost(t, h)

		h = k.start(t, path, nil)
		defer closeHost(t, h)
		if got := count(t, h, "N1", "SELECT count(*) FROM duckdb_functions() WHERE function_name IN ('ml_predict', 'predict', 'ml_infer', 'ml_predict_sql')"); got != 0 {
			t.Errorf("%d duckinfer functions saved in the user's file", got)
		}
		if got := count(t, h, "N1", "SELECT count(*) FROM duckdb_databases() WHERE database_name = 'duckinfer'"); got != 0 {
			t.Errorf("the duckinfer catalog is attached without LOAD")
		}
		if got := count(t, h, "N1", "SELECT count(*) FROM reviews"); got != 2 {
			t.Errorf("the user's table has %d rows", got)
		}
	})
}

// Two databases in one process keep their own state: init runs per database, and
// the row-failure log (ml_errors) and counters (ml_stats) of one are not the other's.
func TestTwoDatabasesShareNothing(t *testing.T) {
	forEachHost(t, func(t *testing.T, k hostKind) {
		h := k.start(t, ":memory:", nil)
		defer closeHost(t, h)
		bad := `SELECT count(*) FROM ml_predict('iris', 'SELECT ''nan''::DOUBLE AS sepal_length, 3.0 AS sepal_width, 1.4 AS petal_length, 0.2 AS petal_width', on_error := 'null') WHERE predicted_class IS NULL`
		if got := count(t, h, "a", bad); got != 1 {
			t.Fatalf("the NaN row got a prediction (%d NULL rows)", got)
		}
		if got := count(t, h, "a", "SELECT count(*) FROM ml_errors()"); got != 1 {
			t.Errorf("database A logged %d failures, want 1", got)
		}
		// The entry names the rejected value (it had an empty input).
		if got := count(t, h, "a", `SELECT count(*) FROM ml_errors() WHERE input = '"NaN"'`); got != 1 {
			t.Errorf("database A: %d failures with input \"NaN\", want 1", got)
		}
		if got := count(t, h, "B1", "SELECT count(*) FROM ml_errors()"); got != 0 {
			t.Errorf("database B sees %d of A's failures", got)
		}
		if got := count(t, h, "B1", "SELECT count(*) FROM ml_predict('sentiment', 'SELECT ''fine'' AS text') WHERE predicted_class IS NOT NULL"); got != 1 {
			t.Errorf("database B: %d predictions", got)
		}
		if got := count(t, h, "B1", "SELECT rows_inferred FROM ml_stats()"); got != 1 {
			t.Errorf("database B counted %d rows, want its own 1", got)
		}
	})
}

// Interrupting a running prediction stops it: the query fails with DuckDB's interrupt
// error before the model has seen every row, and the connection works afterwards.
func TestInterruptStopsPrediction(t *testing.T) {
	forEachHost(t, func(t *testing.T, k hostKind) {
		h := k.start(t, ":memory:", map[string]string{"threads": "1"})
		defer closeHost(t, h)
		const n = 2_000_000
		createBig(t, h, "a", n)
		done := make(chan Result, 1)
		go func() {
			r, err := h.Query("a", "SELECT count(*) FROM ml_predict('sentiment', 'big') WHERE predicted_class = 'positive'")
			if err != nil {
				r = Result{Error: err.Error()}
			}
			done <- r
		}()
		// Interrupt once the model is running (rows are being counted).
		deadline := time.Now().Add(60 * time.Second)
		for count(t, h, "watch", "SELECT rows_inferred FROM ml_stats()") == 0 {
			if time.Now().After(deadline) {
				t.Fatal("the prediction never started")
			}
			time.Sleep(20 * time.Millisecond)
		}
		if err := h.Interrupt("a"); err != nil {
			t.Fatal(err)
		}
		r := <-done
		if r.OK || !strings.Contains(strings.ToLower(r.Error), "interrupt") {
			t.Fatalf("interrupted query: ok=%v error %q; want DuckDB's interrupt error", r.OK, r.Error)
		}
		if got := count(t, h, "watch", "SELECT rows_inferred FROM ml_stats()"); got >= n {
			t.Errorf("the model ran on all %d rows despite the interrupt", got)
		}
		if got := count(t, h, "a", "SELECT count(*) FROM ml_predict('sentiment', 'SELECT ''ok'' AS text')"); got != 1 {
			t.Errorf("the connection does not work after the interrupt")
		}
	})
}
