package hosttest

import (
	"os"
	"path/filepath"
	"testing"
)

// Pins: the extension read an ENUM-typed argument as its SQL literal ('lin', quotes
// and all): unknown task "'lin'".
// An ENUM-typed task, input or columns := argument is its label in the Go binding
// (duckdb-go reads an ENUM as its label); the extension must read the same label, not
// its SQL literal with quotes ('lin').
func TestEnumArgumentsAlike(t *testing.T) {
	goQuery, extQuery := bindings(t, numTasks(t))
	for _, q := range []string{
		`SELECT prediction FROM ml_predict('echo_float64'::ENUM('echo_float64'), 'SELECT 2.5 AS v')`,
		`SELECT prediction FROM ml_predict('echo_float64', 'SELECT 2.5 AS v'::ENUM('SELECT 2.5 AS v'))`,
		`SELECT prediction FROM ml_predict('echo_float64', 'SELECT 2.5 AS w', columns := ['w'::ENUM('w')])`,
	} {
		g, e := goQuery(q), extQuery(q)
		if g != "2.5" || e != g {
			t.Errorf("%s:\n  Go binding: %s\n  extension:  %s\n  want 2.5 from both", q, g, e)
		}
	}
}

// Pins: the Go binding's error carried duckdb-go's view error instead of the type.
// A text task's input column of another type fails with the same words in both
// bindings, naming the type as DuckDB does; the Go binding's message carried
// duckdb-go's "vector view type mismatch: DuckDB ENUM cannot be read as Go string".
func TestTextColumnTypeNamedAlike(t *testing.T) {
	dir := numTasks(t)
	if err := os.CopyFS(filepath.Join(dir, "noop"), os.DirFS(filepath.Join(root(t), "testdata", "tasks", "noop"))); err != nil {
		t.Fatal(err)
	}
	goQuery, extQuery := bindings(t, dir)
	for _, sel := range []string{
		`SELECT 1 AS text`,
		`SELECT ''x''::ENUM(''x'') AS text`,
		`SELECT NULL AS text`,
		`SELECT uuid() AS text`,
	} {
		q := `SELECT predicted_class FROM ml_predict('noop', '` + sel + `')`
		g, e := goQuery(q), extQuery(q)
		if g != e {
			t.Errorf("%s:\n  Go binding: %s\n  extension:  %s", q, g, e)
		}
	}
}
