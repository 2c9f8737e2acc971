package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestShellBlockCommentHidesDotCommands: lines inside an unclosed /* */
// comment are part of the comment, so a dot command there must not run (here
// it would create a file), and the closing */ must not become a syntax error.
func TestShellBlockCommentHidesDotCommands(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "should-not-exist.txt")
	stdin := "/* disabled for now:\n.output " + out + "\n*/\nSELECT 1 AS a;\n"
	r := runCLI(t, stdin, "-csv")
	if _, err := os.Stat(out); err == nil {
		t.Errorf(".output inside a block comment ran: %s was created", out)
	}
	if r.code != 0 || !strings.Contains(r.stdout, "a\n1") {
		t.Errorf("status %d, stdout %q, stderr %q; want 0 and the result of SELECT 1", r.code, r.stdout, r.stderr)
	}
}

// TestShellCommandBailOffExitStatus: the README says failures give exit
// status 1 "either way", and -f under .bail off does; -c under .bail off gives 0.
func TestShellCommandBailOffExitStatus(t *testing.T) {
	r := runCLI(t, "", "-csv", "-cmd", ".bail off", "-c", "SELECT 1 AS first; SELECT * FROM missing_table; SELECT 3 AS third")
	if !strings.Contains(r.stdout, "third") {
		t.Fatalf(".bail off should go on after the error: %q", r.stdout)
	}
	if r.code != 1 {
		t.Errorf("exit status %d after a failed statement, want 1; stderr: %s", r.code, r.stderr)
	}
}

// TestShellOpenCurrentFile: .open of the file already open (to reopen it,
// or after -readonly) works in the duckdb CLI; here it fails with a Go API error.
func TestShellOpenCurrentFile(t *testing.T) {
	db := filepath.Join(t.TempDir(), "a.duckdb")
	mustSucceed(t, runCLI(t, "", db, "-c", "CREATE TABLE t AS SELECT 1 AS v"))
	r := runCLI(t, "", "-csv", db, "-c", ".open "+db, "-c", "SELECT count(*) AS n FROM t")
	if r.code != 0 || !strings.Contains(r.stdout, "n\n1") {
		t.Errorf(".open of the current file: status %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
}

// TestShellOnceIsForOneCommand: ".once FILE  Send the output of the next
// command only to FILE". When that command is a dot command, the query after it
// must print to stdout again, not into FILE.
func TestShellOnceIsForOneCommand(t *testing.T) {
	f := filepath.Join(t.TempDir(), "once.txt")
	r := runCLI(t, "CREATE TABLE t(a INT);\n.once "+f+"\n.tables\nSELECT 42 AS later;\n", "-csv")
	got, _ := os.ReadFile(f)
	if !strings.Contains(r.stdout, "later") || strings.Contains(string(got), "later") {
		t.Errorf("the query after .once + .tables went to the file: stdout %q, file %q", r.stdout, got)
	}
}

// TestShellInsertModeRunsBack: .mode insert writes SQL that must run again;
// a column named like a reserved word must be quoted, as DuckDB's SQLIdentifier does.
func TestShellInsertModeRunsBack(t *testing.T) {
	dir := t.TempDir()
	script := filepath.Join(dir, "ins.sql")
	r := runCLI(t, "", "-c", ".mode insert dest", "-c", `SELECT 1 AS "order", 'x' AS "select"`)
	mustSucceed(t, r)
	if err := os.WriteFile(script, []byte(r.stdout), 0o644); err != nil {
		t.Fatal(err)
	}
	back := runCLI(t, "", "-csv", "-c", `CREATE TABLE dest("order" INT, "select" VARCHAR)`, "-c", ".read "+script, "-c", "SELECT count(*) AS n FROM dest")
	if back.code != 0 || !strings.Contains(back.stdout, "n\n1") {
		t.Errorf("insert-mode output %q does not run back: status %d, stderr %q", r.stdout, back.code, back.stderr)
	}
}

// TestShellReturningCountColumnShown: a RETURNING result whose only column
// is named Count (a user's column) is data, not DuckDB's rows-changed status.
func TestShellReturningCountColumnShown(t *testing.T) {
	r := runCLI(t, "", "-csv", "-c", `CREATE TABLE inv("Count" INT)`, "-c", `INSERT INTO inv VALUES (5) RETURNING "Count"`)
	if r.code != 0 || r.stdout != "Count\n5\n" {
		t.Errorf("INSERT ... RETURNING \"Count\": status %d, stdout %q, want %q", r.code, r.stdout, "Count\n5\n")
	}
}

// .tables names another attached database's tables with that database (bare, "ot" read
// as one of the current database's), and its LIKE pattern escapes with '\'.
func TestShellTablesQualifiesAttached(t *testing.T) {
	other := filepath.Join(t.TempDir(), "other.duckdb")
	r := runCLI(t, "", "-c", "ATTACH '"+other+"' AS other", "-c", "CREATE TABLE other.ot(a INT)",
		"-c", "CREATE TABLE mine(a INT)", "-c", "CREATE TABLE under_x(a INT)", "-c", "CREATE TABLE underyx(a INT)",
		"-c", ".tables", "-c", `.tables under\_%`)
	mustSucceed(t, r)
	lines := strings.Fields(r.stdout)
	want := []string{"mine", "other.ot", "under_x", "underyx", "under_x"}
	if strings.Join(lines, " ") != strings.Join(want, " ") {
		t.Errorf(".tables, then .tables under\\_%%: %q, want %q", lines, want)
	}
}
