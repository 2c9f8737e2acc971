package batch

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/duckinfer/duckinfer/extension"
)

// childEnv makes the test binary a shard process (see TestMain): the fault tests
// need a real process to kill.
const childEnv = "DUCKINFER_BATCH_TEST_CHILD"

func TestMain(m *testing.M) {
	os.Unsetenv("DUCKINFER_MODELS") // the shipped tasks, not a caller's of the same name
	if spec := os.Getenv(childEnv); spec != "" {
		os.Exit(childMain(spec))
	}
	os.Exit(m.Run())
}

type childSpec struct {
	Options  Options
	TaskDirs []string
}

func childMain(spec string) int {
	var c childSpec
	if err := json.Unmarshal([]byte(spec), &c); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	ctx := context.Background()
	s, err := Open(ctx, 1, extension.WithTaskDirs(c.TaskDirs...))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer s.Close()
	plan, err := Plan(ctx, s.Conn, c.Options.Input, c.Options.UnitRows)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	c.Options.Log = os.Stderr
	rep, err := RunShard(ctx, s, plan, c.Options)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	json.NewEncoder(os.Stdout).Encode(rep)
	return 0
}

// child starts a shard process; hook is DUCKINFER_TEST_HOOK ("" for none).
func child(t *testing.T, o Options, hook string) *exec.Cmd {
	t.Helper()
	o.Log = nil
	b, err := json.Marshal(childSpec{Options: o})
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+string(b), HookEnv+"="+hook)
	return cmd
}

// runChild runs a shard process to its end and returns its report (nil when it
// failed or was killed), its stderr and its error.
func runChild(t *testing.T, o Options, hook string) (*Report, string, error) {
	t.Helper()
	cmd := child(t, o, hook)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if err != nil {
		return nil, errb.String(), err
	}
	var rep Report
	if jerr := json.Unmarshal(out.Bytes(), &rep); jerr != nil {
		t.Fatalf("child report %q: %v\n%s", out.String(), jerr, errb.String())
	}
	return &rep, errb.String(), nil
}

// dataset writes files Parquet files of rows rows each (ids from 0, consecutive),
// in row groups of rowGroup rows, and returns the glob.
func dataset(t testing.TB, s *Session, dir string, files, rows, rowGroup int) string {
	t.Helper()
	for f := range files {
		q := fmt.Sprintf(`COPY (SELECT (%d * %d + i)::BIGINT AS id,
			CASE i %% 4 WHEN 0 THEN 'a wonderful, excellent film ' WHEN 1 THEN 'awful and boring, I hated it ' WHEN 2 THEN 'great acting, loved it ' ELSE 'terrible plot, bad ' END || i AS text
			FROM range(%d) r(i)) TO '%s' (FORMAT parquet, ROW_GROUP_SIZE %d)`,
			f, rows, rows, filepath.Join(dir, fmt.Sprintf("part-%03d.parquet", f)), rowGroup)
		if _, err := s.Conn.ExecContext(context.Background(), q); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(dir, "*.parquet")
}

func openSession(t testing.TB, opts ...extension.Option) *Session {
	t.Helper()
	s, err := Open(context.Background(), 0, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func scalar[T any](t testing.TB, s *Session, q string) T {
	t.Helper()
	var v T
	if err := s.Conn.QueryRowContext(context.Background(), q).Scan(&v); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return v
}

// exactlyOnce checks out/*.parquet against the input both ways with EXCEPT ALL on
// (id, text), and that every row has a prediction.
func exactlyOnce(t *testing.T, s *Session, glob, out string) {
	t.Helper()
	in := fmt.Sprintf("SELECT id, text FROM read_parquet('%s')", glob)
	res := fmt.Sprintf("SELECT id, text FROM read_parquet('%s')", filepath.Join(out, "*.parquet"))
	if n := scalar[int64](t, s, "SELECT count(*) FROM ("+in+" EXCEPT ALL "+res+")"); n != 0 {
		t.Errorf("%d input rows missing from the output", n)
	}
	if n := scalar[int64](t, s, "SELECT count(*) FROM ("+res+" EXCEPT ALL "+in+")"); n != 0 {
		t.Errorf("%d output rows not in the input (duplicates)", n)
	}
	q := fmt.Sprintf("SELECT count(*) FROM read_parquet('%s') WHERE predicted_class NOT IN ('negative', 'positive') OR predicted_class IS NULL", filepath.Join(out, "*.parquet"))
	if n := scalar[int64](t, s, q); n != 0 {
		t.Errorf("%d rows without a prediction", n)
	}
}

func verify(t *testing.T, s *Session, o Options) *Verification {
	t.Helper()
	plan, err := Plan(context.Background(), s.Conn, o.Input, o.UnitRows)
	if err != nil {
		t.Fatal(err)
	}
	v, err := Verify(context.Background(), s.Conn, o.Input.Patterns, plan, o.Shard.Count, o.Output)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func runAll(t *testing.T, s *Session, o Options) []Report {
	t.Helper()
	plan, err := Plan(context.Background(), s.Conn, o.Input, o.UnitRows)
	if err != nil {
		t.Fatal(err)
	}
	var reps []Report
	for i := range o.Shard.Count {
		o.Shard.Index = i
		rep, err := RunShard(context.Background(), s, plan, o)
		if err != nil {
			t.Fatal(err)
		}
		reps = append(reps, rep)
	}
	return reps
}

func TestPlanSplitsLargeFilesAtRowGroups(t *testing.T) {
	s := openSession(t)
	dir := t.TempDir()
	glob := dataset(t, s, dir, 2, 10000, 2048) // row groups come out near 2048 rows
	plan, err := Plan(context.Background(), s.Conn, Input{Patterns: []string{glob}}, 4000)
	if err != nil {
		t.Fatal(err)
	}
	groups, err := rowGroups(context.Background(), s.Conn, []string{filepath.Join(dir, "part-000.parquet")})
	if err != nil {
		t.Fatal(err)
	}
	var bounds = map[int64]bool{0: true}
	var acc int64
	for _, g := range groups[filepath.Join(dir, "part-000.parquet")] {
		acc += g
		bounds[acc] = true
	}
	var total int64
	for i, u := range plan {
		if u.Hi < 0 || !bounds[u.Lo] || !bounds[u.Hi] {
			t.Errorf("unit %d %+v is not a run of whole row groups (bounds %v)", i, u, bounds)
		}
		if i > 0 && plan[i-1].Path == u.Path && plan[i-1].Hi != u.Lo {
			t.Errorf("units %d and %d leave a gap or overlap: %+v %+v", i-1, i, plan[i-1], u)
		}
		total += u.Rows
		// Each unit reads exactly its rows.
		if n := scalar[int64](t, s, "SELECT count(*) FROM ("+u.Query()+")"); n != u.Rows {
			t.Errorf("unit %s reads %d rows, plan says %d", u.ID, n, u.Rows)
		}
	}
	if total != 20000 || len(plan) < 4 {
		t.Fatalf("plan covers %d rows in %d units; want 20000 rows in ≥ 4 units", total, len(plan))
	}
	// A file under the threshold is one unit.
	whole, err := Plan(context.Background(), s.Conn, Input{Patterns: []string{glob}}, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if len(whole) != 2 || whole[0].Hi != -1 || whole[0].Path > whole[1].Path {
		t.Fatalf("want one unit per file in sorted order, got %+v", whole)
	}
	// The plan is a function of the input only.
	again, _ := Plan(context.Background(), s.Conn, Input{Patterns: []string{glob}}, 4000)
	if !reflect.DeepEqual(plan, again) {
		t.Fatal("two plans of one input differ")
	}
}

func TestAssignIsPureAndBalanced(t *testing.T) {
	var units []Unit
	for i := range 37 {
		units = append(units, Unit{ID: fmt.Sprint(i), Weight: int64(1000 + (i*7919)%500)})
	}
	for _, n := range []int{1, 2, 3, 4, 16, 50} {
		a, b := Assign(units, n), Assign(units, n)
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("n=%d: two calls differ", n)
		}
		load := make([]int64, n)
		for i, s := range a {
			if s < 0 || s >= n {
				t.Fatalf("n=%d: unit %d on shard %d", n, i, s)
			}
			load[s] += units[i].Weight
		}
		if n <= len(units) {
			lo, hi := load[0], load[0]
			for _, l := range load {
				lo, hi = min(lo, l), max(hi, l)
			}
			if hi-lo > 1500 { // never more than one unit's weight apart
				t.Errorf("n=%d: loads %v", n, load)
			}
		}
	}
}

func TestShardFromEnv(t *testing.T) {
	env := func(kv ...string) func(string) string {
		m := map[string]string{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return func(k string) string { return m[k] }
	}
	cases := []struct {
		name  string
		env   func(string) string
		count int
		want  Shard
		err   string
	}{
		{"slurm whole array", env("SLURM_ARRAY_TASK_ID", "2", "SLURM_ARRAY_TASK_MIN", "0", "SLURM_ARRAY_TASK_MAX", "3", "SLURM_ARRAY_TASK_COUNT", "4"), 0, Shard{2, 4}, ""},
		{"slurm resubmitted task needs -shards", env("SLURM_ARRAY_TASK_ID", "2", "SLURM_ARRAY_TASK_MIN", "2", "SLURM_ARRAY_TASK_MAX", "2", "SLURM_ARRAY_TASK_COUNT", "1"), 0, Shard{}, "pass -shards"},
		{"slurm resubmitted with -shards", env("SLURM_ARRAY_TASK_ID", "2", "SLURM_ARRAY_TASK_MIN", "2", "SLURM_ARRAY_TASK_MAX", "2", "SLURM_ARRAY_TASK_COUNT", "1"), 4, Shard{2, 4}, ""},
		{"k8s", env("JOB_COMPLETION_INDEX", "3"), 8, Shard{3, 8}, ""},
		{"k8s without count", env("JOB_COMPLETION_INDEX", "3"), 0, Shard{}, "pass -shards"},
		{"k8s index out of range", env("JOB_COMPLETION_INDEX", "8"), 8, Shard{}, "0 <= index < count"},
		{"nothing", env(), 0, Shard{}, "pass -shard INDEX/COUNT"},
		{"garbage", env("SLURM_ARRAY_TASK_ID", "x"), 4, Shard{}, "not an integer"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := ShardFromEnv(c.env, c.count)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) || !errors.Is(err, ErrShard) {
					t.Fatalf("want error with %q, got %v", c.err, err)
				}
				return
			}
			if err != nil || got != c.want {
				t.Fatalf("got %v, %v; want %v", got, err, c.want)
			}
		})
	}
	if s, err := ParseShard("1/3"); err != nil || s != (Shard{1, 3}) {
		t.Fatalf("ParseShard: %v %v", s, err)
	}
	for _, bad := range []string{"3/3", "-1/2", "1", "a/b", "0/0"} {
		if _, err := ParseShard(bad); err == nil {
			t.Errorf("ParseShard(%q) accepted", bad)
		}
	}
}

func TestRunShardsExactlyOnceAndResume(t *testing.T) {
	s := openSession(t)
	dir := t.TempDir()
	glob := dataset(t, s, dir, 5, 3000, 1024)
	out := filepath.Join(t.TempDir(), "out")
	o := Options{Task: "sentiment", Input: Input{Patterns: []string{glob}}, Output: out, Shard: Shard{0, 3}, UnitRows: 2000, Version: "test"}
	reps := runAll(t, s, o)
	var done, units int
	for _, r := range reps {
		done += r.Done
		units += r.Units
		if r.Skipped != 0 {
			t.Errorf("first run skipped %d units", r.Skipped)
		}
	}
	if done != units || units < 6 {
		t.Fatalf("first run: %d done of %d units", done, units)
	}
	v := verify(t, s, o)
	if !v.OK() || v.Stale != 0 {
		var b bytes.Buffer
		v.Print(&b)
		t.Fatalf("verify failed:\n%s", b.String())
	}
	exactlyOnce(t, s, glob, out)

	// The Parquet files carry the fingerprint.
	fp, err := s.Fingerprint(o)
	if err != nil {
		t.Fatal(err)
	}
	if got := scalar[string](t, s, fmt.Sprintf("SELECT DISTINCT decode(value) FROM parquet_kv_metadata('%s/*.parquet') WHERE decode(key) = 'duckinfer_model_sha256'", out)); got != fp.ModelSHA256 || len(got) != 64 {
		t.Fatalf("kv model sha256 %q, want %q", got, fp.ModelSHA256)
	}

	// A rerun of every shard does nothing.
	for _, r := range runAll(t, s, o) {
		if r.Done != 0 || r.Skipped != r.Units {
			t.Fatalf("rerun redid work: %+v", r)
		}
	}
	// Changing batch size or device keeps finished units: they change no prediction.
	o2 := o
	o2.BatchSize, o2.Device = 17, "cpu"
	for _, r := range runAll(t, s, o2) {
		if r.Done != 0 {
			t.Fatalf("batch_size/device change redid work: %+v", r)
		}
	}
}

// userTask copies the shipped sentiment task into a task folder, so a test can change it.
func userTask(t *testing.T, desc string) string {
	t.Helper()
	dir := t.TempDir()
	src := filepath.Join("..", "models", "tasks", "sentiment")
	os.MkdirAll(filepath.Join(dir, "senti"), 0o755)
	model, err := os.ReadFile(filepath.Join(src, "model.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "senti", "model.onnx"), model, 0o644)
	setDescription(t, dir, desc)
	return dir
}

func setDescription(t *testing.T, dir, desc string) {
	cfg, err := os.ReadFile(filepath.Join("..", "models", "tasks", "sentiment", "task.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	json.Unmarshal(cfg, &m)
	m["description"] = desc
	b, _ := json.Marshal(m)
	if err := os.WriteFile(filepath.Join(dir, "senti", "task.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestChangedTaskIsRefusedUnlessRecompute(t *testing.T) {
	tasks := userTask(t, "v1")
	s := openSession(t, extension.WithTaskDirs(tasks))
	glob := dataset(t, s, t.TempDir(), 3, 1000, 1000)
	out := filepath.Join(t.TempDir(), "out")
	o := Options{Task: "senti", Input: Input{Patterns: []string{glob}}, Output: out, Shard: Shard{0, 2}, Version: "test"}
	runAll(t, s, o)

	setDescription(t, tasks, "v2") // the config changes
	plan, _ := Plan(context.Background(), s.Conn, o.Input, 0)
	_, err := RunShard(context.Background(), s, plan, o)
	if !errors.Is(err, ErrFingerprint) || !strings.Contains(err.Error(), "task config sha256") || !strings.Contains(err.Error(), "-recompute") {
		t.Fatalf("changed config: want ErrFingerprint naming the config and -recompute, got %v", err)
	}
	// A changed model, too.
	model := filepath.Join(tasks, "senti", "model.onnx")
	b, _ := os.ReadFile(model)
	os.WriteFile(model, append(b, 0), 0o644) // another sha256; only fingerprinted, never loaded
	fp, err := s.Connector.TaskFingerprint("senti")
	if err != nil {
		t.Fatal(err)
	}
	m, _, _ := layout{out}.allManifests()
	for _, mf := range m {
		if mf.Fingerprint.ModelSHA256 == fp.ModelSHA256 {
			t.Fatal("a changed model has the old sha256")
		}
		break
	}
	os.WriteFile(model, b, 0o644)

	// Shard 0 recomputes: its units are redone, shard 1's still have the old
	// fingerprint, so verify fails until shard 1 recomputes too.
	o.Recompute = true
	rep, err := RunShard(context.Background(), s, plan, o)
	if err != nil || rep.Done != rep.Units || rep.Units == 0 {
		t.Fatalf("recompute shard 0: %+v %v", rep, err)
	}
	if v := verify(t, s, o); v.OK() || !strings.Contains(strings.Join(v.Problems, "\n"), "2 fingerprints") {
		t.Fatalf("verify passed with two fingerprints: %+v", v)
	}
	o.Shard.Index = 1
	if _, err := RunShard(context.Background(), s, plan, o); err != nil {
		t.Fatal(err)
	}
	if v := verify(t, s, o); !v.OK() {
		t.Fatalf("verify after recompute: %+v", v)
	}
}

// TestCSVAndTableInputs: CSV files (one unit each, rows counted when read) and a
// table in a DuckDB file (rowid ranges, opened read-only) go through the same path.
func TestCSVAndTableInputs(t *testing.T) {
	s := openSession(t)
	dir := t.TempDir()
	for f := range 3 {
		q := fmt.Sprintf(`COPY (SELECT (%d * 700 + i)::BIGINT AS id, 'quite good, ' || i AS text FROM range(700) r(i)) TO '%s/r%d.csv' (HEADER)`, f, dir, f)
		if _, err := s.Conn.ExecContext(context.Background(), q); err != nil {
			t.Fatal(err)
		}
	}
	db := filepath.Join(dir, "src.duckdb")
	for _, q := range []string{
		"ATTACH '" + db + "' AS w",
		"CREATE TABLE w.reviews AS SELECT i::BIGINT AS id, 'not bad at all ' || i AS text FROM range(5000) r(i)",
		"DETACH w",
	} {
		if _, err := s.Conn.ExecContext(context.Background(), q); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		name  string
		in    Input
		units int
		rows  int64
		src   string
	}{
		{"csv", Input{Patterns: []string{filepath.Join(dir, "*.csv")}}, 3, 2100, fmt.Sprintf("read_csv('%s/*.csv')", dir)},
		{"table", Input{Patterns: []string{db}, Table: "reviews"}, 3, 5000, "batch_src.reviews"},
	} {
		t.Run(c.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out")
			o := Options{Task: "sentiment", Input: c.in, Output: out, Shard: Shard{0, 2}, UnitRows: 2000, Version: "test"}
			reps := runAll(t, s, o)
			if reps[0].Units+reps[1].Units != c.units {
				t.Fatalf("%d units, want %d", reps[0].Units+reps[1].Units, c.units)
			}
			v := verify(t, s, o)
			var b bytes.Buffer
			v.Print(&b)
			if !v.OK() || !strings.Contains(b.String(), fmt.Sprintf("%d input rows, %d output rows", c.rows, c.rows)) {
				t.Fatalf("verify:\n%s", b.String())
			}
			res := fmt.Sprintf("read_parquet('%s/*.parquet')", out)
			for _, q := range []string{
				"SELECT count(*) FROM (SELECT id, text FROM " + c.src + " EXCEPT ALL SELECT id, text FROM " + res + ")",
				"SELECT count(*) FROM (SELECT id, text FROM " + res + " EXCEPT ALL SELECT id, text FROM " + c.src + ")",
			} {
				if n := scalar[int64](t, s, q); n != 0 {
					t.Fatalf("%s: %d", q, n)
				}
			}
		})
	}
}
