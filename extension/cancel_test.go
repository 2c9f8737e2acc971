package extension

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/duckinfer/duckinfer/internal/models"
	"github.com/duckinfer/duckinfer/internal/onnxbuild"
)

// slowTaskDir writes a task "slow": iris's config (four float32 columns, NaN refused)
// over a wide MLP that takes a good part of a second per chunk, so a cancel lands
// inside a model run, and batches of 32 so that a chunk is many batches to lend.
func slowTaskDir(t *testing.T) string {
	t.Helper()
	dir := irisMLPTaskDir(t, "slow", onnxbuild.WideMLPConfig{Inputs: 4, Width: 384, Layers: 6, Classes: 3, Seed: 7, InputName: "features"})
	path := filepath.Join(dir, "slow", "task.json")
	cfg, _ := os.ReadFile(path)
	cfg = []byte(strings.Replace(string(cfg), `"batch_size": 256`, `"batch_size": 32`, 1))
	if err := os.WriteFile(path, cfg, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// irisMLPTaskDir writes a folder holding the task name: iris's config over the MLP
// that cfg describes.
func irisMLPTaskDir(t *testing.T, name string, cfg onnxbuild.WideMLPConfig) string {
	t.Helper()
	dir := t.TempDir()
	folder := filepath.Join(dir, name)
	copyShippedTask(t, "iris", folder)
	model, err := onnxbuild.WideMLP(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(folder, "model.onnx"), model, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// inferring reads the Env's own count of running inferences and lent helpers.
func inferring(c *Connector) int64 {
	v := reflect.ValueOf(c.env).Elem().FieldByName("inferring")
	return (*atomic.Int64)(unsafe.Pointer(v.UnsafeAddr())).Load()
}

const flowersSQL = `CREATE TABLE fl AS SELECT i AS id, 4.0 + (i %% 37) / 10 AS sepal_length, 3.0 + (i %% 11) / 10 AS sepal_width,
	CASE WHEN i %% %d = 17 THEN 'nan'::DOUBLE ELSE 1.0 + (i %% 53) / 10 END AS petal_length, 0.2 + (i %% 23) / 10 AS petal_width FROM range(%d) r(i)`

const checkSQL = `SELECT count(*)::VARCHAR || ' ' || count(predicted_class)::VARCHAR || ' ' || sum(hash(predicted_class || confidence))::VARCHAR
	FROM ml_predict('slow', 'SELECT * FROM fl WHERE id < 3000', on_error := 'null')`

func settle(t *testing.T, c *Connector, baseline int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for (inferring(c) != 0 || runtime.NumGoroutine() > baseline+3) && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := inferring(c); n != 0 {
		t.Errorf("%d inferences still counted as running after the query ended", n)
	}
	if g := runtime.NumGoroutine(); g > baseline+3 {
		buf := make([]byte, 1<<20)
		t.Errorf("goroutines: %d at the start, %d after\n%s", baseline, g, buf[:runtime.Stack(buf, true)])
	}
}

// Cancels landing at many points of a lending, multi-threaded slow query, with and
// without on_error := 'null' rows, and queries failing in a later operator: each next
// query gives the same results as before, nothing stays counted, nothing leaks.
func TestCancelStress(t *testing.T) {
	db, c := open(t, WithTaskDirs(slowTaskDir(t)), WithCPUSlots(4))
	db.SetMaxOpenConns(1)
	exec(t, db, `SET threads = 4`)
	exec(t, db, fmt.Sprintf(flowersSQL, 1000, 60000))
	want := one[string](t, db, checkSQL)
	t.Log("baseline:", want)
	st := time.Now()
	t.Log("full:", one[int64](t, db, `SELECT count(predicted_class) FROM ml_predict('slow', 'fl', on_error := 'null')`), time.Since(st), fmt.Sprintf("%+v", c.Stats()))
	runtime.GC()
	base := runtime.NumGoroutine()
	queries := []string{
		`SELECT count(predicted_class) FROM ml_predict('slow', 'fl', on_error := 'null')`,
		`SELECT count(predicted_class) FROM ml_predict('slow', 'fl', on_error := 'null', batch_size := 8)`,
		`SELECT count(*) FROM ml_predict('slow', 'SELECT * FROM fl WHERE petal_length = petal_length')`,
		`SELECT count(*) FROM (SELECT *, CAST(CASE WHEN id = 20000 THEN 'x' ELSE '1' END AS INTEGER) AS boom FROM ml_predict('slow', 'fl', on_error := 'null'))`,
		`SELECT * FROM ml_predict('slow', 'fl', on_error := 'null') LIMIT 5`,
	}
	for round := range 3 {
		for qi, q := range queries {
			for _, d := range []time.Duration{5 * time.Millisecond, 40 * time.Millisecond, 150 * time.Millisecond, 600 * time.Millisecond} {
				ctx, cancel := context.WithTimeout(context.Background(), d)
				start := time.Now()
				rows, err := db.QueryContext(ctx, q)
				var first sql.NullInt64
				if err == nil {
					for rows.Next() {
						if qi < 2 && !first.Valid {
							err = rows.Scan(&first)
						}
					}
					if err == nil {
						err = rows.Err()
					}
					rows.Close()
				}
				// A query that was not cancelled answers in full: a cancel must never
				// turn into NULL predictions under on_error := 'null'.
				if err == nil && qi < 2 && first.Int64 != 59940 {
					t.Errorf("round %d query %d cancel after %v: no error, but %d predictions", round, qi, d, first.Int64)
				}
				cancel()
				if took := time.Since(start); took > d+5*time.Second {
					t.Errorf("round %d query %d cancel after %v: took %v", round, qi, d, took)
				}
				_ = err
				if got := one[string](t, db, checkSQL); got != want {
					t.Fatalf("round %d query %d cancel after %v (%v): next query gives %q, want %q", round, qi, d, err, got, want)
				}
			}
		}
	}
	settle(t, c, base)
	t.Logf("%+v", c.Stats())
	var n int64
	if err := db.QueryRow(`SELECT count(*) FROM ml_errors() WHERE error ILIKE '%cancel%' OR error ILIKE '%interrupt%' OR error ILIKE '%terminat%'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("%d ml_errors() entries are the cancel's, not the rows'", n)
	}
	_ = sql.ErrNoRows
}

// A cancel that lands while the query's slots are still loading their sessions (the
// partition's and the lent helpers'), then closing the database at once: no session
// stays open in the process, nothing stays running, and a new database works.
func TestCancelDuringLoadsThenClose(t *testing.T) {
	dir := slowTaskDir(t)
	before := models.OpenSessions()
	runtime.GC()
	base := runtime.NumGoroutine()
	for i := range 8 {
		db, c := open(t, WithTaskDirs(dir), WithCPUSlots(4))
		db.SetMaxOpenConns(1)
		exec(t, db, `SET threads = 4`)
		exec(t, db, fmt.Sprintf(flowersSQL, 1000, 30000))
		ctx, cancel := context.WithTimeout(context.Background(), time.Duration(25+i*12)*time.Millisecond)
		_, err := db.ExecContext(ctx, `CREATE TEMP TABLE o AS SELECT * FROM ml_predict('slow', 'fl', on_error := 'null', batch_size := 4)`)
		cancel()
		t.Logf("cancel after %dms: %v; %+v", 25+i*12, err, c.Stats())
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(10 * time.Second)
		for (models.OpenSessions() != before || inferring(c) != 0) && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		if n := models.OpenSessions(); n != before {
			t.Errorf("round %d: %d sessions open in the process after the database closed, %d before", i, n, before)
		}
		if n := inferring(c); n != 0 {
			t.Errorf("round %d: %d still counted running", i, n)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for runtime.NumGoroutine() > base+3 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if g := runtime.NumGoroutine(); g > base+3 {
		buf := make([]byte, 1<<20)
		t.Errorf("goroutines: %d at the start, %d after\n%s", base, g, buf[:runtime.Stack(buf, true)])
	}
}

// The Arrow entry point lends a whole record's batches from its first decode on: a
// cancel landing at many points, with several calls at once, returns the context's
// error, leaves no Arrow memory held and nothing running, and the next call's answer is
// the baseline's.
func TestPredictRecordCancel(t *testing.T) {
	_, c := open(t, WithTaskDirs(slowTaskDir(t)), WithCPUSlots(4))
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	record := func(n int) arrow.RecordBatch {
		names := []string{"sepal_length", "sepal_width", "petal_length", "petal_width"}
		var fields []arrow.Field
		var cols []arrow.Array
		for j, name := range names {
			b := array.NewFloat32Builder(mem)
			for i := range n {
				b.Append(float32(1 + (i*(j+3))%47/10))
			}
			cols = append(cols, b.NewArray())
			b.Release()
			fields = append(fields, arrow.Field{Name: name, Type: arrow.PrimitiveTypes.Float32})
		}
		rec := array.NewRecordBatch(arrow.NewSchema(fields, nil), cols, int64(n))
		for _, a := range cols {
			a.Release()
		}
		return rec
	}
	small := record(3000)
	defer small.Release()
	digest := func() string {
		cls, conf, err := c.PredictRecord(context.Background(), "slow", small, RecordOptions{BatchSize: 16}, mem)
		if err != nil {
			t.Fatal(err)
		}
		defer cls.Release()
		defer conf.Release()
		var b strings.Builder
		for i := range cls.Len() {
			b.WriteString(cls.(*array.String).Value(i) + conf.(*array.String).Value(i))
		}
		return b.String()
	}
	want := digest()
	big := record(100000)
	defer big.Release()
	for _, d := range []time.Duration{time.Millisecond, 20 * time.Millisecond, 80 * time.Millisecond, 300 * time.Millisecond} {
		errs := make(chan error, 3)
		for range 3 {
			go func() {
				ctx, cancel := context.WithTimeout(context.Background(), d)
				defer cancel()
				cls, conf, err := c.PredictRecord(ctx, "slow", big, RecordOptions{BatchSize: 8}, mem)
				if err == nil {
					cls.Release()
					conf.Release()
				}
				errs <- err
			}()
		}
		for range 3 {
			if err := <-errs; err != nil && !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("cancel after %v: %v, want the context's error", d, err)
			}
		}
		if got := digest(); got != want {
			t.Fatalf("after cancels at %v the next answer differs", d)
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for inferring(c) != 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := inferring(c); n != 0 {
		t.Errorf("%d inferences still counted running", n)
	}
}

// Stats.Chunks is "DuckDB chunks inferred": a chunk whose inference was cancelled, or
// that failed under on_error := 'fail', gave no result and counts in no other counter
// (RowsInferred, RowsLent, CountRows), so it must not count as inferred either.
func TestStatsChunksAfterCancelOrFailure(t *testing.T) {
	db, c := open(t, WithTaskDirs(slowTaskDir(t)), WithCPUSlots(1))
	db.SetMaxOpenConns(1)
	exec(t, db, `SET threads = 1`)
	exec(t, db, fmt.Sprintf(flowersSQL, 1000, 30000))
	// A failing row (NaN) in the only chunk under on_error := 'fail'.
	if _, err := db.Exec(`SELECT * FROM ml_predict('slow', 'SELECT * FROM fl WHERE id BETWEEN 10 AND 20')`); err == nil {
		t.Fatal("the NaN row did not fail the query")
	}
	if st := c.Stats(); st.Chunks != 0 || st.RowsInferred != 0 {
		t.Errorf("after a chunk that failed: %+v; want Chunks 0 with RowsInferred 0", st)
	}
	// A cancel inside the first chunk (batches of one row: each a check of the context).
	ctx, cancel := context.WithCancel(context.Background())
	var n atomic.Int64
	go func() {
		for c.Stats().ModelLoads == 0 {
			time.Sleep(time.Millisecond)
		}
		time.Sleep(30 * time.Millisecond)
		cancel()
	}()
	_, err := db.ExecContext(CountRows(ctx, &n), `SELECT * FROM ml_predict('slow', 'fl', batch_size := 1, on_error := 'null')`)
	if err == nil {
		t.Fatal("not cancelled")
	}
	if st := c.Stats(); st.Chunks != (st.RowsInferred+2000)/2048 || st.RowsInferred != uint64(n.Load()) {
		t.Errorf("after a cancel: %+v, %d rows counted on the query's context; want Chunks to count the chunks inferred (about RowsInferred/2046: 2 or 3 NaN rows a chunk)", st, n.Load())
	}
}

// heavyTaskDir writes a task "heavy": iris's config over a ~400 MB MLP, whose check at
// bind (read, hash, parse) and session load take seconds on a CPU, as a large model
// does on a GPU.
func heavyTaskDir(t *testing.T) string {
	t.Helper()
	return irisMLPTaskDir(t, "heavy", onnxbuild.WideMLPConfig{Inputs: 4, Width: 4096, Layers: 6, Classes: 3, Seed: 3, InputName: "features"})
}

// cancelAt runs q under a context cancelled after d and reports when the cancel came
// (zero if q ended first), how long after it q returned, and q's error.
func cancelAt(db *sql.DB, q string, d time.Duration, atCancel func()) (cancelled time.Time, lag time.Duration, err error) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var at atomic.Pointer[time.Time]
	timer := time.AfterFunc(d, func() {
		if atCancel != nil {
			atCancel()
		}
		now := time.Now()
		at.Store(&now)
		cancel()
	})
	_, err = db.ExecContext(ctx, q)
	end := time.Now()
	timer.Stop()
	if p := at.Load(); p != nil {
		return *p, end.Sub(*p), err
	}
	return time.Time{}, 0, err
}

// A cancel that lands while a model is checked (the first bind of its task) or while
// the first chunk's session loads returns about at once, not when that work is done
// (seconds for a large model). The work goes on and is kept: the next statement waits
// only for what is left of it, and nothing is loaded twice. Each lag is measured
// against what was left of the work in the same run, so a busy machine slows both.
func TestCancelDuringModelCheckAndLoad(t *testing.T) {
	dir := heavyTaskDir(t)
	db, c := open(t, WithTaskDirs(dir), WithCPUSlots(1))
	db.SetMaxOpenConns(1)
	exec(t, db, `SET threads = 1`)
	exec(t, db, fmt.Sprintf(flowersSQL, 1000, 10))
	// rest is how long after the cancel the work it left ended: the next (uncancelled)
	// statement ends when the shared work does (its own part is milliseconds).
	check := func(phase string, cancelled time.Time, lag time.Duration, err error, next string) {
		t.Helper()
		if cancelled.IsZero() {
			t.Skipf("%s: the statement ended before its cancel (%v)", phase, err)
		}
		exec(t, db, next)
		rest := time.Since(cancelled)
		t.Logf("%s: returned %v after the cancel, the work it left ended %v after it: %v", phase, lag, rest, err)
		if !errors.Is(err, context.Canceled) && !strings.Contains(fmt.Sprint(err), "cancel") {
			t.Fatalf("%s: got %v, want the cancel", phase, err)
		}
		if rest < 200*time.Millisecond {
			t.Skipf("%s: the work ended %v after the cancel: too little left to tell a wait from none", phase, rest)
		}
		if lag > rest/2 {
			t.Errorf("%s: the statement returned %v after its cancel, the work it was cancelled in ended %v after it: it waited for the work", phase, lag, rest)
		}
	}

	// Bind: the first statement on the task checks its model (ml_infer's bind).
	describe := `DESCRIBE SELECT * FROM ml_predict('heavy', 'fl')`
	cancelled, lag, err := cancelAt(db, describe, 100*time.Millisecond, nil)
	check("bind", cancelled, lag, err, describe)

	// Load: the check is done; the first chunk loads the session.
	exec(t, db, describe) // past the model file's racy window (Registry.freshLocked)
	query := `SELECT * FROM ml_predict('heavy', 'fl', on_error := 'null')`
	var loadsAtCancel int64 = -1
	cancelled, lag, err = cancelAt(db, query, 100*time.Millisecond, func() { loadsAtCancel = c.Stats().ModelLoads })
	if loadsAtCancel != 0 {
		t.Skipf("load: the session was loaded before the cancel (%d loads)", loadsAtCancel)
	}
	check("load", cancelled, lag, err, query)
	if n := c.Stats().ModelLoads; n != 1 {
		t.Errorf("%d model loads, want the cancelled statement's load kept for the next", n)
	}
}

// The distinct-values path (a chunk's repeated texts inferred once each, the values
// borrowed from DuckDB's vector) under cancels at many points, with lending: the next
// query's answer is the baseline's and the counters add up.
func TestCancelDistinctPath(t *testing.T) {
	db, c := open(t, WithCPUSlots(4))
	db.SetMaxOpenConns(1)
	exec(t, db, `SET threads = 4`)
	exec(t, db, `CREATE TABLE rep AS SELECT i AS id, CASE WHEN i % 2 = 0 THEN 'I loved it, wonderful ' ELSE 'awful and boring ' END || (i % 700) AS text FROM range(3000000) r(i)`)
	check := `SELECT count(predicted_class)::VARCHAR || ' ' || sum(hash(predicted_class || confidence))::VARCHAR FROM ml_predict('sentiment', 'SELECT * FROM rep WHERE id < 50000', batch_size := 4)`
	want := one[string](t, db, check)
	for _, d := range []time.Duration{2 * time.Millisecond, 20 * time.Millisecond, 80 * time.Millisecond, 250 * time.Millisecond} {
		ctx, cancel := context.WithTimeout(context.Background(), d)
		_, err := db.ExecContext(ctx, `SELECT count(predicted_class) FROM ml_predict('sentiment', 'rep', batch_size := 4)`)
		cancel()
		if got := one[string](t, db, check); got != want {
			t.Fatalf("cancel after %v (%v): next answer %q, want %q", d, err, got, want)
		}
	}
	st := c.Stats()
	t.Logf("%+v", st)
	if st.RowsReused == 0 || st.RowsReused > st.RowsInferred {
		t.Errorf("counters: %+v", st)
	}
	if n := inferring(c); n != 0 {
		t.Errorf("%d still counted running", n)
	}
}
