package hosttest

import (
	"strings"
	"testing"

	"github.com/duckinfer/duckinfer/extension"
)

// Pins: a prepared statement whose task, input or option is a parameter failed at
// PREPARE in the extension ("argument 1 must be a constant"), where the Go binding
// binds it again at EXECUTE with the values (so Python's con.execute("... ml_predict(?,
// 'reviews')", ['sentiment']) failed only in the extension).
func TestExtPreparedParameters(t *testing.T) {
	db, err := extension.Open("")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	setup := []string{
		`CREATE TABLE events AS SELECT 'great good' AS text, 1 AS id UNION ALL SELECT 'awful bad', 2`,
		`PREPARE p AS SELECT predicted_class FROM ml_predict($1, 'events') ORDER BY id`,
		`PREPARE p2 AS SELECT predicted_class FROM ml_predict('sentiment', $1) ORDER BY id`,
		`PREPARE p3 AS SELECT predicted_class FROM ml_predict(?, ?, batch_size := ?) ORDER BY id`,
		`PREPARE p4 AS SELECT predicted_class FROM ml_predict('sentiment', 'SELECT ''great'' AS body', columns := $1)`,
	}
	for _, s := range setup {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("Go binding: %s: %v", s, err)
		}
	}
	runs := []string{`EXECUTE p('sentiment')`, `EXECUTE p2('events')`, `EXECUTE p3('sentiment', 'events', 1)`, `EXECUTE p4(['body'])`}
	want := make([][]string, len(runs))
	for i, q := range runs {
		rows, err := db.Query(q) // EXECUTE is no subquery, as goRows would make it
		if err != nil {
			t.Fatalf("Go binding: %s: %v", q, err)
		}
		for rows.Next() {
			var c string
			if err := rows.Scan(&c); err != nil {
				t.Fatal(err)
			}
			want[i] = append(want[i], c)
		}
		rows.Close()
	}
	forEachHost(t, func(t *testing.T, k hostKind) {
		h := k.start(t, ":memory:", nil)
		defer closeHost(t, h)
		for _, s := range setup {
			if r, err := h.Query("a", s); err != nil || !r.OK {
				t.Errorf("%s: %v %s", s, err, firstLine(r.Error))
			}
		}
		for i, q := range runs {
			r, err := h.Query("a", q)
			if err != nil || !r.OK || len(r.Rows) != len(want[i]) {
				t.Errorf("%s: %v %s; the Go binding gives %v", q, err, firstLine(r.Error), want[i])
				continue
			}
			for j := range want[i] {
				if r.Value(j, 0) != want[i][j] {
					t.Errorf("%s: row %d is %q; the Go binding gives %v", q, j, r.Value(j, 0), want[i])
				}
			}
		}
		// A parameter's value gets the same checks as a constant.
		if r, err := h.Query("a", `EXECUTE p('nope')`); err != nil || r.OK || !strings.Contains(r.Error, `unknown task "nope"`) {
			t.Errorf(`EXECUTE p('nope'): %v %s; want the unknown task named`, err, firstLine(r.Error))
		}
		// A column is still no task nor input: query() refuses it, as in the Go binding.
		for _, q := range []string{
			`SELECT * FROM events t, ml_predict(t.text, 'events')`,
			`SELECT * FROM events t, ml_predict('sentiment', t.text)`,
		} {
			r, err := h.Query("a", q)
			if err != nil || r.OK || !strings.Contains(r.Error, "does not support lateral join column parameters") {
				t.Errorf("%s: %v ok=%v %s; want query()'s refusal of a column", q, err, r.OK, firstLine(r.Error))
			}
		}
		// ml_predict_sql called on a column runs with arguments unknown at bind: each
		// row gets its own query, as in the Go binding.
		r := mustQuery(t, h, "a", `SELECT count(DISTINCT ml_predict_sql(task, 'events', NULL, '', '', '', '', '', '', '', '', '', '', 'false', ''))
			FROM (VALUES ('sentiment'), ('iris'), ('sentiment')) v(task)`)
		if r.Value(0, 0) != "2" {
			t.Errorf("ml_predict_sql over two tasks gave %s distinct queries, want 2", r.Value(0, 0))
		}
	})
}

// Pins: columns := given as an ARRAY (['body']::VARCHAR[1]) works in the Go binding;
// the extension read it as text and refused it.
func TestExtColumnsAsArray(t *testing.T) {
	db, err := extension.Open("")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	q := `SELECT predicted_class FROM ml_predict('sentiment', 'SELECT ''great'' AS body', columns := ['body']::VARCHAR[1])`
	want := goRows(t, db, q)
	forEachHost(t, func(t *testing.T, k hostKind) {
		h := k.start(t, ":memory:", nil)
		defer closeHost(t, h)
		r, err := h.Query("a", q)
		if err != nil || !r.OK || len(r.Rows) != 1 || r.Value(0, 0) != want[0][0] {
			t.Errorf("%v %s; the Go binding gives %v", err, firstLine(r.Error), want)
		}
		// An ARRAY of non-strings is refused per element, as a LIST of them is.
		r, err = h.Query("a", `SELECT * FROM ml_predict('sentiment', 'SELECT ''great'' AS body', columns := [1]::INTEGER[1])`)
		if err != nil || r.OK || !strings.Contains(r.Error, "columns[1] is") {
			t.Errorf("columns := [1]::INTEGER[1]: %v ok=%v %s; want columns[1] refused", err, r.OK, firstLine(r.Error))
		}
	})
}

// Pins: a non-string task, input or column name gets ml_predict's own message in the
// extension as in the Go binding. The extension read a DECIMAL, DATE, UTINYINT, ...
// argument as its SQL text, so ml_predict('sentiment', 1.5) ran 'FROM 1.5' and failed
// with a bare parser error, and columns := [1::UTINYINT] named a column "1".
func TestExtNonStringArgumentsNamed(t *testing.T) {
	cases := []struct{ q, want string }{
		{`SELECT * FROM ml_predict('sentiment', 1.5)`, "input must be a string naming a table, view or query, got DECIMAL 1.5"},
		{`SELECT * FROM ml_predict('sentiment', DATE '2024-01-02')`, "input must be a string naming a table, view or query, got DATE 2024-01-02"},
		{`SELECT * FROM ml_predict(1.5, 'SELECT ''great'' AS text')`, "task must be a string naming a task, got 1.5 (DECIMAL)"},
		{`SELECT * FROM ml_predict('sentiment', 'SELECT ''great'' AS "1"', columns := [1::UTINYINT])`, "columns[1] is 1 (UTINYINT)"},
		{`SELECT * FROM ml_predict('sentiment', 'SELECT ''great'' AS "true"', columns := true)`, "columns must be a list of column names"},
	}
	forEachHost(t, func(t *testing.T, k hostKind) {
		h := k.start(t, ":memory:", nil)
		defer closeHost(t, h)
		for _, c := range cases {
			r, err := h.Query("a", c.q)
			if err != nil || r.OK || !strings.Contains(r.Error, c.want) {
				t.Errorf("%s: ok=%v %v %s; want %q", c.q, r.OK, err, firstLine(r.Error), c.want)
			}
		}
	})
}
