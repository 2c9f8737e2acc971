package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestScanStatements(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
		rest string
	}{
		{"SELECT 1; SELECT 2;", []string{"SELECT 1;", " SELECT 2;"}, ""},
		{"SELECT ';' AS a; SELECT", []string{"SELECT ';' AS a;"}, " SELECT"},
		{"SELECT 'it''s;' ;", []string{"SELECT 'it''s;' ;"}, ""},
		{`SELECT "a;b" FROM t;`, []string{`SELECT "a;b" FROM t;`}, ""},
		{"SELECT 1 -- no; end\n, 2;", []string{"SELECT 1 -- no; end\n, 2;"}, ""},
		{"SELECT /* ; /* nested; */ ; */ 1;", []string{"SELECT /* ; /* nested; */ ; */ 1;"}, ""},
		{"SELECT $$a;b$$, $x$;$x$;", []string{"SELECT $$a;b$$, $x$;$x$;"}, ""},
		{"SELECT E'\\';'; x", []string{"SELECT E'\\';';"}, " x"},
		{"PREPARE p AS SELECT $1; EXECUTE p(1);", []string{"PREPARE p AS SELECT $1;", " EXECUTE p(1);"}, ""},
		{"SELECT 'open;", nil, "SELECT 'open;"},
	} {
		got, rest := scanStatements(tc.in)
		if !reflect.DeepEqual(got, tc.want) || rest != tc.rest {
			t.Errorf("scanStatements(%q) = %q, %q; want %q, %q", tc.in, got, rest, tc.want, tc.rest)
		}
	}
	if !sqlIsBlank(" -- only a comment\n ; /* x */ ") || sqlIsBlank("-- c\nSELECT 1") {
		t.Error("sqlIsBlank misjudges comments")
	}
	if got := firstWord("/* c */ ( -- x\n with t AS (SELECT 1)"); got != "WITH" {
		t.Errorf("firstWord = %q", got)
	}
}

func rowsOf(rows ...[]any) nextRow {
	i := 0
	return func() ([]cell, error) {
		if i >= len(rows) {
			return nil, io.EOF
		}
		i++
		out := make([]cell, len(rows[i-1]))
		for j, v := range rows[i-1] {
			out[j] = directCell(v, column{}, false)
		}
		return out, nil
	}
}

func TestBoxFitsWidthAndHidesColumns(t *testing.T) {
	cols := []column{newColumn("id", "INTEGER"), newColumn("text", "VARCHAR")}
	var b strings.Builder
	long := strings.Repeat("abcdef", 30)
	if err := renderBox(&b, cols, rowsOf([]any{int32(1), long}), renderOptions{width: 40, maxRows: 40}); err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimSpace(b.String()), "\n") {
		if textWidth(line) > 40 {
			t.Errorf("line wider than 40: %q", line)
		}
	}
	if !strings.Contains(b.String(), "…") {
		t.Errorf("long value not marked as cut:\n%s", b.String())
	}

	// Ten wide columns cannot fit in 40 cells: the middle ones are hidden.
	var many []column
	row := []any{}
	for i := range 10 {
		many = append(many, newColumn(strings.Repeat(string(rune('a'+i)), 9), "VARCHAR"))
		row = append(row, "value")
	}
	b.Reset()
	if err := renderBox(&b, many, rowsOf(row), renderOptions{width: 40, maxRows: 40}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if !strings.Contains(out, "aaaaaaaaa") || !strings.Contains(out, "jjjjjjjjj") || strings.Contains(out, "eeeeeeeee") {
		t.Errorf("should keep first and last columns and hide the middle:\n%s", out)
	}
	if !strings.Contains(out, "10 columns (") {
		t.Errorf("footer should say columns are hidden:\n%s", out)
	}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if textWidth(line) > 40 {
			t.Errorf("line wider than 40: %q", line)
		}
	}
}

func TestBoxElidesMiddleRows(t *testing.T) {
	var rows [][]any
	for i := range 1000 {
		rows = append(rows, []any{int64(i)})
	}
	var b strings.Builder
	if err := renderBox(&b, []column{newColumn("n", "BIGINT")}, rowsOf(rows...), renderOptions{maxRows: 10}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{" 0 │", " 4 │", "·", " 995 │", " 999 │", "1000 rows (10 shown)"} {
		if !strings.Contains(out, want) {
			t.Errorf("lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, " 5 │") || strings.Contains(out, " 994 │") {
		t.Errorf("middle rows should be elided:\n%s", out)
	}
}

func TestProgressLine(t *testing.T) {
	b := &progressBar{width: func() int { return 80 }}
	if got := b.line(3e9, 0, 0); !strings.Contains(got, "running 3.0s") {
		t.Errorf("without a percentage the line shows elapsed time: %q", got)
	}
	if got := b.line(2e9, 5000, 0); !strings.Contains(got, "5,000 rows inferred (2,500/s)") {
		t.Errorf("rows inferred and rate missing: %q", got)
	}
}

// TestInterruptMessageMentionsRollbackOnlyInTransaction cancels a running statement
// as Ctrl-C does, outside and inside an explicit transaction: only the second needs
// the advice to ROLLBACK.
func TestInterruptMessageMentionsRollbackOnlyInTransaction(t *testing.T) {
	conn := memConn(t)
	s := newShell(conn, io.Discard, io.Discard)
	s.setMode(modeCSV)

	interrupted := func() error {
		t.Helper()
		done := make(chan struct{})
		go func() {
			// Let the statement start, then press Ctrl-C until it is cancelled.
			time.Sleep(200 * time.Millisecond)
			for !s.interrupt() {
				select {
				case <-done:
					return
				case <-time.After(10 * time.Millisecond):
				}
			}
		}()
		err := s.execute("SELECT count(*) FROM range(10000000000) t1 WHERE t1.range % 7 = 3")
		close(done)
		if !errors.Is(err, errInterrupted) {
			t.Fatalf("long statement ended with %v, want it interrupted", err)
		}
		return err
	}

	if err := interrupted(); strings.Contains(err.Error(), "ROLLBACK") || strings.Contains(err.Error(), "transaction") {
		t.Errorf("outside a transaction: %q should not mention transactions", err)
	}
	if err := s.execute("BEGIN TRANSACTION"); err != nil {
		t.Fatal(err)
	}
	if err := interrupted(); !strings.Contains(err.Error(), "ROLLBACK") {
		t.Errorf("inside a transaction: %q should advise ROLLBACK", err)
	}
	if err := s.execute("ROLLBACK"); err != nil {
		t.Fatal(err)
	}
	if err := interrupted(); strings.Contains(err.Error(), "ROLLBACK") {
		t.Errorf("after ROLLBACK: %q should not advise ROLLBACK", err)
	}
}

func TestPrintErrorStripsDriverPrefix(t *testing.T) {
	var b strings.Builder
	s := &shell{stderr: &b}
	s.printError(fmt.Errorf("running: %w", errors.New("Invalid Input Error: database/sql/driver: API error: f: bad; Binder Error: database/sql/driver: API error: g: worse")))
	if want := "Error: running: Invalid Input Error: f: bad; Binder Error: g: worse\n"; b.String() != want {
		t.Errorf("printed %q, want %q", b.String(), want)
	}
}

// TestScanStatementsFollowsDuckDBLexer covers what DuckDB's (PostgreSQL) lexer
// decides differently from a naive scan: '$' inside identifiers, E'...' strings only
// at the start of a token, '\r' ending a comment, Unicode spaces.
func TestScanStatementsFollowsDuckDBLexer(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"SELECT 1 AS a$b$c; SELECT 42 AS answer;", []string{"SELECT 1 AS a$b$c;", " SELECT 42 AS answer;"}},
		{"SELECT 1 AS a$$b; SELECT 2;", []string{"SELECT 1 AS a$$b;", " SELECT 2;"}},
		{"SELECT x$$; SELECT 2;", []string{"SELECT x$$;", " SELECT 2;"}},
		{"SELECT $a$x;y$a$;", []string{"SELECT $a$x;y$a$;"}},
		{"SELECT a$e'\\'; SELECT 2;", []string{"SELECT a$e'\\';", " SELECT 2;"}},
		{"SELECT 1 -- c\r; SELECT 2;", []string{"SELECT 1 -- c\r;", " SELECT 2;"}},
		{"SELECT\u00a0$$a;b$$;", []string{"SELECT\u00a0$$a;b$$;"}},
	} {
		if got, rest := scanStatements(tc.in); !reflect.DeepEqual(got, tc.want) || rest != "" {
			t.Errorf("scanStatements(%q) = %q, %q; want %q", tc.in, got, rest, tc.want)
		}
	}
}

// memConn is a connection to a fresh in-memory database as the shell opens one,
// closed when the test ends.
func memConn(tb testing.TB) *sql.Conn {
	tb.Helper()
	db, _, conn, err := openDB(context.Background(), "", false, nil)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		conn.Close()
		db.Close()
	})
	return conn
}
