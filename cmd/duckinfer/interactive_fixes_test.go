//go:build !windows

package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// Pins: a tab pasted inside a string literal went to completion and was lost.
func TestInteractivePastedTabInString(t *testing.T) {
	home := t.TempDir()
	// DuckDB completes file names in strings: 'a<Tab> typed would become 'abc.csv'.
	if err := os.WriteFile(filepath.Join(home, "abc.csv"), []byte("x\n1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tm := startTerm(t, home)
	tm.send("SELECT length('a\tb') AS n, 'a\tb' = 'a' || chr(9) || 'b' AS kept;\r")
	got := tm.expect("└", 30*time.Second)
	if !regexp.MustCompile(`│ +3 │ true +│`).MatchString(got) {
		if k := strings.Index(got, "┌"); k >= 0 {
			got = got[k:]
		}
		t.Errorf("the tab in the pasted string was not kept (want n=3, kept=true):\n%s", got)
	}
	tm.exit()
}

// Pins: ~/.duckinfer_history (CREATE SECRET's keys included) was created 0644.
func TestInteractiveHistoryFileIsPrivate(t *testing.T) {
	home := t.TempDir()
	tm := startTerm(t, home)
	tm.typeLine("CREATE SECRET s3key (TYPE s3, KEY_ID 'AKIAEXAMPLE', SECRET 'hunter2');")
	tm.expect("D ", 30*time.Second)
	tm.exit()
	fi, err := os.Stat(filepath.Join(home, ".duckinfer_history"))
	if err != nil {
		t.Fatal(err)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		t.Errorf("~/.duckinfer_history has mode %v: others can read the statements typed (secrets included); want 0600", perm)
	}
}

// Pins: Ctrl-D at the continuation prompt dropped the unfinished statement unrun.
func TestInteractiveCtrlDAtContinuationRunsStatement(t *testing.T) {
	home := t.TempDir()
	tm := startTerm(t, home)
	tm.typeLine("SELECT 'typed' ||")
	tm.expect("· ", 10*time.Second)
	tm.typeLine("  ' with care' AS v")
	tm.expect("· ", 10*time.Second)
	// One Ctrl-D, then the result: the process may exit before the reader of its
	// terminal has copied the last output, so the output is waited for first.
	tm.send("\x04")
	out := tm.expect("typed with care", 30*time.Second)
	tm.exit()
	hist, _ := os.ReadFile(filepath.Join(home, ".duckinfer_history"))
	if !strings.Contains(out, "typed with care") && !strings.Contains(string(hist), "with care") {
		t.Errorf("Ctrl-D at the continuation prompt dropped the unfinished statement: it was neither run nor kept in history (history %q)", hist)
	}
	if !strings.Contains(out, "typed with care") || !strings.Contains(string(hist), "with care") {
		t.Errorf("Ctrl-D at the continuation prompt should run the unfinished statement and keep it in history (history %q):\n%s", hist, out)
	}
}

// Pins: Tab never completed non-ASCII names (café), which DuckDB suggests quoted.
func TestCompletesNonASCIITableNames(t *testing.T) {
	ctx := context.Background()
	conn := memConn(t)
	for _, q := range []string{"CREATE TABLE café (prix INTEGER)", "CREATE TABLE 日本 (n INTEGER)"} {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	c := &completer{s: newShell(conn, io.Discard, io.Discard)}
	for _, tc := range []struct{ line, want string }{
		{"SELECT * FROM caf", "é"},
		{"SELECT * FROM 日", "本"},
	} {
		line := []rune(tc.line)
		cands, n := c.Do(line, len(line))
		var got []string
		for _, x := range cands {
			got = append(got, string(x))
		}
		found := false
		for _, g := range got {
			found = found || strings.TrimRight(g, " ") == tc.want
		}
		if !found {
			t.Errorf("Tab after %q: candidates %q (replacing %d runes), want %q", tc.line, got, n, tc.want)
		}
	}
}

// Pins: the footer "123456 rows (40 shown)  12 columns (2 shown)" widened the box
// past a 40-cell terminal.
func TestBoxFooterFitsWidth(t *testing.T) {
	var cols []column
	for i := range 12 {
		cols = append(cols, newColumn(strings.Repeat(string(rune('a'+i)), 9), "VARCHAR"))
	}
	n := 0
	next := func() ([]cell, error) {
		if n >= 123456 {
			return nil, io.EOF
		}
		n++
		row := make([]cell, len(cols))
		for i := range row {
			row[i] = cell{text: "v"}
		}
		return row, nil
	}
	var b strings.Builder
	if err := renderBox(&b, cols, next, renderOptions{width: 40, maxRows: 40}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	for _, l := range []string{lines[0], lines[len(lines)-2]} {
		if w := textWidth(l); w > 40 {
			t.Errorf("line is %d cells wide with width 40: %q", w, l)
		}
	}
	for _, l := range lines {
		if w := textWidth(l); w > 40 {
			t.Errorf("line is %d cells wide with width 40: %q", w, l)
			break
		}
	}
	if out := b.String(); !strings.Contains(out, "123456 rows") || !strings.Contains(out, "12 columns") {
		t.Errorf("footer lacks the row or column count:\n%s", out)
	}
}

// Tab is a character, not a completion, where it was pasted, at the start of a
// line, after white space, in a comment, and where nothing completes (a string's
// text that is no file name). A name that must stay quoted (a keyword, a space in
// it) is not offered bare, and one typed with its quote still completes.
func TestCompletionTabRules(t *testing.T) {
	ctx := context.Background()
	conn := memConn(t)
	for _, q := range []string{`CREATE TABLE "select" (n INTEGER)`, `CREATE TABLE "My Tab" (n INTEGER)`, "CREATE TABLE café (prix INTEGER)"} {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	c := &completer{s: newShell(conn, io.Discard, io.Discard)}
	do := func(line string) []string {
		r := []rune(line)
		cands, _ := c.Do(r, len(r))
		var got []string
		for _, x := range cands {
			got = append(got, string(x))
		}
		return got
	}
	for _, line := range []string{"", "SELECT 'caf", "SELECT 1 -- caf", "SELECT 1 /* caf", "SELECT * FROM ", "SELECT\n", "SELECT zzzznothing", ".zzzz"} {
		if got := do(line); len(got) != 1 || got[0] != "\t" {
			t.Errorf("Tab after %q: candidates %q, want a literal tab", line, got)
		}
	}
	c.setPending("SELECT 'a\n")
	if got := do("caf"); len(got) != 1 || got[0] != "\t" {
		t.Errorf("Tab in a string opened on an earlier line: candidates %q, want a literal tab", got)
	}
	c.setPending("")
	for _, tc := range []struct{ line, bad string }{{"SELECT * FROM sel", "ect"}, {"SELECT * FROM My", " Tab"}} {
		for _, g := range do(tc.line) {
			if strings.TrimRight(g, " ") == tc.bad {
				t.Errorf("Tab after %q offers %q: the name needs its quotes", tc.line, g)
			}
		}
	}
	if got := do(`SELECT * FROM "caf`); !slices.Contains(got, `é"`) {
		t.Errorf(`Tab after an opening quote: candidates %q, want "é\""`, got)
	}
	c.pasted = func() bool { return true }
	if got := do("SELECT * FROM caf"); len(got) != 1 || got[0] != "\t" {
		t.Errorf("pasted Tab: candidates %q, want a literal tab", got)
	}
}
