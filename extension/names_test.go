package extension

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// DuckDB ignores the case of ASCII letters only: "é" and "É" are two columns. The
// columns' order was read with Unicode case folding, so both task inputs read the
// first of them and the prediction was silently wrong.
func TestNonASCIINamesDifferingInCase(t *testing.T) {
	db, _ := open(t, WithTaskDirs(regressTasks(t))) // lin: y = 2a + b
	want := one[float64](t, db, `SELECT prediction FROM ml_predict('lin', 'SELECT 1.0 AS x, 10.0 AS y', columns := ['x', 'y'])`)
	for _, q := range []string{
		`SELECT prediction FROM ml_predict('lin', 'SELECT 1.0 AS "é", 10.0 AS "É"', columns := ['é', 'É'])`,
		`SELECT prediction FROM ml_predict('lin', 'SELECT 10.0 AS "É", 1.0 AS "é"', columns := ['é', 'É'])`,
	} {
		if got := one[float64](t, db, q); got != want {
			t.Errorf("%s = %v, want %v", q, got, want)
		}
	}
	// An input column whose name only Unicode folding equates with an output's
	// (long s) passes through.
	if got := one[string](t, db, `SELECT "predicted_claſs" FROM ml_predict('sentiment', 'SELECT ''great'' AS text, ''kept'' AS "predicted_claſs"')`); got != "kept" {
		t.Errorf("predicted_claſs = %q, want kept", got)
	}
}

// Re-scoring a table scored with probabilities := true replaces its probabilities,
// as it does predicted_class and confidence; before, the old map stayed beside a new
// probabilities_1.
func TestRescoreReplacesProbabilities(t *testing.T) {
	db, _ := open(t)
	exec(t, db, `CREATE TABLE r AS SELECT 'awful bad terrible' AS text`)
	exec(t, db, `CREATE TABLE scored AS SELECT * FROM ml_predict('sentiment', 'r', probabilities := true)`)
	exec(t, db, `UPDATE scored SET text = 'great good wonderful'`)
	var cls string
	var pos float64
	var names string
	if err := db.QueryRow(`SELECT predicted_class, probabilities['positive'] FROM ml_predict('sentiment', 'scored', probabilities := true)`).Scan(&cls, &pos); err != nil {
		t.Fatal(err)
	}
	if cls != "positive" || pos < 0.5 {
		t.Errorf("re-scored: predicted_class %q, probabilities['positive'] %v", cls, pos)
	}
	if err := db.QueryRow(`SELECT string_agg(column_name, ',') FROM (DESCRIBE SELECT * FROM ml_predict('sentiment', 'scored', probabilities := true))`).Scan(&names); err != nil {
		t.Fatal(err)
	}
	if names != "text,predicted_class,confidence,probabilities" {
		t.Errorf("columns %s", names)
	}
}

// Inputs ml_predict cannot take get errors that name the user's mistake, not the
// generated SQL or a function they did not call.
func TestBadNamesAndOptionsAreNamed(t *testing.T) {
	db, _ := open(t, WithTaskDirs(regressTasks(t)))
	for _, c := range []struct{ q, want string }{
		{`SELECT prediction FROM ml_predict('lin', 'SELECT 1.0 AS a', columns := ['a', 'A'])`, `names "A" twice (columns[1] and columns[2])`},
		{`SELECT predicted_class FROM ml_predict('sentiment', 'SELECT ''great'' AS "a` + "\x1f" + `b"', columns := ['a` + "\x1f" + `b'])`, "U+001F"},
		{`SELECT predicted_class FROM ml_predict('sentiment', 'SELECT ''great'' AS confidence', columns := ['confidence'])`, "every column of the input (confidence) is named like an output"},
		{`SELECT predicted_class FROM ml_predict('sentiment', 'SELECT ''great'' AS text', max_length := '64' || chr(31) || 'true')`, "max_length := "},
		{`SELECT predicted_class FROM ml_predict('iris', 'SELECT ''a)''::ENUM(''a)'', ''b'') AS sepal_length, 3.5 AS sepal_width, 1.4 AS petal_length, 0.2 AS petal_width')`, `column "sepal_length" must be numeric, not an ENUM`},
	} {
		var s any
		err := db.QueryRow(c.q).Scan(&s)
		if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "list_filter") || strings.Contains(err.Error(), "call ml_predict instead") {
			t.Errorf("%s:\n got %v\nwant an error containing %q", c.q, err, c.want)
		}
	}
}

// A task whose labels repeat one is refused when it loads, naming the task and the
// labels; before, probabilities := true failed later with DuckDB's "Map keys must be
// unique".
func TestRepeatedLabelsRefused(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "dup"), 0o755); err != nil {
		t.Fatal(err)
	}
	m, err := os.ReadFile("../testdata/tasks/noop/model.onnx")
	if err != nil {
		t.Fatal(err)
	}
	j, err := os.ReadFile("../testdata/tasks/noop/task.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "dup", "model.onnx"), m, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "dup", "task.json"), []byte(strings.Replace(string(j), `"b"`, `"a"`, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	db, _ := open(t, WithTaskDirs(dir))
	var s string
	err = db.QueryRow(`SELECT predicted_class FROM ml_predict('dup', 'SELECT ''x'' AS text', probabilities := true)`).Scan(&s)
	if err == nil || !strings.Contains(err.Error(), "dup") || !strings.Contains(err.Error(), `labels[0] and labels[1] are both "a"`) {
		t.Fatalf("task with labels [a, a]: %v", err)
	}
}

// The Arrow path matches a task's column names as SQL does: a record column "Text"
// feeds the task's "text" (it panicked with an index out of range), and so does
// RecordOptions.Columns naming "TEXT".
func TestPredictRecordColumnCase(t *testing.T) {
	db, c := open(t)
	want := one[string](t, db, `SELECT predicted_class FROM ml_predict('sentiment', 'SELECT ''great product, love it'' AS text')`)
	for _, o := range []RecordOptions{{}, {Columns: []string{"TEXT"}}} {
		sb := array.NewStringBuilder(memory.DefaultAllocator)
		sb.Append("great product, love it")
		a := sb.NewArray()
		sb.Release()
		rec := array.NewRecordBatch(arrow.NewSchema([]arrow.Field{{Name: "Text", Type: arrow.BinaryTypes.String}}, nil), []arrow.Array{a}, 1)
		a.Release()
		labels, conf, err := c.PredictRecord(context.Background(), "sentiment", rec, o, memory.DefaultAllocator)
		rec.Release()
		if err != nil {
			t.Fatalf("%+v: %v", o, err)
		}
		if got := labels.(*array.String).Value(0); got != want {
			t.Errorf("%+v: %q, SQL says %q", o, got, want)
		}
		labels.Release()
		conf.Release()
	}
}

// A table or schema named values (DuckDB allows it unquoted) is an input like any other:
// ml_predict took it for a VALUES query and failed with a bare parser error.
func TestTableNamedValues(t *testing.T) {
	db, _ := open(t)
	db.SetMaxOpenConns(1)
	exec(t, db, `CREATE TABLE values AS SELECT 'great' AS text`)
	exec(t, db, `CREATE SCHEMA values; CREATE TABLE values.ev AS SELECT 'great' AS text`)
	for _, in := range []string{"values", "values WHERE text = 'great'", "values.ev"} {
		if n := one[int64](t, db, `SELECT count(*) FROM `+in); n != 1 {
			t.Fatalf("SELECT count(*) FROM %s = %d", in, n)
		}
		q := `SELECT predicted_class FROM ml_predict('sentiment', '` + strings.ReplaceAll(in, "'", "''") + `')`
		var cls string
		if err := db.QueryRow(q).Scan(&cls); err != nil || cls != "positive" {
			t.Errorf("%s: %q, %v; want positive (plain SELECT * FROM %s works)", q, cls, err, in)
		}
	}
}

// An input column whose name DuckDB tells apart from "probabilities" (it ignores the
// case of ASCII letters only) passes through under probabilities := true, as
// "predicted_claſs" does for predicted_class (TestNonASCIINamesDifferingInCase).
// The macro's lambda compared lower(c), Unicode lower case, so "probabİlities"
// (U+0130) was silently dropped from the output.
func TestProbabilitiesKeepsNonASCIILookalike(t *testing.T) {
	db, _ := open(t)
	var kept string
	err := db.QueryRow(`SELECT "probabİlities" FROM ml_predict('sentiment', 'SELECT ''great'' AS text, ''kept'' AS "probabİlities"', probabilities := true)`).Scan(&kept)
	if err != nil || kept != "kept" {
		t.Fatalf(`"probabİlities" = %q, %v; want the input column passed through ("kept")`, kept, err)
	}
}

// With probabilities := true, an input whose only column is named probabilities (and
// feeds the task) gets ml_predict's own message, as one named confidence does, not
// DuckDB's error quoting the generated COLUMNS(list_filter(...)) expression.
func TestProbabilitiesOnlyColumnNamed(t *testing.T) {
	db, _ := open(t)
	var s any
	err := db.QueryRow(`SELECT predicted_class FROM ml_predict('sentiment', 'SELECT ''great'' AS probabilities', columns := ['probabilities'], probabilities := true)`).Scan(&s)
	if err == nil || strings.Contains(err.Error(), "list_filter") || strings.Contains(err.Error(), "ml_keep_column") || !strings.Contains(err.Error(), "named like an output") {
		t.Fatalf("got %v; want ml_predict's 'every column of the input ... is named like an output' message", err)
	}
}

// Pins a task name typed with '@' (a version, as in Hugging Face's name@rev) taken for
// the internal TaskRef ml_predict writes for its own parts: it failed as "task changed
// while the query ran; rerun the query", which no rerun cures, not as an unknown task.
func TestAtInTaskNameIsNotATaskChange(t *testing.T) {
	db, _ := open(t)
	exec(t, db, "CREATE TABLE t AS SELECT 'good movie' AS text")
	for _, name := range []string{"sentiment@v2", "sentiment@", "sentiment@1"} {
		var a, b string
		err := db.QueryRow("SELECT text, predicted_class FROM ml_predict('"+name+"', 't')").Scan(&a, &b)
		if err == nil {
			t.Errorf("ml_predict(%q) ran", name)
			continue
		}
		if msg := err.Error(); strings.Contains(msg, "rerun the query") || strings.Contains(msg, "changed while the query ran") || !strings.Contains(msg, `unknown task "`+name+`"`) {
			t.Errorf("ml_predict(%q): %v; want an unknown task error naming it", name, err)
		}
	}
}

// A table named by an unreserved statement keyword reads as a table, also in DuckDB's
// FROM-first form ("comment SELECT id, text"), while "EXPLAIN SELECT …" is refused as
// the statement it is. The FROM-first form was refused for a while as a statement.
func TestKeywordNamedTablesFromFirst(t *testing.T) {
	db, _ := open(t)
	db.SetMaxOpenConns(1)
	for _, name := range []string{"comment", "start", "checkpoint", "vacuum"} {
		exec(t, db, `CREATE TABLE `+name+` AS SELECT 1 AS id, 'a great film' AS text, 0 AS junk`)
		if got := one[string](t, db, `SELECT predicted_class FROM ml_predict('sentiment', '`+name+` SELECT id, text')`); got != "positive" {
			t.Errorf("'%s SELECT id, text': %q", name, got)
		}
	}
	_, err := db.Exec(`SELECT * FROM ml_predict('sentiment', 'EXPLAIN SELECT 1 AS text')`)
	if err == nil || !strings.Contains(err.Error(), "input starts with EXPLAIN") {
		t.Errorf("EXPLAIN as input: %v", err)
	}
}
