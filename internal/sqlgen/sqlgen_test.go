package sqlgen

import (
	"strings"
	"testing"

	"github.com/duckinfer/duckinfer/internal/core"
)

// The input columns' order is read back from typeof(struct_pack(...)), whatever the
// names hold (quotes, commas, parentheses), and matched without regard to case.
func TestArgPositions(t *testing.T) {
	cases := map[string][]string{
		`STRUCT(a INTEGER)`: {"a"},
		`STRUCT(a INTEGER, "c d" DECIMAL(6,3), b FLOAT[3], "x""y" STRUCT(p INTEGER, q VARCHAR), z DOUBLE)`: {"a", "c d", "b", `x"y`, "z"},
		`STRUCT("a,b" MAP(VARCHAR, INTEGER), "(" VARCHAR)`:                                                 {"a,b", "("},
	}
	for in, want := range cases {
		got, ok := StructFieldNames(in)
		if !ok || strings.Join(got, "|") != strings.Join(want, "|") {
			t.Errorf("StructFieldNames(%s) = %q, %v; want %q", in, got, ok, want)
		}
	}
	for _, bad := range []string{"", "INTEGER", "STRUCT(", `STRUCT("a INTEGER)`} {
		if got, ok := StructFieldNames(bad); ok && len(got) > 0 {
			t.Errorf("StructFieldNames(%q) = %q, want failure", bad, got)
		}
	}
	pos, err := ArgPositions(`STRUCT(b INTEGER, A DOUBLE)`, []string{"a", "B"})
	if err != nil || pos[0] != 1 || pos[1] != 0 {
		t.Errorf("ArgPositions = %v, %v; want [1 0]", pos, err)
	}
	if _, err := ArgPositions(`STRUCT(b INTEGER, c DOUBLE)`, []string{"a", "b"}); err == nil {
		t.Error("a column missing from the order was accepted")
	}
}

// Both forms of the macro (the duckdb-go binding's temp macro, the extension's macro in
// its catalog) take the same parameters and read the query ml_predict_sql writes.
func TestMacroSQL(t *testing.T) {
	for _, create := range []string{"CREATE OR REPLACE TEMP MACRO ml_predict", "CREATE OR REPLACE MACRO duckinfer.main.predict"} {
		name := create[strings.LastIndex(create, " ")+1:]
		q := MacroSQL(create[:strings.LastIndex(create, " ")], name, ConnCurrent)
		if !strings.HasPrefix(q, create+"(task, input, columns := NULL") || !strings.Contains(q, "AS TABLE\nFROM query(ml_predict_sql(") || !strings.Contains(q, "''), current_connection_id()::VARCHAR, coalesce(probabilities") {
			t.Errorf("MacroSQL:\n%s", q)
		}
	}
	if got := Quote("it's"); got != "'it''s'" {
		t.Errorf("Quote = %s", got)
	}
	if got := ListSQL([]string{"a", "b'c"}); got != "['a', 'b''c']" {
		t.Errorf("ListSQL = %s", got)
	}
}

// SplitParams reads ml_predict's and ml_embed's parameter lists: task and input
// positional, every option with its NULL default, in order; malformed lists fail.
func TestSplitParams(t *testing.T) {
	for _, list := range []string{MacroParams, EmbedMacroParams} {
		ps, err := SplitParams(list)
		if err != nil {
			t.Fatal(err)
		}
		if len(ps) < 10 || ps[0] != (MacroParam{Name: "task"}) || ps[1] != (MacroParam{Name: "input"}) {
			t.Fatalf("SplitParams(%q) = %v", list, ps)
		}
		for _, p := range ps[2:] {
			if p.Default != "NULL" {
				t.Errorf("option %s has default %q, want NULL", p.Name, p.Default)
			}
		}
		if ps[2].Name != "columns" || ps[3].Name != "batch_size" {
			t.Errorf("options out of order: %v", ps[2:4])
		}
	}
	for _, bad := range []string{"", "a, , b", "a := ", "x y", "a, b :="} {
		if ps, err := SplitParams(bad); err == nil {
			t.Errorf("SplitParams(%q) = %v, want an error", bad, ps)
		}
	}
}

// ml_infer's options travel as one VARCHAR: any bytes in any option (the separators,
// quotes, colons, digits, multi-byte text) come back as they went in, the order part
// is the rest, and a cut or garbled value fails instead of shifting options.
func TestOptionsRoundTrip(t *testing.T) {
	opts := []string{"sent:iment", "a\x1fb" + Sep + "c", "", "12", "cuda:0", "'", "null", "7", "64" + Sep + "mean" + Sep}
	q := OptionsSQL(opts, "typeof(x)")
	lit, rest, ok := strings.Cut(q, " || ")
	if !ok || rest != ThreadsSQL+" || ':' || typeof(x)" || !strings.HasPrefix(lit, "'") || !strings.HasSuffix(lit, "'") {
		t.Fatalf("OptionsSQL = %s", q)
	}
	// DuckDB folds the threads setting and the order into the value.
	packed := strings.ReplaceAll(lit[1:len(lit)-1], "''", "'") + "3:" + `STRUCT("a:1" VARCHAR)`
	got, err := UnpackOptions(packed)
	if err != nil {
		t.Fatal(err)
	}
	want := append(append([]string(nil), opts...), "3", `STRUCT("a:1" VARCHAR)`)
	if strings.Join(got, "|") != strings.Join(want, "|") || len(got) != NumFixedArgs {
		t.Errorf("UnpackOptions = %q, want %q", got, want)
	}
	noThreads := strings.ReplaceAll(lit[1:len(lit)-1], "''", "'") + "STRUCT(a VARCHAR)"
	for _, bad := range []string{"", "4:noo", "x:noop", "-1:", "4:noop0:0:", packed[:5], noThreads} {
		if got, err := UnpackOptions(bad); err == nil {
			t.Errorf("UnpackOptions(%q) = %q, want an error", bad, got)
		}
	}
}

// ml_infer can be called by hand with any string as its options: UnpackOptions never
// panics on one, and whatever OptionsSQL packs comes back unchanged.
func FuzzOptions(f *testing.F) {
	f.Add("sentiment", "text", "256", "", "7", "64\x1fmean\x1f", `STRUCT("text" VARCHAR)`, "4:noop0:")
	f.Add("", "", "", "", "", "", "", "-1:")
	f.Fuzz(func(t *testing.T, task, cols, batch, device, conn, text, order, raw string) {
		_, _ = UnpackOptions(raw)
		opts := []string{task, cols, batch, device, "", "", "", conn, text}
		lit, _, _ := strings.Cut(OptionsSQL(opts, "x"), " || ")
		got, err := UnpackOptions(strings.ReplaceAll(lit[1:len(lit)-1], "''", "'") + "16:" + order)
		if err != nil {
			t.Fatal(err)
		}
		if want := append(opts, "16", order); strings.Join(got, "\x00|") != strings.Join(want, "\x00|") || len(got) != len(want) {
			t.Fatalf("UnpackOptions = %q, want %q", got, want)
		}
	})
}

// Pins: the loadable extension passes a DECIMAL, DATE, ... input as a core.SQLValue,
// which is refused with ml_predict's message (it used to be read as its SQL text and
// run as 'FROM 1.5').
func TestInputSQLRefusesSQLValue(t *testing.T) {
	for _, c := range []struct {
		v    any
		want string
	}{
		{core.SQLValue{Type: "DECIMAL", Text: "1.5"}, "input must be a string naming a table, view or query, got DECIMAL 1.5"},
		{core.SQLValue{Type: "DOUBLE"}, "input must be a string naming a table, view or query, got DOUBLE"},
		{1.5, "input must be a string naming a table, view or query, got float64 1.5"},
	} {
		if _, err := InputSQL(c.v); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("InputSQL(%#v) = %v, want %q", c.v, err, c.want)
		}
	}
}

// Pins (shapes review): a parameter written inside the input failed with DuckDB's
// "Could not find parameter with identifier 1", even with the value passed; an
// EXPLAIN input was read as the table EXPLAIN, and a file path as a table name with a
// bare syntax error. Each is now refused in ml_predict's words, saying what to write.
func TestInputSQLRefusesWhatIsNoInput(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"SELECT * FROM events WHERE id = ?", "input holds the parameter ?, which cannot be bound"},
		{"events WHERE id = $1", "input holds the parameter $1"},
		{"SELECT * FROM events WHERE id = $id", "WHERE id = ?; the filter runs before the model"},
		{"EXPLAIN SELECT 1", "input starts with EXPLAIN, a statement that is not a query, which ml_predict cannot read rows from"},
		{"PRAGMA table_info('events')", `a table named pragma is written quoted: '"pragma"'`},
		{"/tmp/x.csv", `input /tmp/x.csv is a file path, not a table name; quote it inside the input string ('''/tmp/x.csv''') or read it with a function ('SELECT * FROM read_csv(''/tmp/x.csv'')')`},
	} {
		if q, err := InputSQL(c.in); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("InputSQL(%q) = %q, %v; want an error saying %q", c.in, q, err, c.want)
		}
	}
	// What reads like one but is not: text in strings, dollar quotes, comments and
	// quoted names; a table whose name is a keyword; a relative path, which may be a
	// schema-qualified table.
	for _, in := range []string{
		"SELECT 'SELECT ''?'' AS text' AS text", "SELECT $$ ? $$ AS text", "SELECT $t$ $1 $t$ AS text",
		"SELECT j->>'$.a' AS text FROM events", "SELECT text FROM events -- WHERE id = ?", `SELECT "col?" AS text FROM events`,
		"explain", "data.csv", "'/tmp/x.csv'", "/* c */ events", "SHOW TABLES",
	} {
		if _, err := InputSQL(in); err != nil {
			t.Errorf("InputSQL(%q): %v", in, err)
		}
	}
}
