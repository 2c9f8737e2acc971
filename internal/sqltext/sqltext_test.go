package sqltext

import (
	"math"
	"testing"
)

func TestIsQuery(t *testing.T) {
	for q, want := range map[string]bool{
		"SELECT 1": true, "  from t": true, "WITH x AS (SELECT 1) FROM x": true, "(SELECT 1)": true,
		"values (1)": true, "-- note\nSELECT 1": true, "/* c */ pivot t on x": true, "describe t": true,
		"selection": false, "events": false, `"my table"`: false, "main.events": false, "withdrawals": false,
		"INSERT INTO t VALUES (1)": false, "": false, "-- only a comment": false, "select1": false,
	} {
		if got := IsQuery(q); got != want {
			t.Errorf("IsQuery(%q) = %v, want %v", q, got, want)
		}
	}
}

func TestFirstKeyword(t *testing.T) {
	for q, want := range map[string]string{
		"select 1": "SELECT", " /* x */ ((explain SELECT 1": "EXPLAIN", "-- c\ncreate_x": "CREATE_X", "42": "",
	} {
		if got := FirstKeyword(q); got != want {
			t.Errorf("FirstKeyword(%q) = %q, want %q", q, got, want)
		}
	}
}

func TestFormatFloat(t *testing.T) {
	tenth, fifth := 0.1, 0.2 // variables: constant arithmetic would be exact
	for _, c := range []struct {
		f    float64
		bits int
		want string
	}{
		{1, 64, "1.0"}, {0.1, 64, "0.1"}, {1e20, 64, "1e+20"}, {1e-5, 64, "1e-05"}, {math.NaN(), 64, "nan"},
		{math.Inf(-1), 64, "-inf"}, {float64(float32(0.1)), 32, "0.1"}, {123456.5, 64, "123456.5"},
		{100000, 64, "100000.0"}, {-2.5, 64, "-2.5"}, {1e15, 64, "1000000000000000.0"}, {1e-7, 64, "1e-07"},
		{tenth + fifth, 64, "0.30000000000000004"},
	} {
		if got := FormatFloat(c.f, c.bits); got != c.want {
			t.Errorf("FormatFloat(%v, %d) = %q, want %q", c.f, c.bits, got, c.want)
		}
	}
}

func TestBalanced(t *testing.T) {
	for q, want := range map[string]bool{
		"SELECT (1 + 2) * 3":                   true,
		"SELECT ')' AS p, \"(x\" FROM t":       true,
		"SELECT 1 -- )\n":                      true,
		"SELECT /* ( */ 1":                     true,
		"SELECT $$)$$":                         true,
		"SELECT 'it''s (' || ')'":              true,
		"SELECT 1 AS x) t, (SELECT 2 AS y":     false,
		"SELECT (1":                            false,
		"SELECT 1)":                            false,
		"SELECT 'open":                         false,
		"SELECT 1 /* open":                     false,
		"SELECT 1 AS x -- ) t, (SELECT 2 AS y": true,
	} {
		if got := Balanced(q); got != want {
			t.Errorf("Balanced(%q) = %v, want %v", q, got, want)
		}
	}
}

// VALUES starts a query only when a row list follows; DuckDB accepts values as an
// unquoted table or schema name (CREATE TABLE values ...; FROM values.ev), which
// ml_predict's input read as a query and failed with a bare parser error.
func TestValuesAsName(t *testing.T) {
	for _, q := range []string{"values", "values WHERE id = 1", "values.ev", "values AS v"} {
		if IsQuery(q) {
			t.Errorf("IsQuery(%q) = true; it names a table", q)
		}
	}
	for _, q := range []string{"VALUES (1)", "values(1), (2)", "VALUES\n  ('a')", "values /* rows */ (1)"} {
		if !IsQuery(q) {
			t.Errorf("IsQuery(%q) = false", q)
		}
	}
}
