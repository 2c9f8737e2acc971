package batch

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Pins: a table with a column named b could not be planned. Plan grouped by the
// alias b, which DuckDB binds to the table's own column b first.
func TestPlanTableWithColumnNamedB(t *testing.T) {
	s := openSession(t)
	db := filepath.Join(t.TempDir(), "src.duckdb")
	execSQL(t, s, "ATTACH '"+db+"' AS w")
	execSQL(t, s, "CREATE TABLE w.reviews AS SELECT i::BIGINT AS id, 'a fine film ' || i AS text, i % 2 AS b FROM range(10) r(i)")
	execSQL(t, s, "DETACH w")
	plan, err := Plan(context.Background(), s.Conn, Input{Patterns: []string{db}, Table: "reviews"}, 0)
	if err != nil {
		t.Fatalf("a table with a column named b: %v", err)
	}
	if len(plan) != 1 || plan[0].Rows != 10 {
		t.Fatalf("plan %+v", plan)
	}
}

// Pins: -table schema.table was looked up as one table literally named
// "schema.table". A part in double quotes may hold a dot.
func TestPlanTableInAnotherSchema(t *testing.T) {
	s := openSession(t)
	db := filepath.Join(t.TempDir(), "src.duckdb")
	execSQL(t, s, "ATTACH '"+db+"' AS w")
	execSQL(t, s, "CREATE SCHEMA w.s")
	execSQL(t, s, "CREATE TABLE w.s.reviews AS SELECT i::BIGINT AS id, 'a fine film ' || i AS text FROM range(10) r(i)")
	execSQL(t, s, `CREATE TABLE w.s."my.reviews" AS SELECT i::BIGINT AS id, 'a fine film ' || i AS text FROM range(7) r(i)`)
	execSQL(t, s, `CREATE TABLE w."a""b.c" AS SELECT i::BIGINT AS id, 'a fine film ' || i AS text FROM range(3) r(i)`)
	execSQL(t, s, "DETACH w")
	for table, rows := range map[string]int64{"s.reviews": 10, `s."my.reviews"`: 7, `"s"."my.reviews"`: 7, `"a""b.c"`: 3, `main."a""b.c"`: 3} {
		s := openSession(t) // batch_src is attached once per connection
		plan, err := Plan(context.Background(), s.Conn, Input{Patterns: []string{db}, Table: table}, 0)
		if err != nil {
			t.Fatalf("-table %s: %v", table, err)
		}
		if len(plan) != 1 || plan[0].Rows != rows {
			t.Fatalf("-table %s: plan %+v, want %d rows", table, plan, rows)
		}
		if n := scalar[int64](t, s, "SELECT count(*) FROM ("+plan[0].Query()+")"); n != rows {
			t.Errorf("-table %s: the unit's query reads %d rows, want %d", table, n, rows)
		}
	}
	for _, bad := range []string{"a.b.c", "s.", `"s`, `s"x".t`, `"s"x.t`} {
		if _, err := Plan(context.Background(), s.Conn, Input{Patterns: []string{db}, Table: bad}, 0); err == nil || !strings.Contains(err.Error(), "-table") {
			t.Errorf("-table %s: got %v, want a refusal naming -table", bad, err)
		}
	}
}

// Pins: HUGEINT and UHUGEINT columns were written to Parquet as DOUBLE, so distinct
// keys came out equal and verify still passed. They are written as VARCHAR now, and
// a nested type holding one is refused.
func TestHugeintKeysSurvive(t *testing.T) {
	s := openSession(t)
	db := filepath.Join(t.TempDir(), "src.duckdb")
	execSQL(t, s, "ATTACH '"+db+"' AS w")
	execSQL(t, s, `CREATE TABLE w.reviews AS SELECT (i + 9007199254740993)::HUGEINT AS id,
		('340282366920938463463374607431768211455'::UHUGEINT - i::UHUGEINT) AS "u id", 'a fine film ' || i AS text FROM range(4) r(i)`)
	execSQL(t, s, "CREATE TABLE w.nested AS SELECT [i::HUGEINT] AS ids, 'a fine film ' || i AS text FROM range(4) r(i)")
	execSQL(t, s, "DETACH w")
	out := filepath.Join(t.TempDir(), "out")
	o := Options{Task: "sentiment", Input: Input{Patterns: []string{db}, Table: "reviews"}, Output: out, Shard: Shard{0, 1}, Version: "test"}
	runAll(t, s, o)
	if v := verify(t, s, o); !v.OK() {
		t.Fatalf("verify: %+v %v", v.Rows, v.Problems)
	}
	res := "read_parquet(" + sqlString(filepath.Join(out, "*.parquet")) + ")"
	n := scalar[int64](t, s, "SELECT count(DISTINCT id) FROM "+res)
	typ := scalar[string](t, s, "SELECT typeof(id) FROM "+res+" LIMIT 1")
	if n != 4 {
		t.Fatalf("4 distinct HUGEINT ids in, %d distinct ids out (written as %s)", n, typ)
	}
	got := scalar[string](t, s, `SELECT string_agg(id || '/' || "u id", ',' ORDER BY id) FROM `+res)
	want := "9007199254740993/340282366920938463463374607431768211455,9007199254740994/340282366920938463463374607431768211454," +
		"9007199254740995/340282366920938463463374607431768211453,9007199254740996/340282366920938463463374607431768211452"
	if got != want || typ != "VARCHAR" {
		t.Errorf("ids out %s (%s), want %s as VARCHAR", got, typ, want)
	}

	o.Input.Table, o.Output = "nested", filepath.Join(t.TempDir(), "out2")
	plan, err := Plan(context.Background(), s.Conn, o.Input, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := RunShard(context.Background(), s, plan, o); err == nil || !strings.Contains(err.Error(), `column "ids" is HUGEINT[]`) {
		t.Fatalf("a HUGEINT[] column: got %v, want a refusal naming it", err)
	}
}

// Pins: a 0-byte CSV file among the input failed its unit on every run (read_csv
// invents a column0 for it). Its unit has no rows and an output with the other
// files' columns, so out/*.parquet still reads as one table.
func TestEmptyCSVFile(t *testing.T) {
	s := openSession(t)
	d := t.TempDir()
	execSQL(t, s, fmt.Sprintf("COPY (SELECT i::BIGINT AS id, 'a fine film ' || i AS text FROM range(5) r(i)) TO %s (HEADER)", sqlString(filepath.Join(d, "a.csv"))))
	if err := os.WriteFile(filepath.Join(d, "b.csv"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "out")
	o := Options{Task: "sentiment", Input: Input{Patterns: []string{filepath.Join(d, "*.csv")}}, Output: out, Shard: Shard{0, 1}, Version: "test"}
	plan, err := Plan(context.Background(), s.Conn, o.Input, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := RunShard(context.Background(), s, plan, o); err != nil {
		t.Fatalf("an empty CSV file among the input: %v", err)
	}
	if v := verify(t, s, o); !v.OK() {
		t.Fatalf("verify: %+v %v", v.Rows, v.Problems)
	}
	res := "read_parquet(" + sqlString(filepath.Join(out, "*.parquet")) + ")"
	if got := scalar[string](t, s, "SELECT string_agg(id::VARCHAR, ',' ORDER BY id) FROM "+res); got != "0,1,2,3,4" {
		t.Errorf("ids out %s", got)
	}
	if n := scalar[int64](t, s, "SELECT count(*) FROM (DESCRIBE SELECT * FROM read_parquet("+sqlString(filepath.Join(out, "b-*.parquet"))+"))"); n != 4 {
		t.Errorf("the empty file's output has %d columns, want id, text and the 2 prediction columns", n)
	}

	// Only empty files: refused, naming one.
	e := t.TempDir()
	if err := os.WriteFile(filepath.Join(e, "x.csv"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Plan(context.Background(), s.Conn, Input{Patterns: []string{filepath.Join(e, "*.csv")}}, 0); err == nil || !strings.Contains(err.Error(), "x.csv") {
		t.Errorf("only an empty CSV file: got %v, want a refusal naming it", err)
	}
	// A 0-byte Parquet file is not a Parquet file: an error naming it.
	if err := os.WriteFile(filepath.Join(e, "y.parquet"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Plan(context.Background(), s.Conn, Input{Patterns: []string{filepath.Join(e, "*.parquet")}}, 0); err == nil || !strings.Contains(err.Error(), "y.parquet") {
		t.Errorf("an empty Parquet file: got %v, want an error naming it", err)
	}
}

// Pins: unit IDs hashed the path as spelled, so from a node that mounts the input
// elsewhere (a symlink stands in for it), or given it as a relative path, verify
// failed a complete folder and run was refused as another job.
func TestVerifyFromAnotherMountPoint(t *testing.T) {
	s := openSession(t)
	d := t.TempDir()
	glob := dataset(t, s, d, 2, 10, 10)
	out := filepath.Join(t.TempDir(), "out")
	o := Options{Task: "sentiment", Input: Input{Patterns: []string{glob}}, Output: out, Shard: Shard{0, 2}, Version: "test"}
	plan, err := Plan(context.Background(), s.Conn, o.Input, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := RunShard(context.Background(), s, plan, o); err != nil {
		t.Fatal(err)
	}
	mnt := filepath.Join(t.TempDir(), "mnt")
	if err := os.Symlink(d, mnt); err != nil {
		t.Fatal(err)
	}
	// Shard 1 on "another node": resumes the job.
	o2 := o
	o2.Shard.Index = 1
	o2.Input = Input{Patterns: []string{filepath.Join(mnt, "*.parquet")}}
	if plan, err = Plan(context.Background(), s.Conn, o2.Input, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := RunShard(context.Background(), s, plan, o2); err != nil {
		t.Fatalf("shard 1 through another mount path: %v", err)
	}
	for _, in := range []string{glob, filepath.Join(mnt, "*.parquet"), relTo(t, glob)} {
		o2.Input = Input{Patterns: []string{in}}
		if v := verify(t, s, o2); !v.OK() {
			var b strings.Builder
			v.Print(&b)
			t.Fatalf("verify with -input %s:\n%s", in, b.String())
		}
	}
	exactlyOnce(t, s, glob, out)
	// Another input folder is still another job.
	other := filepath.Join(t.TempDir(), "other")
	if err := os.Mkdir(other, 0o755); err != nil {
		t.Fatal(err)
	}
	o2.Input = Input{Patterns: []string{dataset(t, s, other, 3, 10, 10)}}
	if plan, err = Plan(context.Background(), s.Conn, o2.Input, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := RunShard(context.Background(), s, plan, o2); err == nil || !strings.Contains(err.Error(), "belongs to the job") {
		t.Errorf("another input into the folder: got %v, want a refusal", err)
	}
	// So is another folder whose files have the same names and row counts (another
	// day's partition): names relative to the base folder alone would take it for this
	// job's input, skip its units as done and leave its rows unscored.
	twin := filepath.Join(t.TempDir(), "twin")
	if err := os.Mkdir(twin, 0o755); err != nil {
		t.Fatal(err)
	}
	o2.Input = Input{Patterns: []string{dataset(t, s, twin, 2, 10, 10)}}
	if plan, err = Plan(context.Background(), s.Conn, o2.Input, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := RunShard(context.Background(), s, plan, o2); err == nil || !strings.Contains(err.Error(), "twin") {
		t.Errorf("a same-shaped input from another folder: got %v, want a refusal naming it", err)
	}
	if v := verify(t, s, o2); v.OK() {
		t.Errorf("verify with -input from another folder of the same shape passed")
	}
}

// relTo is path relative to the working directory.
func relTo(t *testing.T, path string) string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	r, err := filepath.Rel(wd, path)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// A folder whose job.json an older duckinfer wrote (units named by the full path,
// no "format") is refused by run with the way out, and flagged by verify.
func TestJobWithOlderUnitNamesIsRefused(t *testing.T) {
	s := openSession(t)
	glob := dataset(t, s, t.TempDir(), 1, 10, 10)
	out := filepath.Join(t.TempDir(), "out")
	l := layout{out}
	if err := l.create(); err != nil {
		t.Fatal(err)
	}
	old, _ := json.Marshal(map[string]any{"task": "sentiment", "input": []string{glob}, "unit_rows": DefaultUnitRows, "units": 1, "plan": "0123"})
	if err := os.WriteFile(l.job(), old, 0o644); err != nil {
		t.Fatal(err)
	}
	o := Options{Task: "sentiment", Input: Input{Patterns: []string{glob}}, Output: out, Shard: Shard{0, 1}, Version: "test"}
	plan, err := Plan(context.Background(), s.Conn, o.Input, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := RunShard(context.Background(), s, plan, o); err == nil || !strings.Contains(err.Error(), "older duckinfer") {
		t.Fatalf("run: got %v", err)
	}
	if v := verify(t, s, o); v.OK() || len(v.Problems) == 0 || !strings.Contains(v.Problems[0], "older duckinfer") {
		t.Errorf("verify: %+v %v", v.Rows, v.Problems)
	}
}

// Pins: a .csv.gz file that decompresses to nothing (gzip < /dev/null, 20 bytes) failed
// its unit forever, as the 0-byte CSV once did: read_csv invented a column0 for it.
func TestEmptyCompressedCSVFile(t *testing.T) {
	s := openSession(t)
	d := t.TempDir()
	execSQL(t, s, fmt.Sprintf("COPY (SELECT i::BIGINT AS id, 'a fine film ' || i AS text FROM range(5) r(i)) TO %s (HEADER)", sqlString(filepath.Join(d, "a.csv"))))
	writeGzip(t, filepath.Join(d, "b.csv.gz"), "")
	writeGzip(t, filepath.Join(d, "c.tsv.gz"), "")
	if err := os.WriteFile(filepath.Join(d, "e.csv.gz"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "out")
	o := Options{Task: "sentiment", Input: Input{Patterns: []string{filepath.Join(d, "*.csv"), filepath.Join(d, "*.gz")}}, Output: out, Shard: Shard{0, 1}, Version: "test"}
	plan, err := Plan(context.Background(), s.Conn, o.Input, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := RunShard(context.Background(), s, plan, o); err != nil {
		t.Fatalf("an empty .csv.gz file among the input: %v", err)
	}
	if v := verify(t, s, o); !v.OK() {
		t.Fatalf("verify: %+v %v", v.Rows, v.Problems)
	}
	for _, f := range []string{"b-*.parquet", "c-*.parquet", "e-*.parquet"} {
		if n := scalar[int64](t, s, "SELECT count(*) FROM (DESCRIBE SELECT * FROM read_parquet("+sqlString(filepath.Join(out, f))+"))"); n != 4 {
			t.Errorf("%s: the empty file's output has %d columns, want id, text and the 2 prediction columns", f, n)
		}
	}
	// A gzip file that holds rows is read as before.
	writeGzip(t, filepath.Join(d, "f.csv.gz"), "id,text\n7,a fine film\n")
	plan, err = Plan(context.Background(), s.Conn, Input{Patterns: []string{filepath.Join(d, "f.csv.gz")}}, 0)
	if err != nil || len(plan) != 1 || plan[0].Like != "" {
		t.Fatalf("a gzip file with a row: plan %+v, %v", plan, err)
	}
}

func writeGzip(t *testing.T, path, text string) {
	t.Helper()
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Name = filepath.Base(path) // as gzip(1) writes it
	if _, err := w.Write([]byte(text)); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// Pins: -plan listed an empty unit (a 0-byte CSV file) with rows "?" like any CSV
// file, though the run reads no rows from it.
func TestPrintPlanMarksEmptyUnits(t *testing.T) {
	s := openSession(t)
	d := t.TempDir()
	execSQL(t, s, fmt.Sprintf("COPY (SELECT i::BIGINT AS id, 'a fine film ' || i AS text FROM range(5) r(i)) TO %s (HEADER)", sqlString(filepath.Join(d, "a.csv"))))
	if err := os.WriteFile(filepath.Join(d, "b.csv"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	plan, err := Plan(context.Background(), s.Conn, Input{Patterns: []string{filepath.Join(d, "*.csv")}}, 0)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	PrintPlan(&b, plan, 1)
	var line string
	for _, l := range strings.Split(b.String(), "\n") {
		if strings.HasPrefix(l, "b-") {
			line = l
		}
	}
	if f := strings.Fields(line); len(f) < 4 || f[2] != "0" || !strings.Contains(line, "empty") {
		t.Errorf("the empty file's line %q, want 0 rows and marked empty:\n%s", line, b.String())
	}
}
