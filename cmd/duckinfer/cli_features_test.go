package main

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func TestExitCode(t *testing.T) {
	if r := runCLI(t, "SELECT 1;\n.exit 3\nSELECT 'never';\n"); r.code != 3 || strings.Contains(r.stdout, "never") {
		t.Errorf(".exit 3 gave status %d, output %q; want 3 and nothing after it", r.code, r.stdout)
	}
	if r := runCLI(t, "", "-c", ".exit 4"); r.code != 4 {
		t.Errorf("-c '.exit 4' gave status %d", r.code)
	}
}

// TestArgumentsInOrder: "-csv -c A -json -c B" prints A as CSV, then B as JSON.
func TestArgumentsInOrder(t *testing.T) {
	r := runCLI(t, "", "-csv", "-c", "SELECT 1 AS a", "-json", "-c", "SELECT 2 AS b", "-line", "-s", "SELECT 3 AS c")
	mustSucceed(t, r)
	if want := "a\n1\n[{\"b\":2}]\n    c = 3\n"; r.stdout != want {
		t.Errorf("output = %q, want %q", r.stdout, want)
	}
}

// TestErrorLineCountsFromFile: DuckDB's "LINE n" names the line of the script.
func TestErrorLineCountsFromFile(t *testing.T) {
	script := filepath.Join(t.TempDir(), "s.sql")
	body := "SELECT 1 AS one;\n-- a comment\n.mode csv\n\nSELECT 2,\n  nosuchcolumn;\n"
	if err := os.WriteFile(script, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	r := runCLI(t, "", "-f", script)
	if r.code != 1 || !strings.Contains(r.stderr, "LINE 6:") {
		t.Errorf("want the error at LINE 6 of the file, got status %d:\n%s", r.code, r.stderr)
	}
}

func TestInitFiles(t *testing.T) {
	home := t.TempDir()
	rc := filepath.Join(home, ".duckinferrc")
	if err := os.WriteFile(rc, []byte(".mode csv\nCREATE TABLE from_rc AS SELECT 5 AS v;\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	run := func(stdin string, args ...string) result {
		return runCLIEnv(t, []string{"HOME=" + home}, stdin, args...)
	}
	r := run("SELECT v FROM from_rc;\n")
	mustSucceed(t, r)
	if r.stdout != "v\r\n5\r\n" {
		t.Errorf("~/.duckinferrc was not applied: %q", r.stdout)
	}
	other := filepath.Join(home, "other.sql")
	if err := os.WriteFile(other, []byte(".mode line\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if r := run("SELECT 7 AS v;\n", "-init", other); r.stdout != "    v = 7\n" {
		t.Errorf("-init FILE should replace the rc file: %q %q", r.stdout, r.stderr)
	}
	for _, args := range [][]string{{"-init", "/dev/null"}, {"-no-init"}} {
		r := run("SELECT 7 AS v;\n", append(args, "-list")...)
		if r.stdout != "v\n7\n" {
			t.Errorf("%v should skip the rc file: %q %q", args, r.stdout, r.stderr)
		}
	}
	// -cmd runs after the init file and before stdin; flags after it win.
	if r := run("SELECT v + 1 AS w FROM from_rc;\n", "-cmd", "CREATE TABLE t2 AS SELECT 1", "-list"); r.stdout != "w\n6\n" {
		t.Errorf("-cmd / flags after init: %q %q", r.stdout, r.stderr)
	}
	if err := os.WriteFile(rc, []byte("SELECT * FROM nowhere;\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if r := run("SELECT 1;\n"); r.code != 1 || !strings.Contains(r.stderr, "nowhere") || !strings.Contains(r.stderr, "-no-init") {
		t.Errorf("a failing init file should stop with advice: %d %q", r.code, r.stderr)
	}
}

func TestResultControls(t *testing.T) {
	script := strings.Join([]string{
		".maxrows 4",
		"SELECT range AS n FROM range(10);",
		".last",
		".maxrows 40",
		".maxwidth 30",
		"SELECT repeat('x', 100) AS wide;",
		".maxwidth 0",
		".columns",
		"SELECT 1 AS a, 'two' AS b;",
		".rows",
	}, "\n")
	r := runCLI(t, script)
	mustSucceed(t, r)
	out := r.stdout
	if !strings.Contains(out, "10 rows (4 shown)") || !strings.Contains(out, "│ 10 rows │") || !strings.Contains(out, "│       5 │") {
		t.Errorf(".maxrows 4 then .last:\n%s", out)
	}
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, "xxx") && textWidth(l) > 30 {
			t.Errorf(".maxwidth 30 left a %d-cell line: %q", textWidth(l), l)
		}
	}
	if !regexp.MustCompile(`│ a +│ int32 +│ 1 +│`).MatchString(out) || !regexp.MustCompile(`│ b +│ varchar +│ two +│`).MatchString(out) {
		t.Errorf(".columns should print one line per column:\n%s", out)
	}
}

func TestOutputControls(t *testing.T) {
	script := strings.Join([]string{
		".mode list",
		".separator ;",
		".nullvalue (nil)",
		"SELECT 1 AS a, NULL AS b;",
		".headers off",
		".mo tabs",
		"SELECT 2 AS a, 'x' AS b;",
		".mode insert points",
		".headers on",
		"SELECT 3 AS a, 'it''s' AS b;",
	}, "\n")
	r := runCLI(t, script)
	mustSucceed(t, r)
	if want := "a;b\n1;(nil)\n2\tx\nINSERT INTO points(a,b) VALUES(3,'it''s');\n"; r.stdout != want {
		t.Errorf("output = %q, want %q", r.stdout, want)
	}
	r = runCLI(t, "", "-list", "-noheader", "-separator", ",", "-nullvalue", "-", "-c", "SELECT 1, NULL")
	if r.stdout != "1,-\n" {
		t.Errorf("flags: %q", r.stdout)
	}
	r = runCLI(t, "", "-echo", "-markdown", "-c", "SELECT 1 AS x")
	if r.stdout != "SELECT 1 AS x\n| x |\n|--:|\n| 1 |\n" {
		t.Errorf("-echo -markdown: %q", r.stdout)
	}
	r = runCLI(t, "", "-c", ".help mode")
	if !strings.Contains(r.stdout, ".mode MODE") || strings.Contains(r.stdout, ".tables") {
		t.Errorf(".help PATTERN should list only matching commands: %q", r.stdout)
	}
}

func TestSessionCommands(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "second.duckdb")
	once := filepath.Join(dir, "once.txt")
	script := strings.Join([]string{
		".cd " + dir,
		".shell pwd",
		".system echo from-system",
		".open second.duckdb",
		"CREATE TABLE kept AS SELECT 1 AS k;",
		".databases",
		".once " + once,
		"SELECT 'to once' AS o;",
		"SELECT 'after once' AS a;",
		".excel",
		"SELECT 'in excel' AS x;",
		".mode",
	}, "\n")
	r := runCLIEnv(t, []string{"DUCKINFER_OPEN=cat"}, script)
	mustSucceed(t, r)
	for _, want := range []string{dir + "\n", "from-system\n", "second: " + db + "\n", "after once", "x\r\nin excel\r\n", "current output mode: duckbox"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, r.stdout)
		}
	}
	if got, _ := os.ReadFile(once); !strings.Contains(string(got), "to once") || strings.Contains(r.stdout, "to once") {
		t.Errorf(".once file = %q", got)
	}
	if r := runCLI(t, "", db, "-list", "-c", "SELECT k FROM kept"); r.stdout != "k\n1\n" {
		t.Errorf(".open did not write to %s: %q %q", db, r.stdout, r.stderr)
	}
}

// TestHelpListsEverythingInReadme: -help lists every flag and dot command, and
// the README's shell section names each of them too.
func TestHelpListsEverythingInReadme(t *testing.T) {
	r := runCLI(t, "", "-help")
	mustSucceed(t, r)
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range flagSpecs {
		if !strings.Contains(r.stdout, "  -"+f.name) {
			t.Errorf("-help lacks -%s", f.name)
		}
		if !strings.Contains(string(readme), "`-"+f.name) {
			t.Errorf("README lacks -%s", f.name)
		}
	}
	for _, c := range dotCommands {
		if !strings.Contains(r.stdout, "  ."+c.name) {
			t.Errorf("-help lacks .%s", c.name)
		}
		if !strings.Contains(string(readme), "`."+c.name) {
			t.Errorf("README lacks .%s", c.name)
		}
	}
}

// TestCompletionFromDuckDB asks the completer as readline does on Tab.
func TestCompletionFromDuckDB(t *testing.T) {
	ctx := context.Background()
	conn := memConn(t)
	if _, err := conn.ExecContext(ctx, "CREATE TABLE measurements (reading_value INTEGER)"); err != nil {
		t.Fatal(err)
	}
	c := &completer{s: newShell(conn, os.Stdout, os.Stderr)}
	has := func(line string, want string) {
		t.Helper()
		cands, n := c.Do([]rune(line), len([]rune(line)))
		var got []string
		for _, x := range cands {
			got = append(got, string(x))
		}
		for _, g := range got {
			if g == want {
				return
			}
		}
		t.Errorf("completing %q: candidates %q (replacing %d runes) lack %q", line, got, n, want)
	}
	has("SELECT * FROM meas", "urements")
	has("sel", "ect ")                                        // keyword, in the case typed
	has("SELECT readi", "ng_value")                           // column
	has("SELECT * FROM measurements WHERE read", "ing_value") // column of the table in FROM
	has(".mo", "de ")                                         // dot command
	c.pending = "SELECT *\n"
	has("FROM meas", "urements") // second line of a statement
}

// Text DuckDB rejects is reported, even when its parentheses would pair with the
// shell's own wrapper (SELECT ... FROM (<query>)) into a query that runs.
func TestUnbalancedQueryIsAnError(t *testing.T) {
	r := runCLI(t, "", "-c", "SELECT 1 AS x) t, (SELECT 2 AS y")
	if r.code == 0 || !strings.Contains(r.stderr, "Parser Error") {
		t.Errorf("exit %d, stdout %q, stderr %q; want DuckDB's parser error", r.code, r.stdout, r.stderr)
	}
}

// Column names and types come from data too (a CSV header): escaped like values, so
// a newline cannot break the box and an escape sequence cannot reach the terminal.
func TestBoxEscapesColumnNames(t *testing.T) {
	r := runCLI(t, "", "-c", "SELECT 1 AS \"a\nb\", 2 AS \"x\x1b[2Jy\"")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	for i, l := range lines {
		if textWidth(l) != textWidth(lines[0]) {
			t.Errorf("line %d is %d cells wide, the box %d: %q", i+1, textWidth(l), textWidth(lines[0]), l)
		}
		if strings.ContainsRune(l, '\x1b') {
			t.Errorf("line %d writes an escape character to the terminal: %q", i+1, l)
		}
	}
}
