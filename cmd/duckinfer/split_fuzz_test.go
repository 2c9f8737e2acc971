package main

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/duckdb/duckdb-go/v2/mapping"

	"github.com/duckinfer/duckinfer/internal/sqltext"
)

// duckdbConn is one raw connection to an in-memory DuckDB, opened on first use,
// for asking DuckDB's own parser how it splits SQL.
var duckdbConn = sync.OnceValues(func() (mapping.Connection, error) {
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

// duckdbCount is how many statements DuckDB extracts from sql, or its parse error.
func duckdbCount(t testing.TB, sql string) (int, error) {
	t.Helper()
	conn, err := duckdbConn()
	if err != nil {
		t.Fatal(err)
	}
	var ex mapping.ExtractedStatements
	n := mapping.ExtractStatements(conn, sql, &ex)
	defer mapping.DestroyExtracted(&ex)
	if msg := mapping.ExtractStatementsError(ex); msg != "" {
		return 0, errors.New(msg)
	}
	return int(n), nil
}

// shellStatements is what the shell runs for a -c argument: the statements
// scanStatements cuts, and what follows the last ';', less the blank ones.
func shellStatements(text string) []string {
	stmts, rest := scanStatements(text)
	stmts = append(stmts, rest)
	var out []string
	for _, s := range stmts {
		if !sqlIsBlank(s) {
			out = append(out, s)
		}
	}
	return out
}

// checkSplitMatchesDuckDB fails when DuckDB accepts text but splits it otherwise
// than the shell. DuckDB does not hand back its statements' text, so beyond the
// count each of the shell's cuts is checked: the text up to it, followed by
// " SELECT 1", must be exactly one statement more to DuckDB. Had the ';' been
// inside a string, a comment or a dollar quote for DuckDB, that would fail or
// swallow the SELECT.
func checkSplitMatchesDuckDB(t *testing.T, text string) {
	if strings.IndexByte(text, 0) >= 0 || !utf8.ValidString(text) {
		return // the C API cuts text at NUL; DuckDB rejects invalid UTF-8 anyway
	}
	if len(text) > 512 {
		// DuckDB's lexer takes time cubic in the length of some operators (1,600
		// '+' take over a second), which the fuzzer reports as a hang. Cuts go
		// wrong on short inputs just as well.
		return
	}
	want, err := duckdbCount(t, text)
	if err != nil {
		return // DuckDB cannot parse it: how it splits is moot
	}
	got := shellStatements(text)
	for _, s := range got {
		if duckdbDropsAsEmpty(s) {
			return // DuckDB's recovery from a parse error, not its lexer, decided
		}
	}
	if len(got) != want {
		t.Fatalf("%q: the shell runs %d statements %q, DuckDB extracts %d", text, len(got), got, want)
	}
	stmts, _ := scanStatements(text)
	prefix, n := "", 0
	for _, s := range stmts {
		prefix += s
		if !sqlIsBlank(s) {
			n++
		}
		got, err := duckdbCount(t, prefix+" SELECT 1")
		if err != nil || got != n+1 {
			t.Fatalf("%q: the shell cuts after %q, but DuckDB reads %q as %d statements (%v), want %d",
				text, prefix, prefix+" SELECT 1", got, err, n+1)
		}
	}
}

// duckdbDropsAsEmpty reports whether DuckDB, when the text as a whole fails to
// parse, drops stmt rather than failing: it then cuts the text at each ';' and
// trims every piece with StringUtil::Trim, which also removes '\v' (not white
// space to the lexer) and trailing bytes >= 0x80, so a statement made only of
// non-ASCII characters ("é") or "\v--" vanishes. That is error recovery, not a
// different cut: the shell runs such a piece, and DuckDB answers it with an error.
func duckdbDropsAsEmpty(stmt string) bool {
	// The pieces are cut from the text with its Unicode spaces already replaced.
	spaces := sqltext.UnicodeSpaces(stmt)
	var b strings.Builder
	for i := 0; i < len(stmt); i++ {
		if w := spaces[i]; w > 0 {
			b.WriteByte(' ')
			i += w - 1
		} else {
			b.WriteByte(stmt[i])
		}
	}
	s := strings.TrimLeft(strings.TrimSuffix(b.String(), ";"), " \t\n\v\f\r")
	for s != "" && (s[len(s)-1] >= 0x80 || strings.IndexByte(" \t\n\v\f\r", s[len(s)-1]) >= 0) {
		s = s[:len(s)-1]
	}
	return sqlIsBlank(s)
}

func TestScanStatementsMatchesDuckDB(t *testing.T) {
	for _, text := range splitSeeds {
		checkSplitMatchesDuckDB(t, text)
	}
}

// FuzzSplitMatchesDuckDB compares the shell's statement splitting with DuckDB's
// own, on inputs DuckDB accepts.
func FuzzSplitMatchesDuckDB(f *testing.F) {
	for _, s := range splitSeeds {
		f.Add(s)
	}
	f.Fuzz(checkSplitMatchesDuckDB)
}

var splitSeeds = []string{
	"SELECT 1 AS a$b$c; SELECT 42 AS answer;",
	"SELECT 1 AS a$$b; SELECT 2;",
	"SELECT 1 AS é$$; SELECT 2",
	"PREPARE p AS SELECT $1$$;$$; SELECT 2;",
	"PREPARE p AS SELECT $1; EXECUTE p(1);",
	"PREPARE p AS SELECT $a; EXECUTE p(a := 1);",
	"SELECT $$a;b$$, $x$;$x$; SELECT $x$ $y$ ; $x$ AS z;",
	"SELECT $tag$ $$ ; $ta$ $tag$; SELECT 3",
	"SELECT 1e'\\';'; SELECT 2;",
	"SELECT a$e'\\'; SELECT 2;",
	"SELECT E'\\';', e'it''s;'; SELECT 2",
	"SELECT 'it''s;' ; SELECT \"a;b\"\"c\" FROM (SELECT 1 AS \"a;b\"\"c\");",
	"SELECT 1 -- no; end\n, 2; SELECT 3",
	"SELECT 1 -- c\r; SELECT 2;",
	"SELECT /* ; /* nested; */ ; */ 1; SELECT 2 /**/;",
	"SELECT 1 +/* ; */ 2; SELECT 3 --;",
	"SELECT B'101', X'FF', N'n;', n'it''s;'; SELECT 2",
	"SELECT 'a'\n';b'; SELECT 2",
	"SELECT\u00a0$$a;b$$; SELECT 2",
	"SELECT 1\u00a0AS x; SELECT 2\u2003;",
	"SELECT 1.5e3$$;$$; SELECT 1_000; SELECT 1..2;",
	"SELECT 1 AS \"x\"\"$$\"; SELECT $$;$$ AS y",
	"SELECT 'a' -- '\n; SELECT 2",
	"SELECT $$ /* $$; SELECT 2 -- */",
	"SELECT /* $$ */ 1; SELECT 2 /*/ ; */ ; SELECT 3",
	"SELECT $a$$a$ ; SELECT $a$ $b$ ; $a$; SELECT 2",
	"SELECT e'\\\\'; SELECT E'\\'';'; SELECT 2",
	"SELECT 1 AS _$$, 2 AS z9$; SELECT 1.e1, .5e-3, 1_0.0_1; SELECT 2",
	"SELECT 1 -- \r\n; SELECT 2",
	"SELECT 3 /* a */* 2; SELECT 2",
	";; SELECT 1;;; -- only a comment\n",
	"/* just a comment */",
	"\u00a0\v--/))E",
	"SELECT 'open;",
}
