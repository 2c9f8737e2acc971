package extension

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/duckinfer/duckinfer/internal/onnxbuild"
)

// A table of one row group is scanned by one DuckDB thread, so ml_predict ran its
// model on one core however many threads DuckDB had. The chunk's batches now also run
// on the slots the query leaves idle, each on its own session: the results are those
// of threads = 1, row for row, for every input and output kind, and threads = 1 lends
// nothing. (threads = 3: whichever thread scans, one is left after the client's.)
func TestLendsBatchesToIdleSlots(t *testing.T) {
	db, c := open(t, WithTaskDirs(hfDir), WithTaskDirs(regressTasks(t)), WithCPUSlots(3))
	// 60,000 distinct rows: less than one row group (122,880), thirty chunks.
	exec(t, db, `CREATE TABLE r AS SELECT i AS id,
		'review ' || i || CASE i % 3 WHEN 0 THEN ' great battery, would buy again' WHEN 1 THEN ' broke after a week' ELSE ' it is fine' END AS text,
		(i % 97) / 10.0 AS a, (i % 89) / 7.0 AS b
		FROM range(60000) t(i)`)
	for _, tc := range []struct {
		name, query string
		mustLend    bool // slow enough per row to outlast the lending gap
	}{
		{"string input, classify", `SELECT string_agg(predicted_class || confidence, ',' ORDER BY id) FROM ml_predict('sentiment', 'r', batch_size := 64)`, true},
		{"text, classify, probabilities", `SELECT string_agg(predicted_class || confidence, ',' ORDER BY id) FROM ml_predict('roberta_topics', 'SELECT id, text FROM r', batch_size := 32, probabilities := true)`, true},
		{"text, embed", `SELECT md5(string_agg(embedding::VARCHAR, ',' ORDER BY id)) FROM ml_embed('bert_embed', 'SELECT id, text FROM r', batch_size := 32)`, true},
		{"numeric, regress", `SELECT string_agg(prediction::VARCHAR, ',' ORDER BY id) FROM ml_predict('lin', 'SELECT id, a, b FROM r', batch_size := 8)`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			run := func(threads int) (string, uint64) {
				t.Helper()
				exec(t, db, fmt.Sprintf("SET threads = %d", threads))
				before := c.Stats().RowsLent
				got := one[string](t, db, tc.query)
				return got, c.Stats().RowsLent - before
			}
			want, lent1 := run(1)
			got, lent2 := run(3)
			if lent1 != 0 {
				t.Errorf("threads = 1 lent %d rows, want none", lent1)
			}
			if tc.mustLend && lent2 == 0 {
				t.Errorf("threads = 3 on one row group lent no rows to an idle slot")
			}
			if got != want {
				t.Errorf("threads = 3 (%d rows lent) gave other results than threads = 1:\n got %.200s…\nwant %.200s…", lent2, got, want)
			}
			t.Logf("%d of 60000 rows lent", lent2)
		})
	}
}

// pickTask writes "pick": prediction = k for an int64 k in 0..9; any other k is an
// ONNX Runtime error (Gather's index out of range) for its batch and its row alone.
func pickTask(t *testing.T) string {
	dir := t.TempDir()
	tab := make([]float32, 10)
	for i := range tab {
		tab[i] = float32(i)
	}
	writeTask(t, dir, "pick", &onnxbuild.Graph{
		Name:         "pick",
		Inputs:       []*onnxbuild.ValueInfo{onnxbuild.TensorValue("x", onnxbuild.Int64, onnxbuild.N)},
		Outputs:      []*onnxbuild.ValueInfo{onnxbuild.TensorValue("y", onnxbuild.Float, onnxbuild.N, onnxbuild.D(1))},
		Initializers: []*onnxbuild.Tensor{onnxbuild.FloatTensor("tab", []int64{10, 1}, tab)},
		Nodes:        []*onnxbuild.Node{onnxbuild.NewNode("Gather", []string{"tab", "x"}, []string{"y"}, onnxbuild.AttrInt("axis", 0))},
	}, `{"kind":"regress","inputs":[{"name":"x","type":"int64","columns":["k"]}],"output":"y"}`)
	return dir
}

// Pins (under -race): a chunk whose first batch failed on every row (on_error :=
// 'null') had decoded nothing, yet its later batches were lent at once: the partition
// and a helper each made the output's first decode, racing on RegressData.Width and
// Values. A prepared statement keeps its call (and its idle slots) across executions;
// a GC empties its chunk pool, so an execution starts on a fresh chunk.
func TestLendAfterAFailedFirstBatch(t *testing.T) {
	db, c := open(t, WithTaskDirs(pickTask(t)), WithCPUSlots(3))
	exec(t, db, `CREATE TABLE p AS SELECT i AS id, CASE WHEN i % 2048 < 8 THEN 99 ELSE i % 10 END AS k FROM range(60000) t(i)`)
	exec(t, db, `SET threads = 3`)
	stmt, err := db.Prepare(`SELECT count(*) FILTER (WHERE prediction = k), count(*) FILTER (WHERE prediction IS NULL), count(*)
		FROM ml_predict('pick', 'p', batch_size := 8, on_error := 'null')`)
	if err != nil {
		t.Fatal(err)
	}
	defer stmt.Close()
	lent := c.Stats().RowsLent
	for iter := range 6 {
		runtime.GC()
		runtime.GC()
		time.Sleep(40 * time.Millisecond)
		var good, null, all int64
		if err := stmt.QueryRow().Scan(&good, &null, &all); err != nil {
			t.Fatalf("iteration %d: %v", iter, err)
		}
		// 30 chunks (29 of 2048 rows, one shorter) each start with 8 bad rows.
		if null != 30*8 || good != 60000-30*8 || all != 60000 {
			t.Errorf("iteration %d: %d right, %d NULL of %d; want %d right, %d NULL", iter, good, null, all, 60000-240, 240)
		}
	}
	t.Logf("%d rows lent", c.Stats().RowsLent-lent)
}

// Pins: Stats.RowsLent is the rows "of RowsInferred" run on a lent slot, but a chunk
// that failed under on_error := 'fail' added its lent rows to RowsLent and none to
// RowsInferred: the counters said more rows were lent than were inferred.
func TestRowsLentWithinRowsInferred(t *testing.T) {
	db, c := open(t, WithTaskDirs(pickTask(t)), WithCPUSlots(3))
	exec(t, db, `CREATE TABLE p AS SELECT i AS id, CASE WHEN i = 2000 THEN 99 ELSE i % 10 END AS k FROM range(60000) t(i)`)
	exec(t, db, `SET threads = 3`)
	stmt, err := db.Prepare(`SELECT sum(prediction) FROM ml_predict('pick', 'p', batch_size := 8)`)
	if err != nil {
		t.Fatal(err)
	}
	defer stmt.Close()
	for iter := range 3 {
		time.Sleep(40 * time.Millisecond)
		var n float64
		if err := stmt.QueryRow().Scan(&n); err == nil {
			t.Fatalf("iteration %d: no error for row 2000", iter)
		}
	}
	s := c.Stats()
	if s.RowsLent > s.RowsInferred {
		t.Errorf("Stats: RowsLent %d > RowsInferred %d", s.RowsLent, s.RowsInferred)
	}
}

// Predict runs a whole record as one chunk on the caller's goroutine, so a large record
// ran on one core. Its batches are lent to the other slots from the start (no DuckDB
// scan, no partition to wait for), with the results of SQL's ml_predict at threads=1.
func TestPredictLendsBatches(t *testing.T) {
	db, c := open(t, WithCPUSlots(3))
	const n = 30000
	suffix := func(i int) string {
		return [...]string{" great battery, would buy again", " broke after a week", " it is fine"}[i%3]
	}
	texts := make([]string, n)
	ids := make([]int64, n)
	for i := range texts {
		texts[i], ids[i] = fmt.Sprint("review ", i, suffix(i)), int64(i)
	}
	exec(t, db, `SET threads = 1`)
	want := one[string](t, db, `SELECT string_agg(predicted_class || confidence, ',' ORDER BY id) FROM ml_predict('sentiment', '
		SELECT i AS id, ''review '' || i || CASE i % 3 WHEN 0 THEN '' great battery, would buy again'' WHEN 1 THEN '' broke after a week'' ELSE '' it is fine'' END AS text
		FROM range(30000) t(i)')`)
	mem := memory.NewGoAllocator()
	sb := array.NewStringBuilder(mem)
	sb.AppendValues(texts, nil)
	ta := sb.NewArray()
	ib := array.NewInt64Builder(mem)
	ib.AppendValues(ids, nil)
	ia := ib.NewArray()
	schema := arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.PrimitiveTypes.Int64}, {Name: "text", Type: arrow.BinaryTypes.String}}, nil)
	rec := array.NewRecordBatch(schema, []arrow.Array{ia, ta}, n)
	defer rec.Release()
	// A record is one chunk, lent once: a helper whose session is still loading finds
	// every batch taken (under CI's load, always). Load the slots' sessions first.
	for try := 0; c.Stats().ModelLoads < 2 && try < 100; try++ {
		cls, conf, err := c.PredictRecord(t.Context(), "sentiment", rec, RecordOptions{BatchSize: 64}, mem)
		if err != nil {
			t.Fatal(err)
		}
		cls.Release()
		conf.Release()
		time.Sleep(50 * time.Millisecond)
	}
	lent := c.Stats().RowsLent
	cls, conf, err := c.PredictRecord(t.Context(), "sentiment", rec, RecordOptions{BatchSize: 64}, mem)
	if err != nil {
		t.Fatal(err)
	}
	defer cls.Release()
	defer conf.Release()
	if c.Stats().RowsLent == lent {
		t.Errorf("a %d-row record lent no rows to the idle slots", n)
	}
	var got strings.Builder
	cs, fs := cls.(*array.String), conf.(*array.String)
	for i := range n {
		if i > 0 {
			got.WriteByte(',')
		}
		got.WriteString(cs.Value(i) + fs.Value(i))
	}
	if got.String() != want {
		t.Errorf("Predict with lent batches differs from SQL at threads=1:\n got %.200s…\nwant %.200s…", got.String(), want)
	}
}
