package batch

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func execSQL(t *testing.T, s *Session, q string) {
	t.Helper()
	if _, err := s.Conn.ExecContext(context.Background(), q); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

// outputIDs is the sorted ids of every output row, comma-separated.
func outputIDs(t *testing.T, s *Session, out string) string {
	t.Helper()
	return scalar[string](t, s, fmt.Sprintf("SELECT string_agg(id::VARCHAR, ',' ORDER BY id) FROM read_parquet(%s)", sqlPath(out)+"||'/*.parquet'"))
}

// DuckDB's table functions read each path as a glob: a file named x[1].csv was read as
// x1.csv (its own row lost, x1.csv's scored twice) and verify, counting the same way,
// passed. Units name their file literally now, and files with glob characters in a
// folder with them too are read as themselves.
func TestFileNamesWithGlobCharacters(t *testing.T) {
	s := openSession(t)
	d := filepath.Join(t.TempDir(), "in[put]")
	if err := os.MkdirAll(d, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []struct {
		name string
		ids  string
	}{{"x[1].csv", "1"}, {"x1.csv", "2, 3"}, {"p[1].parquet", "4"}, {"p1.parquet", "5, 6"}, {"q*.parquet", "7"}, {"qq.parquet", "8"}} {
		format := "(HEADER)"
		if strings.HasSuffix(f.name, ".parquet") {
			format = "(FORMAT parquet)"
		}
		execSQL(t, s, fmt.Sprintf(`COPY (SELECT unnest([%s]) AS id, 'a fine film ' || id AS text) TO %s %s`, f.ids, sqlString(filepath.Join(d, f.name)), format))
	}
	out := filepath.Join(t.TempDir(), "out[1]")
	in := Input{Patterns: []string{globLiteral(d) + "/*.csv", globLiteral(d) + "/*.parquet"}}
	o := Options{Task: "sentiment", Input: in, Output: out, Shard: Shard{0, 2}, Version: "test"}
	runAll(t, s, o)
	if got := outputIDs(t, s, out); got != "1,2,3,4,5,6,7,8" {
		t.Errorf("output ids %s, want 1,2,3,4,5,6,7,8", got)
	}
	if v := verify(t, s, o); !v.OK() {
		t.Errorf("verify: %+v %v", v.Rows, v.Problems)
	}
}

// One file reached through two spellings of its folder (d/., a symlink to d) is one
// unit: before, each spelling made its own and every row came out twice.
func TestSameFileThroughTwoSpellingsIsOneUnit(t *testing.T) {
	s := openSession(t)
	d := t.TempDir()
	glob := dataset(t, s, d, 2, 10, 10)
	link := filepath.Join(t.TempDir(), "link")
	if err := os.Symlink(d, link); err != nil {
		t.Fatal(err)
	}
	in := Input{Patterns: []string{glob, filepath.Join(d, ".", "*.parquet"), filepath.Join(link, "*.parquet")}}
	plan, err := Plan(context.Background(), s.Conn, in, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(plan) != 2 {
		t.Fatalf("%d units for 2 files: %+v", len(plan), plan)
	}
	out := filepath.Join(t.TempDir(), "out")
	o := Options{Task: "sentiment", Input: in, Output: out, Shard: Shard{0, 1}, Version: "test"}
	runAll(t, s, o)
	exactlyOnce(t, s, glob, out)
}

// Two first shards of different jobs claiming one folder at once: one wins, the
// other is refused. Before, both could write job.json in turn, each read back its
// own, and both went on cutting the input their own way.
func TestClaimJobIsExclusive(t *testing.T) {
	for i := range 100 {
		l := layout{t.TempDir()}
		if err := l.create(); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for k := range 2 {
			wg.Go(func() {
				errs[k] = claimJob(l, Job{Task: "t", Patterns: []string{"x"}, UnitRows: int64(1000 * (k + 1)), Units: 1, Plan: "p"})
			})
		}
		wg.Wait()
		if (errs[0] == nil) == (errs[1] == nil) {
			t.Fatalf("try %d: claims gave %v and %v, want exactly one refused", i, errs[0], errs[1])
		}
		for _, err := range errs {
			if err != nil && !strings.Contains(err.Error(), "unit rows") {
				t.Fatalf("refusal %q does not say what differs", err)
			}
		}
	}
}

// A file added between two shards' starts: before, each shard planned its own unit
// list, a unit could fall to no shard, and every shard exited 0. The later shard is
// refused now, and verify says the input changed.
func TestInputChangedAfterJobStartedIsRefused(t *testing.T) {
	s := openSession(t)
	d := t.TempDir()
	for _, f := range []string{"b", "c", "d"} {
		execSQL(t, s, fmt.Sprintf(`COPY (SELECT i AS id, 'nice ' || i AS text FROM range(100) r(i)) TO %s`, sqlString(filepath.Join(d, f+".parquet"))))
	}
	in := Input{Patterns: []string{d + "/*.parquet"}}
	out := filepath.Join(t.TempDir(), "out")
	o := Options{Task: "sentiment", Input: in, Output: out, Shard: Shard{0, 2}, Version: "test"}
	plan, err := Plan(context.Background(), s.Conn, in, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := RunShard(context.Background(), s, plan, o); err != nil {
		t.Fatal(err)
	}
	execSQL(t, s, fmt.Sprintf(`COPY (SELECT i AS id, 'nice' AS text FROM range(1000) r(i)) TO %s`, sqlString(filepath.Join(d, "a.parquet"))))
	if plan, err = Plan(context.Background(), s.Conn, in, 0); err != nil {
		t.Fatal(err)
	}
	o.Shard.Index = 1
	_, err = RunShard(context.Background(), s, plan, o)
	if err == nil || !strings.Contains(err.Error(), "changed since its first shard ran") || !strings.Contains(err.Error(), "3 units then and gives 4 now") {
		t.Fatalf("shard 1 of the changed input: got %v, want a refusal", err)
	}
	v := verify(t, s, o)
	if v.OK() || len(v.Problems) == 0 || !strings.Contains(v.Problems[0], "another unit list than when the job started") {
		t.Errorf("verify after the input changed: %+v %v", v.Rows, v.Problems)
	}
}

// A job folder started before the unit list was recorded is refused with the way out:
// its units were named differently.
func TestJobOfAnOlderVersionIsRefused(t *testing.T) {
	l := layout{t.TempDir()}
	if err := l.create(); err != nil {
		t.Fatal(err)
	}
	old, _ := json.Marshal(map[string]any{"task": "t", "input": []string{"x"}, "unit_rows": 10})
	if err := os.WriteFile(l.job(), old, 0o644); err != nil {
		t.Fatal(err)
	}
	err := claimJob(l, Job{Task: "t", Patterns: []string{"x"}, UnitRows: 10, Units: 1, Plan: "p"})
	if err == nil || !strings.Contains(err.Error(), "older duckinfer") {
		t.Fatalf("got %v", err)
	}
}

// A unit whose input grew keeps its ID; once the job is started afresh (its job.json
// removed), the rerun must redo that unit, not skip it on its old manifest (which
// verify then flagged forever, -recompute included).
func TestRerunRedoesUnitWhoseInputChanged(t *testing.T) {
	s := openSession(t)
	d := t.TempDir()
	glob := dataset(t, s, d, 2, 100, 100)
	out := filepath.Join(t.TempDir(), "out")
	o := Options{Task: "sentiment", Input: Input{Patterns: []string{glob}}, Output: out, Shard: Shard{0, 1}, Version: "test"}
	runAll(t, s, o)
	dataset(t, s, d, 1, 150, 150) // part-000 now has 150 rows
	if err := os.Remove(layout{out}.job()); err != nil {
		t.Fatal(err)
	}
	reps := runAll(t, s, o)
	if reps[0].Done != 1 || reps[0].Skipped != 1 {
		t.Errorf("rerun: %+v, want the changed unit done and the other skipped", reps[0])
	}
	if v := verify(t, s, o); !v.OK() {
		t.Errorf("verify: %+v %v", v.Rows, v.Problems)
	}
	exactlyOnce(t, s, glob, out)
}

// An object-storage URL as the output folder is refused: filepath.Join made s3:/…,
// a local folder on each node, and every shard exited 0.
func TestURLOutputIsRefused(t *testing.T) {
	s := openSession(t)
	glob := dataset(t, s, t.TempDir(), 1, 10, 10)
	t.Chdir(t.TempDir())
	o := Options{Task: "sentiment", Input: Input{Patterns: []string{glob}}, Output: "s3://bucket/out", Shard: Shard{0, 1}, Version: "test"}
	plan, err := Plan(context.Background(), s.Conn, o.Input, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := RunShard(context.Background(), s, plan, o); err == nil || !strings.Contains(err.Error(), "POSIX file system") {
		t.Fatalf("got %v, want a refusal", err)
	}
	if _, err := os.Stat("s3:"); err == nil {
		t.Error("a local folder s3: was made")
	}
}

// Two units may not share an ID (they would share one output file and manifest, and
// one would never run); files with one base name in many folders get distinct ones.
func TestUnitIDsAreUnique(t *testing.T) {
	u := Unit{Kind: KindParquet, Path: "/d/a/data_0.parquet", Rel: "a/data_0.parquet", Hi: -1}
	if _, err := named([]Unit{u, u}); err == nil || !strings.Contains(err.Error(), "same name") {
		t.Fatalf("two equal units: got %v, want a refusal", err)
	}
	var units []Unit
	for i := range 20000 {
		units = append(units, Unit{Kind: KindParquet, Path: fmt.Sprintf("/d/p=%d/data_0.parquet", i), Rel: fmt.Sprintf("p=%d/data_0.parquet", i), Hi: -1})
	}
	units, err := named(units)
	if err != nil {
		t.Fatal(err)
	}
	if id := units[0].ID; !strings.HasPrefix(id, "data_0-") || len(id) != len("data_0-")+idHexDigits {
		t.Errorf("ID %q", id)
	}
}

// Pins: an input file rewritten between two shards' starts with the same size and row
// count (a CSV with one word changed, a Parquet file written again) was taken for the
// same input, so one job's shards scored two versions of it. job.json records each
// file's size and modification time; a shard that sees another is refused, naming the
// file, while the same file read through another mount point still passes.
func TestInputRewrittenBetweenShardsIsRefused(t *testing.T) {
	s := openSession(t)
	d := t.TempDir()
	csv := filepath.Join(d, "a.csv")
	if err := os.WriteFile(csv, []byte("id,text\n0,a good film\n1,a dull film\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	dataset(t, s, d, 1, 10, 10)
	pq := filepath.Join(d, "part-000.parquet")
	in := Input{Patterns: []string{filepath.Join(d, "*.csv"), filepath.Join(d, "*.parquet")}}
	out := filepath.Join(t.TempDir(), "out")
	o := Options{Task: "sentiment", Input: in, Output: out, Shard: Shard{0, 2}, Version: "test"}
	run := func(o Options) error {
		t.Helper()
		plan, err := Plan(context.Background(), s.Conn, o.Input, 0)
		if err != nil {
			t.Fatal(err)
		}
		_, err = RunShard(context.Background(), s, plan, o)
		return err
	}
	if err := run(o); err != nil {
		t.Fatal(err)
	}
	// The same files through another mount point (the share on another node keeps
	// their modification times): shard 1 runs, verify passes.
	mnt := filepath.Join(t.TempDir(), "mnt")
	if err := os.Symlink(d, mnt); err != nil {
		t.Fatal(err)
	}
	o1 := o
	o1.Shard.Index = 1
	o1.Input = Input{Patterns: []string{filepath.Join(mnt, "*.csv"), filepath.Join(mnt, "*.parquet")}}
	if err := run(o1); err != nil {
		t.Fatalf("shard 1 through another mount point: %v", err)
	}
	if v := verify(t, s, o1); !v.OK() {
		t.Fatalf("verify: %+v %v", v.Rows, v.Problems)
	}

	for _, c := range []struct {
		file    string
		rewrite func()
	}{
		{csv, func() {
			// Same size, same rows, another word.
			if err := os.WriteFile(csv, []byte("id,text\n0,a good film\n1,a fine film\n"), 0o644); err != nil {
				t.Fatal(err)
			}
		}},
		{pq, func() {
			execSQL(t, s, fmt.Sprintf(`COPY (SELECT i::BIGINT AS id, 'awful ' || i AS text FROM range(10) r(i)) TO %s (FORMAT parquet)`, sqlString(pq)))
		}},
	} {
		st, err := os.Stat(c.file)
		if err != nil {
			t.Fatal(err)
		}
		old, _ := os.ReadFile(c.file)
		c.rewrite()
		// A rewrite within one tick of the file system's clock may keep the time;
		// a second later it does not.
		if err := os.Chtimes(c.file, st.ModTime(), st.ModTime().Add(time.Second)); err != nil {
			t.Fatal(err)
		}
		err = run(o1)
		if err == nil || !strings.Contains(err.Error(), filepath.Base(c.file)) || !strings.Contains(err.Error(), "changed") {
			t.Errorf("shard 1 after %s was rewritten: got %v, want a refusal naming it", filepath.Base(c.file), err)
		}
		v := verify(t, s, o1)
		if v.OK() || !strings.Contains(strings.Join(v.Problems, "\n"), filepath.Base(c.file)) {
			t.Errorf("verify after %s was rewritten: %+v %v, want a problem naming it", filepath.Base(c.file), v.Rows, v.Problems)
		}
		// Put back as it was, time included: the job goes on.
		if err := os.WriteFile(c.file, old, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(c.file, st.ModTime(), st.ModTime()); err != nil {
			t.Fatal(err)
		}
		if err := run(o1); err != nil {
			t.Fatalf("shard 1 with %s restored: %v", filepath.Base(c.file), err)
		}
	}
}

// Pins: a -table input was not stat-checked: a table updated in place keeps its rowids
// and row counts, so shards that ran before and after the update scored two versions
// of it under one job. The database file (with its write-ahead log) is recorded and
// checked as an input file is, whether the update was checkpointed into the file or
// is still in the log.
func TestTableUpdatedBetweenShardsIsRefused(t *testing.T) {
	for _, checkpointed := range []bool{true, false} {
		s := openSession(t)
		db := filepath.Join(t.TempDir(), "src.duckdb")
		execSQL(t, s, "ATTACH "+sqlString(db)+" AS w")
		execSQL(t, s, "CREATE TABLE w.reviews AS SELECT i::BIGINT AS id, 'a fine film ' || i AS text FROM range(20) r(i)")
		execSQL(t, s, "DETACH w")
		o := Options{Task: "sentiment", Input: Input{Patterns: []string{db}, Table: "reviews"}, UnitRows: 10,
			Output: filepath.Join(t.TempDir(), "out"), Shard: Shard{0, 2}, Version: "test"}
		run := func(o Options) error {
			t.Helper()
			s := openSession(t) // batch_src is attached once per connection
			plan, err := Plan(context.Background(), s.Conn, o.Input, o.UnitRows)
			if err != nil {
				t.Fatal(err)
			}
			_, err = RunShard(context.Background(), s, plan, o)
			return err
		}
		if err := run(o); err != nil {
			t.Fatal(err)
		}
		st, err := os.Stat(db)
		if err != nil {
			t.Fatal(err)
		}
		// One word changed: same rowids, same row count.
		w := openSession(t)
		if !checkpointed {
			execSQL(t, w, "SET checkpoint_threshold = '1GB'")
			execSQL(t, w, "PRAGMA disable_checkpoint_on_shutdown")
		}
		execSQL(t, w, "ATTACH "+sqlString(db)+" AS w")
		execSQL(t, w, "UPDATE w.reviews SET text = 'an awful film 15' WHERE id = 15")
		execSQL(t, w, "DETACH w")
		if _, err := os.Stat(db + ".wal"); (err == nil) == checkpointed {
			t.Fatalf("checkpointed %v: the write-ahead log exists: %v", checkpointed, err == nil)
		}
		// A rewrite within one tick of the file system's clock may keep the time.
		later := st.ModTime().Add(time.Second)
		for _, f := range []string{db, db + ".wal"} {
			if _, err := os.Stat(f); err == nil {
				if err := os.Chtimes(f, later, later); err != nil {
					t.Fatal(err)
				}
			}
		}
		o1 := o
		o1.Shard.Index = 1
		err = run(o1)
		if err == nil || !strings.Contains(err.Error(), "src.duckdb") || !strings.Contains(err.Error(), "changed") {
			t.Errorf("checkpointed %v: shard 1 after the table was updated: got %v, want a refusal naming src.duckdb", checkpointed, err)
		}
	}
}
