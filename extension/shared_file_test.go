package extension

import (
	"database/sql"
	"path/filepath"
	"strings"
	"testing"
)

// duckdb-go shares one DuckDB instance, and so one function catalog, between connectors
// opened on the same file. A second Connector on a file a live one holds would replace
// the first's ml_infer with closures over its own task folders, counters and pool, so it
// is refused, before it touches the catalog.
func TestSecondConnectorOnSameFileRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "events.duckdb")
	tasks := WithTaskDirs(filepath.Join("..", "testdata", "tasks"))
	double := Func1("double_it", func(x int64) (int64, error) { return 2 * x, nil })

	first, err := NewConnector(path, tasks, WithFuncs(double))
	if err != nil {
		t.Fatal(err)
	}
	db := sql.OpenDB(first)
	exec(t, db, `CREATE TABLE events AS SELECT 'great product, loved it' AS text`)
	want := one[string](t, db, `SELECT predicted_class FROM ml_predict('sentiment', 'events')`)
	before := first.Stats().RowsInferred

	for _, opts := range [][]Option{
		{tasks},
		{tasks, WithFuncs(double)},
		{WithTaskDirs(t.TempDir())},
	} {
		second, err := NewConnector(path, opts...)
		if err == nil {
			second.Close()
			t.Fatal("a second Connector on a file a live Connector holds was accepted")
		}
		for _, w := range []string{"events.duckdb", "already", "Close"} {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("error %q does not mention %q", err, w)
			}
		}
	}

	// The first Connector is untouched: its own functions, counters and pool.
	if got := one[string](t, db, `SELECT predicted_class FROM ml_predict('sentiment', 'events')`); got != want {
		t.Errorf("after the refused opens: %q, want %q", got, want)
	}
	if got := one[int64](t, db, `SELECT double_it(21)`); got != 42 {
		t.Errorf("double_it(21) = %d after the refused opens", got)
	}
	if got := first.Stats().RowsInferred; got != before+1 {
		t.Errorf("first Connector counted %d rows after one more query, want %d", got, before+1)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	// Once the first is closed, the file opens again, with the table kept.
	again, err := NewConnector(path, tasks)
	if err != nil {
		t.Fatalf("after Close: %v", err)
	}
	db2 := sql.OpenDB(again)
	defer db2.Close()
	if got := one[string](t, db2, `SELECT predicted_class FROM ml_predict('sentiment', 'events')`); got != want {
		t.Errorf("reopened: %q, want %q", got, want)
	}
}

// In-memory databases are separate instances: any number of connectors may run at once.
func TestInMemoryConnectorsAreIndependent(t *testing.T) {
	a, ca := open(t)
	b, cb := open(t)
	exec(t, a, `CREATE TABLE events AS SELECT 'fine' AS text`)
	exec(t, b, `CREATE TABLE events AS SELECT 'bad' AS text FROM range(3)`)
	one[string](t, a, `SELECT predicted_class FROM ml_predict('sentiment', 'events')`)
	// count(*) alone would not run the model: DuckDB drops the unused columns.
	one[string](t, b, `SELECT max(predicted_class) FROM ml_predict('sentiment', 'events')`)
	if ca.Stats().RowsInferred != 1 || cb.Stats().RowsInferred != 3 {
		t.Errorf("counters mixed: a %d, b %d", ca.Stats().RowsInferred, cb.Stats().RowsInferred)
	}
}
