package extension

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/duckinfer/duckinfer/internal/core"
	"github.com/duckinfer/duckinfer/internal/gpu"
	"github.com/duckinfer/duckinfer/internal/models"
)

func open(t testing.TB, opts ...Option) (*sql.DB, *Connector) {
	t.Helper()
	opts = append([]Option{WithTaskDirs(filepath.Join("..", "testdata", "tasks"))}, opts...)
	c, err := NewConnector("", opts...)
	if err != nil {
		t.Fatal(err)
	}
	db := sql.OpenDB(c)
	t.Cleanup(func() { db.Close() })
	return db, c
}

func exec(t testing.TB, db interface {
	ExecContext(context.Context, string, ...any) (sql.Result, error)
}, q string) {
	t.Helper()
	if _, err := db.ExecContext(context.Background(), q); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

func one[T any](t testing.TB, db *sql.DB, q string) T {
	t.Helper()
	var v T
	if err := db.QueryRow(q).Scan(&v); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return v
}

// Every DuckDB type passes through ml_predict with its type and value unchanged.
func TestPassThroughAllTypes(t *testing.T) {
	db, _ := open(t)
	exec(t, db, `CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy')`)
	exec(t, db, `CREATE TABLE all_types AS SELECT
		i::BIGINT AS id, 'review number ' || i AS text,
		(i % 2 = 0)::BOOLEAN AS c_bool, (i % 100)::TINYINT AS c_tinyint, i::SMALLINT AS c_smallint, i::INTEGER AS c_int,
		(i * 1000000007)::HUGEINT AS c_hugeint, i::UHUGEINT AS c_uhugeint, (i % 200)::UTINYINT AS c_utinyint, i::UBIGINT AS c_ubigint,
		(i / 7)::FLOAT AS c_float, (i / 7)::DOUBLE AS c_double, (i / 8)::DECIMAL(18,3) AS c_dec18, (i / 3)::DECIMAL(38,10) AS c_dec38,
		DATE '2024-01-01' + i::INTEGER AS c_date, TIME '10:00:00' + INTERVAL (i) SECOND AS c_time,
		'12:34:56.123456789'::TIME_NS AS c_time_ns, TIMETZ '10:00:00+02' AS c_timetz,
		TIMESTAMP '2024-01-01 00:00:00' + INTERVAL (i) MINUTE AS c_ts, '2024-01-01 00:00:00.123456789'::TIMESTAMP_NS AS c_ts_ns,
		'2024-01-01 00:00:01.5'::TIMESTAMP_MS AS c_ts_ms, '2024-01-01 00:00:01'::TIMESTAMP_S AS c_ts_s,
		TIMESTAMPTZ '2024-01-01 00:00:00+00' AS c_tstz, INTERVAL (i) DAY AS c_interval,
		('\xAA\xBB' || i::VARCHAR)::BLOB AS c_blob, uuid_extract_version(gen_random_uuid()) IS NOT NULL AND true AS c_dummy,
		'00000000-0000-0000-0000-' || lpad(i::VARCHAR, 12, '0') AS c_uuid_txt,
		('00000000-0000-0000-0000-' || lpad(i::VARCHAR, 12, '0'))::UUID AS c_uuid,
		'10101'::BIT AS c_bit, (['sad','ok','happy'])[i % 3 + 1]::mood AS c_enum,
		('{"k": ' || i || '}')::JSON AS c_json, [i, i + 1, NULL] AS c_list, {'a': i, 'b': 'x' || i} AS c_struct,
		MAP {'k' || i: i} AS c_map, [i, i * 2, i * 3]::INTEGER[3] AS c_array,
		union_value(num := i)::UNION(num INTEGER, str VARCHAR) AS c_union,
		(i::HUGEINT * 1000000000000000000000)::BIGNUM AS c_bignum, i::VARIANT AS c_variant
		FROM range(1, 3001) r(i)`)
	exec(t, db, `UPDATE all_types SET text = NULL WHERE id % 10 = 0`)

	cols := map[string]string{}
	rows, err := db.Query(`SELECT column_name, column_type FROM (DESCRIBE all_types)`)
	if err != nil {
		t.Fatal(err)
	}
	var order []string
	for rows.Next() {
		var n, ty string
		rows.Scan(&n, &ty)
		cols[n] = ty
		order = append(order, n)
	}
	rows.Close()

	// Output schema: the input's columns and types in order, then the two new ones.
	rows, err = db.Query(`SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM ml_predict('sentiment', 'all_types'))`)
	if err != nil {
		t.Fatal(err)
	}
	i := 0
	for rows.Next() {
		var n, ty string
		rows.Scan(&n, &ty)
		switch {
		case i < len(order):
			if n != order[i] || ty != cols[n] {
				t.Errorf("output column %d is %s %s, want %s %s", i, n, ty, order[i], cols[order[i]])
			}
		case i == len(order):
			if n != "predicted_class" || ty != "VARCHAR" {
				t.Errorf("got %s %s, want predicted_class VARCHAR", n, ty)
			}
		case i == len(order)+1:
			if n != "confidence" || ty != "VARCHAR" {
				t.Errorf("got %s %s, want confidence VARCHAR", n, ty)
			}
		}
		i++
	}
	rows.Close()
	if i != len(order)+2 {
		t.Fatalf("output has %d columns, want %d", i, len(order)+2)
	}
	exec(t, db, `CREATE TEMP TABLE out AS SELECT * FROM ml_predict('sentiment', 'all_types')`)
	// Every value, compared as DuckDB renders it, row by row.
	var diffs []string
	for _, c := range order {
		q := fmt.Sprintf(`SELECT count(*) FROM all_types a FULL JOIN out o ON a.id = o.id
			WHERE a.id IS NULL OR o.id IS NULL OR a."%[1]s"::VARCHAR IS DISTINCT FROM o."%[1]s"::VARCHAR
			   OR typeof(a."%[1]s") <> typeof(o."%[1]s")`, c)
		if n := one[int64](t, db, q); n != 0 {
			diffs = append(diffs, fmt.Sprintf("%s: %d rows differ", c, n))
		}
	}
	if len(diffs) > 0 {
		t.Fatalf("pass-through changed values:\n%s", strings.Join(diffs, "\n"))
	}
	if n := one[int64](t, db, `SELECT count(*) FROM out`); n != 3000 {
		t.Fatalf("%d rows out, want 3000", n)
	}
	// A NULL model input keeps its row, with NULL in both new columns.
	if n := one[int64](t, db, `SELECT count(*) FROM out WHERE text IS NULL AND predicted_class IS NULL AND confidence IS NULL`); n != 300 {
		t.Fatalf("NULL-input rows with NULL predictions: %d, want 300", n)
	}
	if n := one[int64](t, db, `SELECT count(*) FROM out WHERE text IS NOT NULL AND predicted_class IN ('negative','positive') AND confidence::DOUBLE BETWEEN 0.5 AND 1`); n != 2700 {
		t.Fatalf("predicted rows: %d, want 2700", n)
	}
}

// Rows appear exactly once and in input order with DuckDB's defaults, and inference
// runs on more than one worker thread.
func TestParallelOrderExactlyOnce(t *testing.T) {
	if runtime.NumCPU() < 2 {
		t.Skip("needs 2 cores")
	}
	db, c := open(t)
	exec(t, db, `SET threads = 2`)
	exec(t, db, `CREATE TABLE big AS SELECT i AS id, 'sentence ' || (i % 997) || CASE WHEN i % 3 = 0 THEN ' great' ELSE ' awful' END AS text FROM range(400000) r(i)`)
	rows, err := db.Query(`SELECT id, predicted_class FROM ml_predict('sentiment', 'big')`)
	if err != nil {
		t.Fatal(err)
	}
	next := int64(0)
	for rows.Next() {
		var id int64
		var cls string
		if err := rows.Scan(&id, &cls); err != nil {
			t.Fatal(err)
		}
		if id != next {
			t.Fatalf("row %d has id %d: order broken or row lost/duplicated", next, id)
		}
		next++
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if next != 400000 {
		t.Fatalf("%d rows, want 400000", next)
	}
	st := c.Stats()
	if st.Partitions < 2 {
		t.Fatalf("inference ran on %d worker thread(s), want ≥ 2", st.Partitions)
	}
	if st.RowsInferred != 400000 {
		t.Fatalf("model saw %d rows, want 400000", st.RowsInferred)
	}
	// Sessions: at most one per (task, slot), however many chunks ran.
	if st.ModelLoads < 1 || st.ModelLoads > int64(runtime.NumCPU()) {
		t.Fatalf("model loads %d, want 1..%d", st.ModelLoads, runtime.NumCPU())
	}
	// CREATE TABLE AS under preserve_insertion_order keeps order too.
	exec(t, db, `CREATE TABLE out AS SELECT * FROM ml_predict('sentiment', 'big')`)
	if n := one[int64](t, db, `SELECT count(*) FROM (SELECT id, row_number() OVER () - 1 AS pos FROM out) WHERE id <> pos`); n != 0 {
		t.Fatalf("%d rows out of order in CREATE TABLE AS", n)
	}
	if n := one[int64](t, db, `SELECT count(DISTINCT id) FROM out`); n != 400000 {
		t.Fatalf("%d distinct ids", n)
	}
}

// LIMIT and WHERE on input columns reduce the rows that reach the model.
func TestLimitAndFilterReduceModelRows(t *testing.T) {
	db, c := open(t)
	exec(t, db, `CREATE TABLE t AS SELECT i AS id, 'text ' || i AS text FROM range(100000) r(i)`)
	before := c.Stats().RowsInferred
	if n := one[int64](t, db, `SELECT count(*) FROM (SELECT * FROM ml_predict('sentiment', 't') LIMIT 10)`); n != 10 {
		t.Fatalf("LIMIT 10 gave %d rows", n)
	}
	if got := c.Stats().RowsInferred - before; got > 2048 {
		t.Fatalf("LIMIT 10 ran the model on %d rows, want at most one chunk (2048)", got)
	}
	before = c.Stats().RowsInferred
	if cls := one[string](t, db, `SELECT predicted_class FROM ml_predict('sentiment', 't') WHERE id = 5`); cls == "" {
		t.Fatal("no prediction")
	}
	if got := c.Stats().RowsInferred - before; got != 1 {
		t.Fatalf("WHERE id = 5 ran the model on %d rows, want 1", got)
	}
}

// Named parameters change what runs: columns, batch size and CPU slots.
func TestNamedParameters(t *testing.T) {
	db, c := open(t, WithCPUSlots(3))
	exec(t, db, `CREATE TABLE r AS SELECT i AS id, 'great product' AS body, 42 AS n FROM range(5000) r(i)`)
	if n := one[int64](t, db, `SELECT count(*) FROM ml_predict('sentiment', 'r', columns := ['body'], batch_size := 7, device := 'cpu') WHERE predicted_class = 'positive'`); n != 5000 {
		t.Fatalf("columns override: %d positives", n)
	}
	if st := c.Stats(); st.Chunks == 0 {
		t.Fatal("no chunks counted")
	}
	// The error messages of bad parameters are checked in sql/ml_predict.test.
}

// Placement follows the simulated GPUs: ml_devices lists them with their slots.
func TestDevicesSimulated(t *testing.T) {
	db, c := open(t, WithInventory(gpu.Simulated(4)), WithModelsPerGPU(3))
	// Plan as with the GPU ONNX Runtime installed (make setup-gpu), which this machine
	// may lack: with the CPU one, auto plans CPU (TestAutoWithGPUButCPULibrary). The CPU
	// runtime is loaded first, so that ml_devices does not look for the GPU one, and
	// planning is told the GPU one is loaded (else it follows the CPU one:
	// TestAutoAfterCPURuntimeLoaded).
	_, _ = models.InitRuntime(models.FlavorCPU)
	c.env.Flavor = models.FlavorGPU
	c.env.Loaded = func() (models.RuntimeInfo, bool) { return models.RuntimeInfo{Flavor: models.FlavorGPU}, true }
	if n := one[int64](t, db, `SELECT sum(slots) FROM ml_devices() WHERE device = 'cuda'`); n != 12 {
		t.Fatalf("slots = %d, want 12", n)
	}
	db2, _ := open(t, WithInventory(gpu.Simulated(0)), WithCPUSlots(2))
	var dev, note string
	var slots int
	if err := db2.QueryRow(`SELECT device, slots, note FROM ml_devices()`).Scan(&dev, &slots, &note); err != nil {
		t.Fatal(err)
	}
	if dev != "cpu" || slots != 2 || !strings.Contains(note, "auto chose CPU") {
		t.Fatalf("cpu row: %s %d %q", dev, slots, note)
	}
}

// Pins: with GPUs seen but only the CPU ONNX Runtime installed, device 'auto' (the
// default) planned CUDA, ml_devices() listed CUDA slots and every query failed loading
// libonnxruntime_providers_shared.so.
func TestAutoWithGPUButCPULibrary(t *testing.T) {
	db, c := open(t, WithInventory(gpu.Simulated(1)), WithCPUSlots(2))
	if c.env.Flavor != models.FlavorCPU {
		t.Skip("the GPU ONNX Runtime is installed here")
	}
	var dev, note string
	var slots int
	if err := db.QueryRow(`SELECT device, slots, note FROM ml_devices()`).Scan(&dev, &slots, &note); err != nil {
		t.Fatal(err)
	}
	if dev != "cpu" || slots != 2 || !strings.Contains(note, "auto chose CPU: 1 GPU(s) seen, but the ONNX Runtime installed is the CPU build") || !strings.Contains(note, "make setup-gpu") {
		t.Fatalf("ml_devices: %s %d %q, want the CPU row saying why the GPU is not used", dev, slots, note)
	}
	exec(t, db, `CREATE TABLE fl AS SELECT 5.1 AS sepal_length, 3.5 AS sepal_width, 1.4 AS petal_length, 0.2 AS petal_width`)
	if got := one[string](t, db, `SELECT predicted_class FROM ml_predict('iris', 'fl')`); got != "setosa" {
		t.Fatalf("device 'auto': %q", got)
	}
	// Asking for CUDA still fails, saying why, before any model is loaded.
	_, err := db.Exec(`SELECT * FROM ml_predict('iris', 'fl', device := 'cuda')`)
	if err == nil || !strings.Contains(err.Error(), "device 'cuda' was requested, 1 GPU(s) seen, but the ONNX Runtime installed is the CPU build") {
		t.Fatalf("device := 'cuda': %v", err)
	}
	if _, err := NewConnector("", WithInventory(gpu.Simulated(1)), WithDevice("cuda")); err == nil || !strings.Contains(err.Error(), `WithDevice("cuda")`) || !strings.Contains(err.Error(), "make setup-gpu") {
		t.Fatalf("WithDevice(\"cuda\"): %v", err)
	}
}

// Pins: bad connector defaults were accepted, then every query failed naming SQL options
// the query never gave; WithDevice("CPU") failed though device := 'CPU' works in SQL.
func TestConnectorDefaultsChecked(t *testing.T) {
	for _, tc := range []struct {
		opt  Option
		want string
	}{
		{WithDevice("gpu"), `WithDevice("gpu") would fail every query: no placement: device "gpu" is not one of`},
		{WithDevice("cuda"), `WithDevice("cuda") would fail every query: no placement: device 'cuda' was requested but no GPU is usable`},
		{WithModelsPerGPU(-1), `WithModelsPerGPU(-1) would fail every query: no placement: models_per_gpu -1 is out of range 1..64`},
		{WithModelsPerGPU(65), `WithModelsPerGPU(65)`},
		{WithGPUMemLimit(-1), `WithGPUMemLimit(-1) would fail every query: no placement: gpu_mem_limit -1 must be ≥ 0`},
		{WithCPUSlots(-1), `WithCPUSlots(-1) would fail every query: no placement: CPU slots -1 must be ≥ 0`},
		// a huge count laid out a slot each (and a busy flag each per query) before any check
		{WithCPUSlots(4097), `WithCPUSlots(4097) would fail every query: no placement: CPU slots 4097 is out of range 0..4096`},
	} {
		c, err := NewConnector("", WithInventory(gpu.Simulated(0)), tc.opt)
		if err == nil {
			c.Close()
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("got %v, want an error with %q", err, tc.want)
		}
	}
	// Any case and spacing, as in SQL.
	db, _ := open(t, WithInventory(gpu.Simulated(2)), WithDevice(" CPU "), WithCPUSlots(1))
	exec(t, db, `CREATE TABLE fl AS SELECT 5.1 AS sepal_length, 3.5 AS sepal_width, 1.4 AS petal_length, 0.2 AS petal_width`)
	if got := one[string](t, db, `SELECT predicted_class FROM ml_predict('iris', 'fl')`); got != "setosa" {
		t.Fatalf("WithDevice(\" CPU \"): %q", got)
	}
	if got := one[string](t, db, `SELECT device || ' ' || slots || ' ' || note FROM ml_devices()`); got != "cpu 1 device 'cpu' requested" {
		t.Fatalf("WithDevice(\" CPU \"): ml_devices %q", got)
	}
}

// Models load once per (task, slot) and are shared by connections and queries.
func TestModelsLoadedOncePerSlot(t *testing.T) {
	db, c := open(t, WithCPUSlots(1))
	exec(t, db, `CREATE TABLE t AS SELECT 'nice' AS text FROM range(10)`)
	for range 5 {
		exec(t, db, `CREATE OR REPLACE TEMP TABLE o AS SELECT * FROM ml_predict('sentiment', 't')`)
	}
	conn, _ := db.Conn(context.Background())
	defer conn.Close()
	exec(t, conn, `CREATE TEMP TABLE o2 AS SELECT * FROM ml_predict('sentiment', 't')`)
	if got := c.Stats().ModelLoads; got != 1 {
		t.Fatalf("model loaded %d times, want 1", got)
	}
}

func TestCancelStopsQuery(t *testing.T) {
	db, _ := open(t)
	exec(t, db, `CREATE TABLE big AS SELECT i AS id, repeat('some words here ', 20) || i AS text FROM range(3000000) r(i)`) // distinct: see TestPreparedStatementUsesExecutingContext
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := db.ExecContext(ctx, `CREATE TEMP TABLE o AS SELECT * FROM ml_predict('sentiment', 'big')`)
	if err == nil {
		t.Fatal("query finished despite cancel")
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("cancel took %v", d)
	}
	if n := one[int64](t, db, `SELECT count(*) FROM ml_predict('sentiment', 'SELECT * FROM big LIMIT 5')`); n != 5 {
		t.Fatalf("next query: %d", n)
	}
}

// A Go program can watch how many rows a running query has put through the model.
func TestCountRowsPerQuery(t *testing.T) {
	db, _ := open(t)
	exec(t, db, `CREATE TABLE t AS SELECT i AS id, 'a fine sentence number ' || i AS text FROM range(1000000) r(i)`)
	var n atomic.Int64
	ctx := CountRows(context.Background(), &n)
	done := make(chan error, 1)
	go func() {
		_, err := db.ExecContext(ctx, `CREATE TEMP TABLE o AS SELECT * FROM ml_predict('sentiment', 't')`)
		done <- err
	}()
	var seen []int64
	for running := true; running; {
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
			running = false
		case <-time.After(50 * time.Millisecond):
			seen = append(seen, n.Load())
		}
	}
	if n.Load() != 1000000 {
		t.Fatalf("counted %d rows, want 1000000", n.Load())
	}
	mid := false
	for _, v := range seen {
		if v > 0 && v < 1000000 {
			mid = true
		}
	}
	if !mid {
		t.Fatalf("never saw a partial count while the query ran: %v", seen)
	}
	// Another query without the counter does not touch it.
	exec(t, db, `CREATE TEMP TABLE o2 AS SELECT * FROM ml_predict('sentiment', 'SELECT * FROM t LIMIT 10')`)
	if n.Load() != 1000000 {
		t.Fatalf("counter moved to %d", n.Load())
	}
}

// NewConnector leaves one Go P spare over DuckDB's threads, unless told not to or
// GOMAXPROCS is in the environment (core.GoProcsHeadroom).
func TestGoProcsHeadroom(t *testing.T) {
	orig := runtime.GOMAXPROCS(0)
	t.Cleanup(func() { runtime.GOMAXPROCS(orig) })
	t.Setenv(core.GoProcsEnv, "")
	for _, c := range []struct {
		name string
		opts []Option
		want int
	}{
		{"default", nil, 4},
		{"WithKeepGOMAXPROCS", []Option{WithKeepGOMAXPROCS()}, 2},
	} {
		t.Run(c.name, func(t *testing.T) {
			runtime.GOMAXPROCS(2)
			conn, err := NewConnector("?threads=3", c.opts...)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			if got := runtime.GOMAXPROCS(0); got != c.want {
				t.Fatalf("GOMAXPROCS after NewConnector with threads=3 = %d, want %d", got, c.want)
			}
		})
	}
}
