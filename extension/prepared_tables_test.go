package extension

import "testing"

// A prepared statement over ml_errors() (or ml_tasks(), ml_devices()) shows the rows
// as they are when it runs, every time: DuckDB 1.5 binds it once, and the rows were
// computed at bind.
func TestPreparedTablesAreCurrent(t *testing.T) {
	db, _ := open(t)
	db.SetMaxOpenConns(1)
	exec(t, db, `PREPARE e AS SELECT count(*) FROM ml_errors()`)
	if got := one[int64](t, db, `EXECUTE e`); got != 0 {
		t.Fatalf("ml_errors before any failure: %d rows", got)
	}
	exec(t, db, `SELECT count(*) FROM ml_predict('iris', 'SELECT ''nan''::DOUBLE AS sepal_length, 3.0 AS sepal_width, 1.4 AS petal_length, 0.2 AS petal_width UNION ALL SELECT 5, 3, 1.4, 0.2', on_error := 'null') WHERE predicted_class IS NULL`)
	if got := one[int64](t, db, `SELECT count(*) FROM ml_errors()`); got != 1 {
		t.Fatalf("ml_errors after one failure: %d rows, want 1", got)
	}
	for range 2 {
		if got := one[int64](t, db, `EXECUTE e`); got != 1 {
			t.Errorf("prepared ml_errors after one failure: %d rows, want 1", got)
		}
	}
}
