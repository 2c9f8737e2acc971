package main

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"strings"
	"testing"
)

// TestValuesAsDuckDBCastsThem checks every value against DuckDB itself: the
// shell's text for x must be DuckDB's x::VARCHAR, in the modes that print values
// as text, and the JSON modes must keep JSON as its text and MAP as an object.
func TestValuesAsDuckDBCastsThem(t *testing.T) {
	ctx := context.Background()
	conn := memConn(t)
	exprs := []string{
		"MAP {'k': 1, 'j': NULL}", `'{"a":1,"b":[true,null]}'::JSON`, "{'x': 1, 'y': [NULL, 'a']}",
		"[1, NULL]", "[[1], NULL, []]", "1.50::DECIMAL(5,2)", "123456789012345678.9::DECIMAL(38,1)",
		"0.1::DOUBLE", "1e20::DOUBLE", "0.1::FLOAT", "'nan'::DOUBLE", "'\\xAA\\x00'::BLOB",
		"INTERVAL '1 year 2 days 3 seconds'", "INTERVAL '-90 minutes'", "TIMESTAMPTZ '2024-01-02 03:04:05.5+00'",
		"TIMESTAMP_NS '2024-01-02 03:04:05.123456789'", "TIMETZ '12:00:00+05:30'", "DATE '2024-02-29'",
		"union_value(k := 3)::UNION(k INTEGER, s VARCHAR)", "'b'::ENUM('a', 'b')", "'0101'::BIT",
		"uuid '6c1e0c8f-6b2b-4b54-b7d2-5f3e3e1a2b3c'", "170141183460469231731687303715884105727::HUGEINT",
		"[1.5, 2]::DOUBLE[2]", "true",
	}
	for _, e := range exprs {
		var want string
		if err := conn.QueryRowContext(ctx, "SELECT ("+e+")::VARCHAR").Scan(&want); err != nil {
			t.Fatalf("%s: %v", e, err)
		}
		var out bytes.Buffer
		s := newShell(conn, &out, &out)
		s.setMode(modeList)
		s.ropts.header = false
		if err := s.execute("SELECT " + e + " AS v"); err != nil {
			t.Fatalf("%s: %v", e, err)
		}
		if got := strings.TrimSuffix(out.String(), "\n"); got != want {
			t.Errorf("%s shows as %q, DuckDB casts it to %q", e, got, want)
		}
	}

	// The cases the issue names, literally.
	for _, tc := range []struct{ mode, query, want string }{
		{modeList, "SELECT MAP {'k': 1, 'j': 2} AS m", "m\n{k=1, j=2}\n"},
		{modeCSV, `SELECT '{"a":1,"b":[true,null]}'::JSON AS j`, "j\r\n\"{\"\"a\"\":1,\"\"b\"\":[true,null]}\"\r\n"},
		{modeJSON, `SELECT '{"a":1,"b":[true,null]}'::JSON AS j, MAP {'k': 1} AS m`, `[{"j":{"a":1,"b":[true,null]},"m":{"k":1}}]` + "\n"},
		{modeJSON, "SELECT 1.50::DECIMAL(5,2) AS d, 2::UBIGINT AS u, 3 AS i, 'nan'::DOUBLE AS f, true AS b", `[{"d":"1.50","u":"2","i":3,"f":NaN,"b":true}]` + "\n"},
	} {
		var out bytes.Buffer
		s := newShell(conn, &out, &out)
		s.setMode(tc.mode)
		if err := s.execute(tc.query); err != nil {
			t.Fatalf("%s: %v", tc.query, err)
		}
		if out.String() != tc.want {
			t.Errorf("%s in %s mode = %q, want %q", tc.query, tc.mode, out.String(), tc.want)
		}
	}
}

// TestNullColumnTypeIsDuckDBs: a bare NULL is typed INTEGER by DuckDB itself
// (DESCRIBE SELECT NULL says so), so the header says int32, as the duckdb CLI's.
func TestNullColumnTypeIsDuckDBs(t *testing.T) {
	ctx := context.Background()
	conn := memConn(t)
	var typ string
	var rest [5]sql.NullString
	if err := conn.QueryRowContext(ctx, "DESCRIBE SELECT NULL AS n").Scan(&rest[0], &typ, &rest[1], &rest[2], &rest[3], &rest[4]); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	s := newShell(conn, &out, &out)
	if err := s.execute("SELECT NULL AS n"); err != nil {
		t.Fatal(err)
	}
	if want := "│ " + displayType(typ) + " │"; !strings.Contains(out.String(), want) {
		t.Errorf("header should show DuckDB's type %s as %q:\n%s", typ, want, out.String())
	}
}

func TestTextWidthCountsGraphemes(t *testing.T) {
	for s, want := range map[string]int{"🚀": 2, "✅": 2, "👨‍👩‍👧‍👦": 2, "é": 1, "表": 2, "a": 1, "🇩🇪": 2} {
		if got := textWidth(s); got != want {
			t.Errorf("textWidth(%q) = %d, want %d", s, got, want)
		}
	}
	if got := truncate("👨‍👩‍👧‍👦👨‍👩‍👧‍👦abc", 4); got != "👨‍👩‍👧‍👦…" {
		t.Errorf("truncate split a grapheme: %q", got)
	}
	// Every line of a table with emoji is as wide as its borders.
	var b bytes.Buffer
	cols := []column{newColumn("e", "VARCHAR"), newColumn("n", "INTEGER")}
	if err := renderBox(&b, cols, rowsOf([]any{"🚀✅", int32(1)}, []any{"👨‍👩‍👧‍👦", int32(2)}), renderOptions{maxRows: 40}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	for _, l := range lines {
		if textWidth(l) != textWidth(lines[0]) {
			t.Errorf("line %q is %d cells, the border %d:\n%s", l, textWidth(l), textWidth(lines[0]), b.String())
		}
	}
}

func TestEmptyResultHasOneRule(t *testing.T) {
	var b bytes.Buffer
	if err := renderBox(&b, []column{newColumn("a", "INTEGER")}, rowsOf(), renderOptions{maxRows: 40}); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(b.String(), "├"); n != 1 || !strings.Contains(b.String(), "0 rows") {
		t.Errorf("an empty result should have one rule above its 0 rows footer, has %d:\n%s", n, b.String())
	}
}

func TestLargeNumberLine(t *testing.T) {
	for in, want := range map[string]string{"1234567": "1.23 million", "999999": "1.00 million", "-2500000000": "-2.50 billion", "99999": "", "1.5e9": ""} {
		if got := readableNumber(in); got != want {
			t.Errorf("readableNumber(%q) = %q, want %q", in, got, want)
		}
	}
	var b bytes.Buffer
	w := bufio.NewWriter(&b)
	if err := renderBox(w, []column{newColumn("n", "BIGINT")}, rowsOf([]any{int64(123456789)}), renderOptions{maxRows: 40, largeNumbers: true}); err != nil {
		t.Fatal(err)
	}
	w.Flush()
	if !strings.Contains(b.String(), "│ (123.46 million) │") {
		t.Errorf("a single large number should get its readable line:\n%s", b.String())
	}
}
