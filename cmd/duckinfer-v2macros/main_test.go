package main

import (
	"strconv"
	"strings"
	"testing"
)

// cString writes C literals that read back as the original bytes (Go's unquoting
// accepts the same escapes: \", \\, \n and octal), trigraph-safe, for the macro bodies
// and for awkward text.
func TestCString(t *testing.T) {
	for _, s := range []string{macros[0].body, macros[2].body, "a\"b\\c\nd\te\x1f??=\xff'"} {
		c := cString(s)
		if strings.Contains(c, "??") {
			t.Errorf("%s keeps a ?? (a C trigraph)", c)
		}
		got, err := strconv.Unquote(c)
		if err != nil || got != s {
			t.Errorf("cString(%q) = %s, reads back as %q (%v)", s, c, got, err)
		}
	}
}

// The header lists the four macros with sqlgen's parameters: task and input without a
// default, the options with NULL.
func TestHeader(t *testing.T) {
	h, err := header()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`{"ml_predict", "FROM query(ml_predict_sql(`, `{"embed", "FROM query(ml_predict_sql(`,
		`{"task", 0},`, `{"input", 0},`, `{"batch_size", "NULL"},`, `{"probabilities", "NULL"},`, `{"pooling", "NULL"},`} {
		if !strings.Contains(h, want) {
			t.Errorf("the header lacks %s", want)
		}
	}
}

// The header pins the companion's DuckDB version, the one its footer names.
func TestHeaderVersion(t *testing.T) {
	h, err := header()
	if err != nil {
		t.Fatal(err)
	}
	if want := `#define DI_V2_DUCKDB_VERSION "` + DuckDBVersion + `"`; !strings.Contains(h, want) {
		t.Errorf("the header lacks %s", want)
	}
}
