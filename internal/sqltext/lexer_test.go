package sqltext

import (
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	_ "github.com/duckdb/duckdb-go/v2"
	"github.com/duckdb/duckdb-go/v2/mapping"
)

// wrap is how the shell and the test runner wrap a query to have DuckDB render it.
func wrap(q string) string { return "SELECT * FROM (\n" + q + "\n)" }

// duckdb is one in-memory DuckDB for the tests to ask what its lexer decides.
var duckdb = sync.OnceValues(func() (*sql.DB, error) { return sql.Open("duckdb", "") })

// runDuckDB runs q and returns its column names and rows as text.
func runDuckDB(t *testing.T, q string) (string, error) {
	t.Helper()
	db, err := duckdb()
	if err != nil {
		t.Fatal(err)
	}
	rows, err := db.Query(q)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return "", err
	}
	out := fmt.Sprint(cols)
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return "", err
		}
		out += fmt.Sprint(vals)
	}
	return out, rows.Err()
}

// Balanced used to scan with a lexer of its own that knew neither \' escapes in E
// strings, $tag$ quotes, nested comments, '\r' ending a -- comment nor '$' inside
// names: it called text DuckDB rejects balanced, and the wrapper's parentheses then
// made another query of it that ran (a cross join here) instead of failing.
func TestBalancedRejectsWhatDuckDBRejects(t *testing.T) {
	for _, q := range []string{
		`SELECT E'\'' AS a, 1 AS x) t, (SELECT 2 AS y, E'\'' AS b`,
		`SELECT $t$ $$ $t$ AS a, 1 AS x) t, (SELECT 2 AS y, $t$ $$ $t$ AS b`,
		`SELECT 1 AS x /* /* */ ' */ ) t, (SELECT 2 AS y /* ' */`,
		"SELECT 1 AS x --\r) t, (SELECT 2 AS y",
		`SELECT 1 AS a$$, 1 AS x) t, (SELECT 2 AS y, 3 AS b$$`,
	} {
		// DuckDB's verdict: q alone is a syntax error, wrapped it runs.
		if _, err := runDuckDB(t, q); err == nil || !strings.Contains(err.Error(), "Parser Error") {
			t.Errorf("DuckDB ran %q (%v); the case no longer shows a wrapper changing the query", q, err)
		}
		if got, err := runDuckDB(t, wrap(q)); err != nil {
			t.Errorf("DuckDB rejects %q wrapped (%v); the case no longer shows a wrapper changing the query", q, err)
		} else if Balanced(q) {
			t.Errorf("Balanced(%q) = true: DuckDB rejects it, but wrapped it runs and gives %s", q, got)
		}
	}
}

// Balanced used to call these unbalanced, as it took the parentheses inside for
// code: harmless (the query runs unwrapped) but for the formatting. DuckDB runs
// each, alone and wrapped, to the same result.
func TestBalancedAcceptsWhatDuckDBAccepts(t *testing.T) {
	for _, q := range []string{
		`SELECT E'it\'s (' AS s`,
		`SELECT $tag$ ) $tag$ AS s`,
		`SELECT /* ( /* */ ) */ 1 AS x`,
		"SELECT (1 --\r) AS x",
		`SELECT 1 AS "a""("`,
		`SELECT 1 AS a$$x, 2 AS "("`,
	} {
		alone, err := runDuckDB(t, q)
		if err != nil {
			t.Fatalf("DuckDB rejects %q: %v", q, err)
		}
		if wrapped, err := runDuckDB(t, wrap(q)); err != nil || wrapped != alone {
			t.Fatalf("DuckDB runs %q to %s, wrapped to %s (%v)", q, alone, wrapped, err)
		}
		if !Balanced(q) {
			t.Errorf("Balanced(%q) = false; DuckDB pairs its parentheses", q)
		}
	}
}

// A nested comment ahead of a query hid it from IsQuery, which stopped at the
// first */: DuckDB reads /* /* */ */ as one comment and runs the SELECT.
func TestIsQueryAfterNestedComment(t *testing.T) {
	const q = "/* /* */ */ SELECT 1 AS x"
	if _, err := runDuckDB(t, q); err != nil {
		t.Fatalf("DuckDB rejects %q: %v", q, err)
	}
	if !IsQuery(q) || FirstKeyword(q) != "SELECT" {
		t.Errorf("IsQuery(%q) = %v, FirstKeyword = %q; DuckDB runs it as a SELECT", q, IsQuery(q), FirstKeyword(q))
	}
}

// TestTokenOpen: strings, quoted names, dollar quotes and block comments left open
// are flagged, so that Balanced refuses them and the shell waits for more lines.
func TestTokenOpen(t *testing.T) {
	for _, c := range []struct {
		text string
		kind Kind
		open bool
	}{
		{"'a''b'", Other, false}, {"'a''", Other, true}, {`E'a\'`, Other, true}, {`E'a\\'`, Other, false},
		{`"x""`, Other, true}, {"$t$ $$ $t$", Other, false}, {"$t$ $$", Other, true}, {"$1", Other, false},
		{"/* /* */", Comment, true}, {"/* /* */ */", Comment, false}, {"-- x", Comment, false}, {";", Semicolon, false},
	} {
		end, kind, open := NewLexer(c.text).Token(0)
		if end != len(c.text) || kind != c.kind || open != c.open {
			t.Errorf("Token(%q) = %d, %v, %v; want %d, %v, %v", c.text, end, kind, open, len(c.text), c.kind, c.open)
		}
	}
}

// parses reports whether DuckDB's parser accepts sql (without binding it).
func parses(t testing.TB, sql string) bool {
	t.Helper()
	conn, err := rawConn()
	if err != nil {
		t.Fatal(err)
	}
	var ex mapping.ExtractedStatements
	mapping.ExtractStatements(conn, sql, &ex)
	defer mapping.DestroyExtracted(&ex)
	return mapping.ExtractStatementsError(ex) == ""
}

var rawConn = sync.OnceValues(func() (mapping.Connection, error) {
	var db mapping.Database
	var conn mapping.Connection
	if mapping.Open("", &db) == mapping.StateError {
		return conn, errors.New("opening an in-memory DuckDB failed")
	}
	if mapping.Connect(db, &conn) == mapping.StateError {
		mapping.Close(&db)
		return conn, errors.New("connecting to an in-memory DuckDB failed")
	}
	return conn, nil
})

// FuzzWrapKeepsRejection: text that IsQuery and Balanced let the wrappers wrap
// must not be text DuckDB rejects that the wrapper's parentheses make parse.
func FuzzWrapKeepsRejection(f *testing.F) {
	for _, s := range []string{
		"SELECT 1 AS x) t, (SELECT 2 AS y", `SELECT E'\'' AS a, 1) t, (SELECT E'\''`,
		"SELECT $t$ $$ $t$, 1) t, (SELECT 2, $t$ $$ $t$", "SELECT 1 /* /* */ ' */ ) t, (SELECT 2 /* ' */",
		"SELECT 1 --\r) t, (SELECT 2", "SELECT 1 AS a$$) t, (SELECT 2 AS b$$", "SELECT 'it''s (' || ')'",
		"SELECT $$)$$", "SELECT 1 -- )\n", `SELECT "a""(" FROM t`, "VALUES (1)) t, (VALUES (2)",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		if strings.IndexByte(q, 0) >= 0 || !utf8.ValidString(q) || len(q) > 512 {
			return // the C API cuts at NUL; DuckDB rejects invalid UTF-8; long operators are slow
		}
		if !IsQuery(q) || !Balanced(q) || parses(t, q) {
			return
		}
		if strings.ContainsAny(q[max(len(q)-3, 0):], "\u00a0\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u200b\u202f\u205f\u2060\u3000\ufeff") {
			// DuckDB does not strip a Unicode space in a text's last two bytes;
			// wrapped, it does, so a trailing one may parse only wrapped.
			return
		}
		if parses(t, wrap(q)) {
			t.Errorf("DuckDB rejects %q, but Balanced lets it be wrapped, and wrapped it parses", q)
		}
	})
}
