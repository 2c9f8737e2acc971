package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// binDir holds the duckinfer binary that the tests run, so that they run the
// program exactly as a person would.
var binDir string

// binary is that binary, built on first use rather than in TestMain: each fuzz
// worker runs TestMain too, and neither they nor the unit tests need it.
var binary = sync.OnceValues(func() (string, error) {
	path := filepath.Join(binDir, "duckinfer")
	if out, err := exec.Command("go", "build", "-o", path, ".").CombinedOutput(); err != nil {
		return "", fmt.Errorf("building duckinfer: %v\n%s", err, out)
	}
	return path, nil
})

func binPath(t testing.TB) string {
	t.Helper()
	path, err := binary()
	if err != nil {
		t.Fatal(err)
	}
	return path
}

func TestMain(m *testing.M) {
	// The expected results are the shipped tasks': a caller's own folders (README:
	// export DUCKINFER_MODELS=...) would replace them by name.
	os.Unsetenv("DUCKINFER_MODELS")
	dir, err := os.MkdirTemp("", "duckinfer-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "creating temp dir:", err)
		os.Exit(1)
	}
	binDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

type result struct {
	stdout, stderr string
	code           int
}

// runCLI runs duckinfer with stdin as its (piped) standard input and HOME set to a
// temporary folder, bounded by a timeout.
func runCLI(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	return runCLIEnv(t, nil, stdin, args...)
}

func runCLIEnv(t *testing.T, env []string, stdin string, args ...string) result {
	t.Helper()
	bin := binPath(t) // before the timeout starts: the first call builds it
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = t.TempDir()
	cmd.Env = append(append(os.Environ(), "HOME="+cmd.Dir), env...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("duckinfer %q did not finish within the timeout; stdout:\n%s\nstderr:\n%s", args, out.String(), errOut.String())
	}
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("running duckinfer: %v", err)
	}
	return result{stdout: out.String(), stderr: errOut.String(), code: code}
}

func mustSucceed(t *testing.T, r result) {
	t.Helper()
	if r.code != 0 {
		t.Fatalf("exit status %d, want 0; stderr:\n%s\nstdout:\n%s", r.code, r.stderr, r.stdout)
	}
}

func TestCommandPrintsBoxedTableWithTypes(t *testing.T) {
	r := runCLI(t, "", "-c", "SELECT 42 AS answer, 'hi' AS greeting, NULL::VARCHAR AS nothing, 2.5::DOUBLE AS x")
	mustSucceed(t, r)
	for _, want := range []string{
		"│ answer │ greeting │ nothing │", "│ int32  │ varchar  │ varchar │ double │",
		"│     42 │ hi       │ NULL    │    2.5 │", "│ 1 row", "┌", "└",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, r.stdout)
		}
	}
	if strings.Contains(r.stdout, "\x1b") {
		t.Errorf("piped output contains terminal control sequences: %q", r.stdout)
	}
}

// TestNoProgressWhenPiped runs a statement long enough for the bar to show on a
// terminal and checks none of it reaches pipes.
func TestNoProgressWhenPiped(t *testing.T) {
	r := runCLI(t, "", "-csv", "-c",
		"SELECT count(*) > 0 AS some FROM range(6000000) t(a) WHERE md5(a::VARCHAR) LIKE '%abc%'")
	mustSucceed(t, r)
	if r.stdout != "some\ntrue\n" {
		t.Errorf("stdout = %q", r.stdout)
	}
	if strings.ContainsAny(r.stdout+r.stderr, "\x1b\r") || strings.Contains(r.stderr, "running") {
		t.Errorf("progress output leaked into pipes: stdout %q stderr %q", r.stdout, r.stderr)
	}
}

func TestCSVFlag(t *testing.T) {
	r := runCLI(t, "", "-csv", "-c", "SELECT 1 AS a, 'x,y' AS b, NULL AS c UNION ALL SELECT 2, 'z', 3 ORDER BY a")
	mustSucceed(t, r)
	// NULL prints as NULL, the duckdb CLI's default .nullvalue; -csv keeps "\n" rows.
	if want := "a,b,c\n1,\"x,y\",NULL\n2,z,3\n"; r.stdout != want {
		t.Errorf("csv output = %q, want %q", r.stdout, want)
	}
}

func TestJSONFlag(t *testing.T) {
	r := runCLI(t, "", "-json", "-c", "SELECT 1 AS b, 'x' AS a, [1, 2] AS l, 1.5 AS d UNION ALL SELECT 2, NULL, NULL, NULL ORDER BY b")
	mustSucceed(t, r)
	var got []map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, r.stdout)
	}
	if len(got) != 2 || got[0]["b"] != 1.0 || got[0]["a"] != "x" || got[1]["a"] != nil {
		t.Errorf("unexpected rows: %v", got)
	}
	if l, ok := got[0]["l"].([]any); !ok || len(l) != 2 {
		t.Errorf("list column should be a JSON array, got %#v", got[0]["l"])
	}
	if !strings.HasPrefix(r.stdout, `[{"b":1,"a":"x"`) {
		t.Errorf("columns should keep the query's order: %s", r.stdout)
	}
}

func TestFileFlagRunsScript(t *testing.T) {
	dir := t.TempDir()
	script := filepath.Join(dir, "script.sql")
	err := os.WriteFile(script, []byte(`-- a comment; with a semicolon
CREATE TABLE t (id INTEGER, name VARCHAR);
INSERT INTO t VALUES (1, 'one;not a terminator'), (2, 'two');
.mode csv
SELECT id,
       name
FROM t
ORDER BY id;
SELECT count(*) AS n FROM t
`), 0o644)
	if err != nil {
		t.Fatal(err)
	}
	r := runCLI(t, "", "-f", script)
	mustSucceed(t, r)
	// .mode csv ends rows with "\r\n", as the duckdb CLI's .mode csv does.
	if want := "id,name\r\n1,one;not a terminator\r\n2,two\r\nn\r\n2\r\n"; r.stdout != want {
		t.Errorf("output = %q, want %q (DDL and INSERT print nothing)", r.stdout, want)
	}
}

func TestPipedStdinRunsStatements(t *testing.T) {
	r := runCLI(t, "CREATE TABLE t AS SELECT 7 AS v;\n.mode line\nSELECT v FROM t;\n")
	mustSucceed(t, r)
	// Names are right-aligned in at least five cells, as in the duckdb CLI.
	if want := "    v = 7\n"; r.stdout != want {
		t.Errorf("output = %q, want %q", r.stdout, want)
	}
	if strings.Contains(r.stdout, "D ") || strings.Contains(r.stdout, "Enter \".help\"") {
		t.Errorf("piped input should get no prompt or banner: %q", r.stdout)
	}
}

// TestFailingStatementExitsNonZero follows the duckdb CLI: -c, -f and .bail on
// stop at the first error; piped input goes on past it; all exit 1.
func TestFailingStatementExitsNonZero(t *testing.T) {
	script := filepath.Join(t.TempDir(), "s.sql")
	stmts := "SELECT 1 AS first;\nSELECT * FROM missing_table;\nSELECT 3 AS third;\n"
	if err := os.WriteFile(script, []byte(stmts), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		stdin  string
		args   []string
		goesOn bool
	}{
		{"command", "", []string{"-csv", "-c", "SELECT 1 AS first; SELECT * FROM missing_table; SELECT 3 AS third"}, false},
		{"file", "", []string{"-csv", "-f", script}, false},
		{"stdin", stmts, []string{"-csv"}, true},
		{"stdin bail", stmts, []string{"-csv", "-bail"}, false},
		{"stdin .bail on", ".bail on\n" + stmts, []string{"-csv"}, false},
		{"file .bail off", "", []string{"-csv", "-cmd", ".bail off", "-f", script}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := runCLI(t, tc.stdin, tc.args...)
			if r.code != 1 {
				t.Fatalf("exit status %d, want 1; stderr: %s", r.code, r.stderr)
			}
			if !strings.Contains(r.stderr, "Error:") || !strings.Contains(r.stderr, "missing_table") {
				t.Errorf("stderr should name the problem: %q", r.stderr)
			}
			if !strings.Contains(r.stdout, "first") || strings.Contains(r.stdout, "third") != tc.goesOn {
				t.Errorf("goes on after the error = %v, want %v: %q", !tc.goesOn, tc.goesOn, r.stdout)
			}
		})
	}
}

func TestReadonlyRejectsWrites(t *testing.T) {
	db := filepath.Join(t.TempDir(), "test.duckdb")
	mustSucceed(t, runCLI(t, "", db, "-c", "CREATE TABLE t AS SELECT 1 AS v"))

	r := runCLI(t, "", "-readonly", db, "-c", "INSERT INTO t VALUES (2)")
	if r.code != 1 || !strings.Contains(strings.ToLower(r.stderr), "read-only") {
		t.Fatalf("write on -readonly: exit %d, stderr %q; want 1 and a read-only error", r.code, r.stderr)
	}
	r = runCLI(t, "", "-readonly", "-csv", db, "-c", "SELECT count(*) AS n FROM t")
	mustSucceed(t, r)
	if r.stdout != "n\n1\n" {
		t.Errorf("read on -readonly = %q, want the one original row", r.stdout)
	}
	r = runCLI(t, "", "-readonly", "-c", "SELECT 1")
	if r.code == 0 || !strings.Contains(r.stderr, "DBFILE") {
		t.Errorf("-readonly without DBFILE should fail with advice: exit %d, %q", r.code, r.stderr)
	}
}

// TestReadonlyWinsOverFileName checks that text after '?' in DBFILE cannot turn
// -readonly off: the file must stay byte for byte as it was.
func TestReadonlyWinsOverFileName(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "ro.duckdb")
	mustSucceed(t, runCLI(t, "", db, "-c", "CREATE TABLE t AS SELECT 1 AS v"))
	before, err := os.ReadFile(db)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{db + "?access_mode=read_write", db + "?ACCESS_MODE=READ_WRITE", db} {
		r := runCLI(t, "", "-readonly", "-c", "CREATE TABLE pwn(x INT)", name)
		if r.code != 1 || !strings.Contains(strings.ToLower(r.stderr), "read-only") {
			t.Errorf("CREATE on -readonly %q: exit %d, stderr %q; want 1 and a read-only error", name, r.code, r.stderr)
		}
		after, err := os.ReadFile(db)
		if err != nil || !bytes.Equal(before, after) {
			t.Fatalf("-readonly %q changed %s (%v)", name, db, err)
		}
	}
	r := runCLI(t, "", "-csv", db, "-c", "SELECT count(*) AS n FROM duckdb_tables() WHERE table_name = 'pwn'")
	mustSucceed(t, r)
	if r.stdout != "n\n0\n" {
		t.Errorf("table pwn was created despite -readonly: %q", r.stdout)
	}
}

// TestDatabaseFileNameWithQuestionMark checks that DBFILE is a file path, as with
// the duckdb CLI: a '?' (or '%') in it is part of the name, not DSN options.
func TestDatabaseFileNameWithQuestionMark(t *testing.T) {
	for _, base := range []string{"we?ird.duckdb", "it's?x=1.duckdb", "100%.duckdb"} {
		t.Run(base, func(t *testing.T) {
			dir := t.TempDir()
			db := filepath.Join(dir, base)
			mustSucceed(t, runCLI(t, "", db, "-c", "CREATE TABLE t AS SELECT 7 AS v"))
			entries, err := os.ReadDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, e := range entries {
				names = append(names, e.Name())
			}
			if len(names) != 1 || names[0] != base {
				t.Fatalf("files written: %q, want just %q", names, base)
			}
			r := runCLI(t, "", "-csv", db, "-c", "SELECT v FROM t")
			mustSucceed(t, r)
			if r.stdout != "v\n7\n" {
				t.Errorf("reopened %q: %q, want the table written before", base, r.stdout)
			}
			before, err := os.ReadFile(db)
			if err != nil {
				t.Fatal(err)
			}
			r = runCLI(t, "", "-readonly", "-csv", db, "-c", "SELECT v FROM t")
			mustSucceed(t, r)
			if r.stdout != "v\n7\n" {
				t.Errorf("-readonly %q: %q, want the table", base, r.stdout)
			}
			r = runCLI(t, "", "-readonly", db, "-c", "CREATE TABLE pwn(x INT)")
			if r.code != 1 || !strings.Contains(strings.ToLower(r.stderr), "read-only") {
				t.Errorf("CREATE on -readonly %q: exit %d, stderr %q; want 1 and a read-only error", base, r.code, r.stderr)
			}
			if after, err := os.ReadFile(db); err != nil || !bytes.Equal(before, after) {
				t.Errorf("-readonly changed %q (%v)", base, err)
			}
		})
	}
}

func TestDatabaseFilePersistsAndSQLAfterDBFile(t *testing.T) {
	db := filepath.Join(t.TempDir(), "p.duckdb")
	mustSucceed(t, runCLI(t, "", db, "CREATE TABLE kept AS SELECT 'yes' AS v"))
	r := runCLI(t, "", db, "-csv", "-c", "SELECT v FROM kept")
	mustSucceed(t, r)
	if r.stdout != "v\nyes\n" {
		t.Errorf("got %q", r.stdout)
	}
}

func TestVersionFlag(t *testing.T) {
	r := runCLI(t, "", "-version")
	mustSucceed(t, r)
	if !strings.HasPrefix(r.stdout, "duckinfer ") || !strings.Contains(r.stdout, "DuckDB v1.") {
		t.Errorf("version output = %q", r.stdout)
	}
}

func TestModelsFlagAcceptsRepeatsAndLists(t *testing.T) {
	o, err := parseArgs([]string{"-models", "a,b", "-models", " c ", "-models="})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(o.models, "|"); got != "a|b|c" {
		t.Errorf("models = %q, want a|b|c", got)
	}
	dir := t.TempDir()
	r := runCLI(t, "", "-models", dir, "-models", dir+","+dir, "-c", "SELECT 1")
	mustSucceed(t, r)
}

func TestDotCommandsInScript(t *testing.T) {
	dir := t.TempDir()
	sub := filepath.Join(dir, "sub.sql")
	if err := os.WriteFile(sub, []byte("SELECT 'from sub' AS s;\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	outFile := filepath.Join(dir, "out.txt")
	script := strings.Join([]string{
		"CREATE TABLE alpha (id INTEGER); CREATE VIEW beta AS SELECT 1 AS one;",
		".tables",
		".schema alpha",
		".mode markdown",
		"SELECT 1 AS n, 'a|b' AS s;",
		".mode csv",
		".read " + sub,
		".output " + outFile,
		"SELECT 'to file' AS f;",
		".output",
		".timer on",
		"SELECT 'timed' AS t;",
		".help",
		".quit",
		"SELECT 'after quit' AS never;",
	}, "\n")
	r := runCLI(t, script)
	mustSucceed(t, r)
	for _, want := range []string{
		"alpha  beta\n", "CREATE TABLE alpha(id INTEGER);\n",
		"| n |  s   |\n|--:|------|\n| 1 | a\\|b |\n", "s\r\nfrom sub\r\n", "t\r\ntimed\r\nRun Time (s): real ", ".mode MODE",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, r.stdout)
		}
	}
	if strings.Contains(r.stdout, "to file") || strings.Contains(r.stdout, "after quit") {
		t.Errorf(".output or .quit was not honoured:\n%s", r.stdout)
	}
	got, err := os.ReadFile(outFile)
	if err != nil || string(got) != "f\r\nto file\r\n" {
		t.Errorf(".output file = %q (%v), want the redirected result", got, err)
	}
}

func TestUnknownDotCommandAndModeFail(t *testing.T) {
	for _, in := range []string{".nosuch\n", ".mode fancy\n"} {
		r := runCLI(t, in)
		if r.code != 1 || !strings.Contains(r.stderr, "Error:") {
			t.Errorf("%q: exit %d stderr %q, want failure with message", in, r.code, r.stderr)
		}
	}
}

// TestMLPredictSentiment runs the product's headline query through the shell once
// the extension registers ml_predict, on the shipped sample of real reviews.
func TestMLPredictSentiment(t *testing.T) {
	check := runCLI(t, "", "-csv", "-c",
		"SELECT count(*) AS n FROM duckdb_functions() WHERE function_name = 'ml_predict'")
	mustSucceed(t, check)
	if check.stdout == "n\n0\n" {
		t.Skip("ml_predict is not registered by package extension yet; this test runs once it is")
	}
	repo, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	env := ortEnv(t)
	reviews := filepath.Join(repo, "testdata/reviews.csv")
	if !fileExists(reviews) {
		t.Skip("testdata/reviews.csv is missing; run `make setup`")
	}
	r := runCLIEnv(t, env, "", "-csv", "-c", fmt.Sprintf(`CREATE TABLE reviews AS FROM read_csv('%s') LIMIT 20;
		SELECT count(*) AS n, count(*) FILTER (WHERE predicted_class IN ('negative', 'positive')) AS labelled
		FROM ml_predict('sentiment', 'reviews')`, reviews))
	if r.code != 0 && strings.Contains(r.stderr, "ONNX Runtime unavailable") {
		t.Skipf("ONNX Runtime is not installed; run `make setup`:\n%s", r.stderr)
	}
	mustSucceed(t, r)
	if r.stdout != "n,labelled\n20,20\n" {
		t.Errorf("ml_predict over 20 reviews gave %q, want 20 rows each labelled negative or positive", r.stdout)
	}
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// TestErrorsLackDriverPrefix checks that an error raised inside a scalar UDF is
// printed without duckdb-go's internal "database/sql/driver: API error: " prefix.
func TestErrorsLackDriverPrefix(t *testing.T) {
	r := runCLI(t, "", "-c", "CREATE TABLE t AS SELECT 'x' AS text; SELECT * FROM ml_predict('nosuchtask', 't')")
	if r.code != 1 || !strings.Contains(r.stderr, `Error: Invalid Input Error: ml_predict: unknown task "nosuchtask"`) {
		t.Errorf("exit %d, stderr %q; want 1 and the UDF's message right after DuckDB's error type", r.code, r.stderr)
	}
	if strings.Contains(r.stderr, "database/sql/driver") {
		t.Errorf("stderr keeps the driver prefix: %q", r.stderr)
	}
}

// TestDollarInIdentifierDoesNotHideStatements is the reported case: a$b$c is an
// identifier, not the start of a dollar quote that swallows the next statement.
func TestDollarInIdentifierDoesNotHideStatements(t *testing.T) {
	r := runCLI(t, "", "-csv", "-c", "SELECT 1 AS a$b$c; SELECT 42 AS answer;")
	mustSucceed(t, r)
	if want := "a$b$c\n1\nanswer\n42\n"; r.stdout != want {
		t.Errorf("stdout = %q, want both results %q", r.stdout, want)
	}
}

// TestUnbalancedTextIsNotWrapped: the shell wraps a query as SELECT ... FROM (q).
// Where DuckDB's lexer reads a ')' ... '(' in q as code (after a \' escape in an E
// string, a $t$ quote, a nested comment, a '\r'-ended comment, a name ending in $$),
// the shell must run q as written and report DuckDB's error, not the cross join its
// parentheses make with the wrapper's.
func TestUnbalancedTextIsNotWrapped(t *testing.T) {
	for _, q := range []string{
		`SELECT E'\'' AS a, 1 AS x) t, (SELECT 2 AS y, E'\'' AS b`,
		`SELECT $t$ $$ $t$ AS a, 1 AS x) t, (SELECT 2 AS y, $t$ $$ $t$ AS b`,
		`SELECT 1 AS x /* /* */ ' */ ) t, (SELECT 2 AS y /* ' */`,
		"SELECT 1 AS x --\r) t, (SELECT 2 AS y",
		`SELECT 1 AS a$$, 1 AS x) t, (SELECT 2 AS y, 3 AS b$$`,
	} {
		r := runCLI(t, "", "-csv", "-c", q)
		if r.code != 1 || !strings.Contains(r.stderr, "syntax error") {
			t.Errorf("%q: status %d, stdout %q, stderr %q; want 1 and DuckDB's syntax error", q, r.code, r.stdout, r.stderr)
		}
	}
}

// A file that takes the name of duckinfer's catalog (duckinfer.duckdb) opens as any
// other, whether duckdb-go opens it directly or the shell ATTACHes it (a '?' in its
// path): its tables are there and ml_predict works; the catalog form, which would be
// saved into it, is left out there. Any other file, attached or opened, has it.
func TestFileNamedLikeTheCatalog(t *testing.T) {
	for _, rel := range []string{"duckinfer.duckdb", "duckinfer.we?ird.duckdb"} {
		db := filepath.Join(t.TempDir(), rel)
		if err := os.MkdirAll(filepath.Dir(db), 0o755); err != nil {
			t.Fatal(err)
		}
		mustSucceed(t, runCLI(t, "", db, "-c", "CREATE TABLE t AS SELECT 'a great film' AS text"))
		r := runCLIEnv(t, ortEnv(t), "", "-csv", db, "-c", "SELECT predicted_class FROM ml_predict('sentiment', 't')")
		mustSucceed(t, r)
		if r.stdout != "predicted_class\npositive\n" {
			t.Errorf("%s: %q", rel, r.stdout)
		}
	}
	for _, rel := range []string{"plain.duckdb", "x?y.duckdb"} {
		db := filepath.Join(t.TempDir(), rel)
		r := runCLIEnv(t, ortEnv(t), "", "-csv", db, "-c", "CREATE TABLE t AS SELECT 'awful, dull' AS text",
			"-c", "SELECT predicted_class FROM duckinfer.ml_predict('sentiment', 't')")
		mustSucceed(t, r)
		if r.stdout != "predicted_class\nnegative\n" {
			t.Errorf("%s: %q", rel, r.stdout)
		}
	}
}

// ortEnv points the shell at the checkout's ONNX Runtime (run from a temporary folder,
// it would not find it beside itself).
func ortEnv(t *testing.T) []string {
	t.Helper()
	if os.Getenv("DUCKINFER_ORT_LIB") != "" {
		return nil
	}
	lib, err := filepath.Abs("../../lib/ort/cpu/libonnxruntime.so.1")
	if err != nil || !fileExists(lib) {
		return nil
	}
	return []string{"DUCKINFER_ORT_LIB=" + lib}
}
