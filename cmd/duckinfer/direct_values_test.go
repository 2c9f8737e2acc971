package main

import (
	"strings"
	"testing"
)

// TestDirectValuesAsDuckDBCastsThem: statements that cannot be wrapped in the
// VARCHAR-casting query (EXECUTE, ... RETURNING, CALL, PRAGMA) must still show
// every value as DuckDB's cast does, as the README promises.
func TestDirectValuesAsDuckDBCastsThem(t *testing.T) {
	for _, tc := range []struct{ name, expr, want string }{
		{"map", "MAP{'k': 1}", "{k=1}"},
		{"json", `'{"a":1}'::JSON`, `{"a":1}`},
		{"infinite timestamp", "'infinity'::TIMESTAMP", "infinity"},
		{"infinite date", "'-infinity'::DATE", "-infinity"},
		{"infinite timestamp_s", "'-infinity'::TIMESTAMP_S", "-infinity"},
		{"timestamptz in session zone", "'2024-01-02 03:04:05+00'::TIMESTAMPTZ", "2024-01-01 22:04:05-05"},
		{"timestamptz in a list", "['2024-07-02 03:04:05.5+00'::TIMESTAMPTZ]", "['2024-07-01 23:04:05.5-04']"},
		{"bc date", "'0044-03-15 (BC)'::DATE", "0044-03-15 (BC)"},
		{"timetz", "'12:00:00+05'::TIMETZ", "12:00:00+05"},
		{"struct of map in order", "{'b': MAP{'x': [1, 2]}, 'a': 2}", "{'b': {x=[1, 2]}, 'a': 2}"},
		{"quoted nested strings", `{'it''s': ['a b', 'a,b', '', 'NULL', NULL, 'a\'], 'm': MAP{' k': 'v=1'}}`, `{'it\'s': [a b, 'a,b', '', 'NULL', NULL, a\], 'm': {' k'='v=1'}}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := runCLI(t, "", "-list", "-noheader",
				"-c", "SET TimeZone = 'America/New_York'",
				"-c", "SELECT "+tc.expr+" AS v",
				"-c", "PREPARE p AS SELECT "+tc.expr+" AS v",
				"-c", "EXECUTE p")
			want := tc.want + "\n" + tc.want + "\n"
			if r.code != 0 || r.stdout != want {
				t.Errorf("SELECT then EXECUTE of %s: status %d, stdout %q, want %q; stderr %q", tc.expr, r.code, r.stdout, want, r.stderr)
			}
		})
	}
}

// TestDirectValuesUnreadableType: duckdb-go cannot read TIME_NS at all. The
// statement has run by then (once), so the error says so and how to see the
// column, instead of duckdb-go's bare "unsupported data type".
func TestDirectValuesUnreadableType(t *testing.T) {
	r := runCLI(t, "", "-csv", "-cmd", ".bail off", "-c", "CREATE TABLE t(n INT, tn TIME_NS)",
		"-c", "INSERT INTO t VALUES (1, '01:02:03.123456789') RETURNING n, tn",
		"-c", "SELECT count(*) AS rows FROM t")
	if !strings.Contains(r.stderr, `column "tn"`) || !strings.Contains(r.stderr, `CAST("tn" AS VARCHAR)`) ||
		strings.Contains(r.stderr, "unsupported data type") {
		t.Errorf("stderr %q: want an error naming column tn and suggesting a cast", r.stderr)
	}
	if !strings.Contains(r.stdout, "rows\n1\n") {
		t.Errorf("the INSERT must have run exactly once: stdout %q", r.stdout)
	}
}

// TestReturningJSONFloats: in the JSON modes a RETURNING float prints as a
// SELECT of it does (NaN, [NaN]), not as bare nan and a string "nan"; maps and
// structs keep their order there too.
func TestReturningJSONFloats(t *testing.T) {
	r := runCLI(t, "", "-json", "-c", "CREATE TABLE f(x DOUBLE, m MAP(VARCHAR, FLOAT), s STRUCT(b INT, a VARCHAR))",
		"-c", "INSERT INTO f VALUES ('nan', MAP{'z': '-inf'::FLOAT, 'a': 1.5}, {'b': 1, 'a': 'q\"'}) RETURNING x, [x] AS l, m, s",
		"-c", "SELECT x, [x] AS l, m, s FROM f")
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if r.code != 0 || len(lines) != 2 || lines[0] != lines[1] {
		t.Errorf("RETURNING and SELECT differ in JSON mode: status %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
}
