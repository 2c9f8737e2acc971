package sqltest

import (
	"context"
	"database/sql"
	"errors"
	"math"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	_ "github.com/duckdb/duckdb-go/v2"
)

func openDB(t *testing.T) *sql.DB {
	t.Helper()
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func parse(t *testing.T, text string) *Script {
	t.Helper()
	s, err := Parse("t.test", strings.NewReader(text))
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	return s
}

// runScript runs text on a fresh plain DuckDB database.
func runScript(t *testing.T, text string) Result {
	t.Helper()
	return Run(context.Background(), openDB(t), parse(t, text))
}

func wantPass(t *testing.T, res Result, run int) {
	t.Helper()
	if res.Failed() {
		t.Fatalf("unexpected failures:\n%s", res.Report())
	}
	if res.Run != run {
		t.Fatalf("Run = %d, want %d", res.Run, run)
	}
}

// wantOneFailure checks the single failure's line and message and returns it.
func wantOneFailure(t *testing.T, res Result, line int, msg string) Failure {
	t.Helper()
	if len(res.Failures) != 1 {
		t.Fatalf("got %d failures, want 1:\n%s", len(res.Failures), res.Report())
	}
	f := res.Failures[0]
	if f.File != "t.test" || f.Line != line || f.Message != msg {
		t.Fatalf("failure = %s:%d %q, want t.test:%d %q\n%s", f.File, f.Line, f.Message, line, msg, f)
	}
	return f
}

func TestParse(t *testing.T) {
	s := parse(t, `# name: test/x.test
# description: a test
# group: [x]

require duckinfer

statement ok
CREATE TABLE t(i INTEGER)

statement error con1
SELECT nope
----
not found

query IT rowsort con2
SELECT 1,
       'a'
----
1	a

loop i 0 3

skipif duckdb
query I
SELECT ${i}
----
${i}

endloop
`)
	if s.Name != "test/x.test" || s.Description != "a test" || s.Group != "[x]" {
		t.Errorf("headers = %q %q %q", s.Name, s.Description, s.Group)
	}
	if len(s.Records) != 5 {
		t.Fatalf("got %d records, want 5: %+v", len(s.Records), s.Records)
	}
	req, st, se, q, loop := s.Records[0], s.Records[1], s.Records[2], s.Records[3], s.Records[4]
	if req.Kind != KindRequire || req.Args[0] != "duckinfer" || req.Line != 5 {
		t.Errorf("require = %+v", req)
	}
	if st.Kind != KindStatement || st.Expect != ExpectOK || st.SQL != "CREATE TABLE t(i INTEGER)" || st.Line != 7 || st.Conn != "" {
		t.Errorf("statement ok = %+v", st)
	}
	if se.Expect != ExpectError || se.Conn != "con1" || se.ErrorText != "not found" || se.Line != 10 {
		t.Errorf("statement error = %+v", se)
	}
	if q.Kind != KindQuery || q.Types != "IT" || q.Sort != RowSort || q.Conn != "con2" ||
		q.SQL != "SELECT 1,\n       'a'" || len(q.Expected) != 1 || q.Expected[0] != "1\ta" || q.Line != 15 {
		t.Errorf("query = %+v", q)
	}
	if loop.Kind != KindLoop || loop.Var != "i" || strings.Join(loop.Values, ",") != "0,1,2" || len(loop.Body) != 1 {
		t.Fatalf("loop = %+v", loop)
	}
	if b := loop.Body[0]; b.SkipReason != "skipif duckdb" || b.Line != 24 || b.SQL != "SELECT ${i}" {
		t.Errorf("loop body = %+v", b)
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct{ text, want string }{
		{"frobnicate\n", `t.test:1: unknown or unsupported command "frobnicate"`},
		{"\nstatement ok\nSELECT 1\n----\nx\n", "t.test:2: statement ok cannot have an expected error (----)"},
		{"statement fine\nSELECT 1\n", `t.test:1: statement must be ok, error or maybe, not "fine"`},
		{"statement ok\n\n", "t.test:1: record has no SQL"},
		{"query IX\nSELECT 1\n", `t.test:1: unknown type character 'X' in "IX": expected I, T or R`},
		{"query I con1 con2\nSELECT 1\n", `t.test:1: query has two connection labels ("con1" and "con2")`},
		{"\n\nloop i 0 2\n\nstatement ok\nSELECT 1\n", "t.test:3: loop is missing its endloop"},
		{"endloop\n", "t.test:1: endloop without loop"},
		{"loop i a 2\n", "t.test:1: loop start and end must be integers"},
	} {
		_, err := Parse("t.test", strings.NewReader(tc.text))
		var pe *ParseError
		if !errors.As(err, &pe) || err.Error() != tc.want {
			t.Errorf("Parse(%q) error = %v, want %q", tc.text, err, tc.want)
		}
	}
}

func TestPassingScript(t *testing.T) {
	res := runScript(t, `statement ok
CREATE TABLE t AS SELECT * FROM (VALUES (1, 'a', true), (2, '', false), (3, NULL, NULL)) v(i, s, b)

query ITI
SELECT i, s, b FROM t ORDER BY i
----
1	a	1
2	(empty)	0
3	NULL	NULL

query R
SELECT 1 / 3
----
0.3333

statement error
SELECT * FROM missing
----
Catalog Error: Table with name missing does not exist
`)
	wantPass(t, res, 4)
}

func TestWrongValue(t *testing.T) {
	res := runScript(t, `
query II
SELECT * FROM (VALUES (1, 10), (2, 20), (3, 30)) ORDER BY 1
----
1	10
2	21
3	30
`)
	f := wantOneFailure(t, res, 2, `wrong value at row 2, column 2: expected "21", got "20"`)
	if f.SQL != "SELECT * FROM (VALUES (1, 10), (2, 20), (3, 30)) ORDER BY 1" {
		t.Errorf("SQL = %q", f.SQL)
	}
	if want := "  1\t10\n- 2\t21\n+ 2\t20\n  3\t30"; f.Diff != want {
		t.Errorf("Diff =\n%s\nwant\n%s", f.Diff, want)
	}
	if s := f.String(); !strings.Contains(s, "t.test:2: wrong value") || !strings.Contains(s, "- 2\t21") {
		t.Errorf("String() = %s", s)
	}
}

func TestWrongColumnCount(t *testing.T) {
	res := runScript(t, `query I
SELECT 1, 2
----
1	2
`)
	f := wantOneFailure(t, res, 1, `wrong column count: type string "I" declares 1, the query returned 2`)
	if f.Actual != "1\t2" {
		t.Errorf("Actual = %q", f.Actual)
	}
}

func TestExpectedLineColumnCount(t *testing.T) {
	res := runScript(t, "query II\nSELECT 1, 2\n----\n1\t2\t3\n")
	wantOneFailure(t, res, 1, "expected result line 1 has 3 tab-separated values, the type string declares 2 columns")
}

func TestWrongRowCount(t *testing.T) {
	res := runScript(t, "query I\nSELECT * FROM range(3)\n----\n0\n1\n")
	f := wantOneFailure(t, res, 1, "wrong row count: expected 2, got 3")
	if f.Diff != "  0\n  1\n+ 2" {
		t.Errorf("Diff = %q", f.Diff)
	}
}

func TestStatementErrors(t *testing.T) {
	res := runScript(t, `statement error
SELECT * FROM missing
----
Binder Error

statement error
SELECT 1
----
anything

statement ok
SELECT * FROM missing

statement error
SELECT * FROM missing
`)
	if len(res.Failures) != 3 || res.Run != 4 {
		t.Fatalf("got %d failures in %d run, want 3 in 4:\n%s", len(res.Failures), res.Run, res.Report())
	}
	mismatch, succeeded, failed := res.Failures[0], res.Failures[1], res.Failures[2]
	if mismatch.Line != 1 || mismatch.Message != "statement failed with an unexpected error message" ||
		mismatch.Expected != "Binder Error" || !strings.HasPrefix(mismatch.Actual, "Catalog Error: Table with name missing does not exist") {
		t.Errorf("mismatch = %+v", mismatch)
	}
	if succeeded.Line != 6 || succeeded.Message != "statement succeeded but an error was expected" || succeeded.Expected != "anything" {
		t.Errorf("succeeded = %+v", succeeded)
	}
	if failed.Line != 11 || failed.Message != "statement failed" || !strings.Contains(failed.Actual, "missing does not exist") {
		t.Errorf("failed = %+v", failed)
	}
}

func TestStatementMaybeAndRegex(t *testing.T) {
	res := runScript(t, `statement maybe
SELECT * FROM missing
----
does not exist

statement maybe
SELECT 1

statement error
SELECT CAST('x' AS INTEGER)
----
<REGEX>:Conversion Error:.*'x'.*

statement error
SELECT CAST('x' AS INTEGER)
----
<!REGEX>:.*Binder.*
`)
	wantPass(t, res, 4)
}

func TestQueryError(t *testing.T) {
	res := runScript(t, "query I\nSELECT * FROM missing\n----\n1\n")
	f := wantOneFailure(t, res, 1, "query failed")
	if !strings.Contains(f.Actual, "Table with name missing does not exist") {
		t.Errorf("Actual = %q", f.Actual)
	}
}

func TestRowsort(t *testing.T) {
	const q = "SELECT * FROM (VALUES (2, 'b'), (1, 'a'), (3, 'c'))"
	wantPass(t, runScript(t, "query IT rowsort\n"+q+"\n----\n1\ta\n2\tb\n3\tc\n"), 1)
	// Without sorting the same expectation is in the wrong order.
	res := runScript(t, "query IT nosort\n"+q+"\n----\n1\ta\n2\tb\n3\tc\n")
	f := wantOneFailure(t, res, 1, `wrong value at row 1, column 1: expected "1", got "2"`)
	if f.Diff != "- 1\ta\n  2\tb\n+ 1\ta\n  3\tc" {
		t.Errorf("Diff = %q", f.Diff)
	}
	wantPass(t, runScript(t, "query II valuesort\nSELECT * FROM (VALUES (4, 1), (3, 2))\n----\n1\t2\n3\t4\n"), 1)
}

func TestNullAndEmpty(t *testing.T) {
	wantPass(t, runScript(t, "query TT\nSELECT NULL::VARCHAR, ''\n----\nNULL\t(empty)\n"), 1)
	res := runScript(t, "query TT\nSELECT NULL::VARCHAR, ''\n----\n(empty)\tNULL\n")
	wantOneFailure(t, res, 1, `wrong value at row 1, column 1: expected "(empty)", got "NULL"`)
	// The string 'NULL' is not NULL: both render as NULL, as in DuckDB's runner.
	wantPass(t, runScript(t, "query T\nSELECT 'NULL'\n----\nNULL\n"), 1)
}

func TestValueRendering(t *testing.T) {
	res := runScript(t, `query TRRIT
SELECT true, 1.0::DOUBLE, 0.1::FLOAT, 12345678901234567890::HUGEINT, [1.5, NULL]
----
1	1.0	0.1	12345678901234567890	[1.5, NULL]

query R
SELECT 100.0::DOUBLE
----
100.5

query I
SELECT 100
----
100.0

query R
SELECT 100.0::DOUBLE
----
102
`)
	// 100.5 is within 1% of 100, 100.0 equals the integer 100, 102 is not within 1%.
	f := wantOneFailure(t, res, 16, `wrong value at row 1, column 1: expected "102", got "100.0"`)
	if f.Diff != "- 102\n+ 100.0" {
		t.Errorf("Diff = %q", f.Diff)
	}
}

func TestConnectionLabels(t *testing.T) {
	res := runScript(t, `statement ok con1
CREATE TEMP TABLE private AS SELECT 42 AS v

query I con1
SELECT v FROM private
----
42

query I
SELECT v FROM private
----
42

statement error con2
SELECT v FROM private
----
Table with name private does not exist

statement ok
CREATE TABLE shared(v INTEGER)

statement ok con1
BEGIN TRANSACTION

statement ok con1
INSERT INTO shared VALUES (1)

query I
SELECT count(*) FROM shared
----
0

statement ok con1
COMMIT

query I con2
SELECT count(*) FROM shared
----
1
`)
	f := wantOneFailure(t, res, 9, "query failed")
	if f.Conn != "" || !strings.Contains(f.Actual, "Table with name private does not exist") {
		t.Errorf("failure = %+v", f)
	}
	if res.Run != 10 {
		t.Errorf("Run = %d, want 10", res.Run)
	}
}

func TestLoop(t *testing.T) {
	res := runScript(t, `statement ok
CREATE TABLE t(i INTEGER, s VARCHAR)

loop i 0 3

foreach s x y

statement ok
INSERT INTO t VALUES (${i}, '${s}${i}')

endloop

endloop

query IT
SELECT i, s FROM t ORDER BY i, s
----
0	x0
0	y0
1	x1
1	y1
2	x2
2	y2

concurrentloop j 5 7

query I
SELECT count(*) FROM t WHERE i < ${j} - 5
----
${j}

endloop
`)
	// j=5: 0 rows vs expected "5"; j=6: 2 rows vs expected "6". Both fail, with
	// the substituted SQL in the report.
	if len(res.Failures) != 2 || res.Run != 1+6+1+2 {
		t.Fatalf("got %d failures in %d run, want 2 in 10:\n%s", len(res.Failures), res.Run, res.Report())
	}
	for i, want := range []string{"SELECT count(*) FROM t WHERE i < 5 - 5", "SELECT count(*) FROM t WHERE i < 6 - 5"} {
		if f := res.Failures[i]; f.Line != 27 || f.SQL != want {
			t.Errorf("failure %d = %+v", i, f)
		}
	}
	if f := res.Failures[1]; f.Message != `wrong value at row 1, column 1: expected "6", got "2"` {
		t.Errorf("failure 1 = %q", f.Message)
	}
}

func TestRequireModeHalt(t *testing.T) {
	res := runScript(t, "require duckinfer\n\nstatement ok\nSELECT 1\n\nrequire spatial\n\nstatement ok\nSELECT 1\n\nloop i 0 2\n\nstatement ok\nSELECT 1\n\nendloop\n")
	if res.SkipReason != "require spatial" || res.Run != 1 || res.Skipped != 3 || res.Failed() {
		t.Errorf("require: %+v", res)
	}
	res = runScript(t, `mode skip

statement ok
THIS IS NOT SQL

mode unskip

skipif duckdb
statement ok
THIS IS NOT SQL

onlyif postgres
statement ok
THIS IS NOT SQL

onlyif duckdb
statement ok
SELECT 1

halt

statement ok
THIS IS NOT SQL
`)
	if res.Failed() || res.Run != 1 || res.Skipped != 4 || !res.Halted {
		t.Errorf("mode/halt: %+v\n%s", res, res.Report())
	}
}

func TestNonWrappableQueries(t *testing.T) {
	res := runScript(t, `statement ok
CREATE TABLE t(a INTEGER, b BOOLEAN)

query ITTITI
PRAGMA table_info('t')
----
0	a	INTEGER	0	NULL	0
1	b	BOOLEAN	0	NULL	0

query I
INSERT INTO t VALUES (7, true) RETURNING a
----
7

query IT
SET VARIABLE x = 5; SELECT getvariable('x'), 'two statements'
----
5	two statements
`)
	wantPass(t, res, 4)
}

func TestHash(t *testing.T) {
	wantPass(t, runScript(t, "query I\nSELECT * FROM range(100)\n----\n100 values hashing to 9a10f4f09341c2db76a16b44f841c551\n"), 1)
	res := runScript(t, "query I\nSELECT * FROM range(99)\n----\n100 values hashing to 9a10f4f09341c2db76a16b44f841c551\n")
	wantOneFailure(t, res, 1, "wrong result hash")
}

func TestCancelledContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	res := Run(ctx, openDB(t), parse(t, "statement ok\nSELECT 1\n\nstatement ok\nSELECT 2\n"))
	if len(res.Failures) != 1 || !strings.Contains(res.Failures[0].Message, "context canceled") || res.Skipped != 1 {
		t.Errorf("cancelled: %+v", res)
	}
}

// TestWrapperKeepsOrder guards the rendering wrapper: DuckDB must keep a subquery's
// ORDER BY through SELECT ... FROM (<query>), also for parallel, multi-chunk results.
func TestWrapperKeepsOrder(t *testing.T) {
	db := openDB(t)
	c, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	tbl, err := runQuery(context.Background(), c, "SELECT hash(range) AS h FROM range(500000) ORDER BY h DESC")
	if err != nil {
		t.Fatal(err)
	}
	if len(tbl.rows) != 500000 || tbl.types[0] != "UBIGINT" {
		t.Fatalf("got %d rows of %v", len(tbl.rows), tbl.types)
	}
	var prev uint64 = math.MaxUint64
	for i, r := range tbl.rows {
		h, err := strconv.ParseUint(r[0], 10, 64)
		if err != nil || h > prev {
			t.Fatalf("row %d: %q after %d: order lost", i, r[0], prev)
		}
		prev = h
	}
}

// skipif/onlyif guard whatever command follows, as in DuckDB's runner: a guarded halt
// or mode skip must not stop or hide the records after it.
func TestGuardedCommandsAreSkipped(t *testing.T) {
	for _, text := range []string{
		"onlyif postgresql\nhalt\n\nquery I\nSELECT 1\n----\n2\n",
		"skipif duckdb\nmode skip\n\nquery I\nSELECT 1\n----\n2\n",
		"onlyif postgresql\nrequire nosuchextension\n\nquery I\nSELECT 1\n----\n2\n",
	} {
		if res := runScript(t, text); !res.Failed() || res.Halted {
			t.Errorf("a wrong result after a guarded command was not reported (run %d, skipped %d, halted %v):\n%s", res.Run, res.Skipped, res.Halted, text)
		}
	}
	res := runScript(t, "onlyif postgresql\nloop i 0 3\n\nquery I\nSELECT 1\n----\n2\n\nendloop\n\nquery I\nSELECT 1\n----\n1\n")
	if res.Failed() || res.Run != 1 || res.Skipped != 3 {
		t.Errorf("a guarded loop: run %d, skipped %d, failed %v; want 1 run, its 3 records skipped", res.Run, res.Skipped, res.Failed())
	}
}

// No record of the repository's own files sits after a halt, where it would never run.
func TestNoRecordsAfterHalt(t *testing.T) {
	files, err := filepath.Glob("../../sql/*.test")
	if err != nil || len(files) == 0 {
		t.Fatalf("no sql/*.test files (%v)", err)
	}
	for _, f := range files {
		s, err := ParseFile(f)
		if err != nil {
			t.Fatal(err)
		}
		halted := false
		for _, r := range s.Records {
			switch {
			case r.Kind == KindHalt && r.SkipReason == "":
				halted = true
			case halted && (r.Kind == KindQuery || r.Kind == KindStatement) && r.SQL != "SELECT 'after halt'":
				t.Errorf("%s:%d is after a halt and never runs: %s", f, r.Line, r.SQL)
			}
		}
	}
}

// Text DuckDB rejects fails even when its parentheses would pair with the runner's
// wrapper (SELECT ... FROM (<body>)) into a query that runs.
func TestUnbalancedQueryFails(t *testing.T) {
	const q = "SELECT 1 AS x) t, (SELECT 2 AS y"
	if res := runScript(t, "query II\n"+q+"\n----\n1\t2\n"); !res.Failed() {
		t.Errorf("a query DuckDB rejects passed: %s", res.Report())
	}
}

// The same where only DuckDB's lexer shows the ')' ... '(' as code: after a \' escape
// in an E string, beside a $t$ quote holding $$, past a nested comment, after a
// comment ended by '\r', and after a name ending in $$. Each expected row is what the
// wrapped text gives, so only running it as written fails the record.
func TestUnbalancedQueryFailsAsDuckDBLexes(t *testing.T) {
	for _, c := range []struct{ q, types, row string }{
		{`SELECT E'\'' AS a, 1 AS x) t, (SELECT 2 AS y, E'\'' AS b`, "TIIT", "'\t1\t2\t'"},
		{`SELECT $t$x$$y$t$ AS a, 1 AS x) t, (SELECT 2 AS y, $t$x$$y$t$ AS b`, "TIIT", "x$$y\t1\t2\tx$$y"},
		{`SELECT 1 AS x /* /* */ ' */ ) t, (SELECT 2 AS y /* ' */`, "II", "1\t2"},
		{"SELECT 1 AS x --\r) t, (SELECT 2 AS y", "II", "1\t2"},
		{`SELECT 1 AS a$$, 1 AS x) t, (SELECT 2 AS y, 3 AS b$$`, "IIII", "1\t1\t2\t3"},
	} {
		if res := runScript(t, "query "+c.types+"\n"+c.q+"\n----\n"+c.row+"\n"); !res.Failed() {
			t.Errorf("%q: a query DuckDB rejects passed: %s", c.q, res.Report())
		}
	}
}
