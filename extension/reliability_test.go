package extension

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"os"
	osexec "os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/duckinfer/duckinfer/internal/onnxbuild"
)

// fragileTask writes a task whose model fails on rows with x ≥ 10: it gathers from a
// 10-row probability table at index x, and ONNX Runtime rejects out-of-range indices.
func fragileTask(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	probs := make([]float32, 20)
	for i := range 10 {
		probs[2*i], probs[2*i+1] = 0.9, 0.1
		if i%2 == 1 {
			probs[2*i], probs[2*i+1] = 0.2, 0.8
		}
	}
	g := &onnxbuild.Graph{
		Name:    "fragile",
		Inputs:  []*onnxbuild.ValueInfo{onnxbuild.TensorValue("x", onnxbuild.Float, onnxbuild.N, onnxbuild.D(1))},
		Outputs: []*onnxbuild.ValueInfo{onnxbuild.TensorValue("p", onnxbuild.Float, onnxbuild.N, onnxbuild.D(2))},
		Initializers: []*onnxbuild.Tensor{
			onnxbuild.FloatTensor("table", []int64{10, 2}, probs),
			onnxbuild.Int64Tensor("flat", []int64{1}, []int64{-1}),
		},
		Nodes: []*onnxbuild.Node{
			onnxbuild.NewNode("Reshape", []string{"x", "flat"}, []string{"xf"}),
			onnxbuild.NewNode("Cast", []string{"xf"}, []string{"idx"}, onnxbuild.AttrInt("to", 7)),
			onnxbuild.NewNode("Gather", []string{"table", "idx"}, []string{"p"}, onnxbuild.AttrInt("axis", 0)),
		},
	}
	b, err := onnxbuild.NewModel(g).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(filepath.Join(dir, "fragile"), 0o755)
	os.WriteFile(filepath.Join(dir, "fragile", "model.onnx"), b, 0o644)
	os.WriteFile(filepath.Join(dir, "fragile", "task.json"), []byte(`{"inputs":[{"name":"x","columns":["x"],"type":"float32"}],"output":"p","labels":["even","odd"],"batch_size":4}`), 0o644)
	return dir
}

func TestOnErrorFailNamesTheRow(t *testing.T) {
	db, _ := open(t, WithTaskDirs(fragileTask(t)))
	exec(t, db, `CREATE TABLE xs AS SELECT i AS id, CASE WHEN i = 7 THEN 12 ELSE i % 10 END AS x FROM range(50) r(i)`)
	_, err := db.Exec(`SELECT * FROM ml_predict('fragile', 'xs')`)
	if err == nil {
		t.Fatal("query succeeded despite a failing row")
	}
	for _, want := range []string{`task "fragile"`, `"[12]"`, "row 7 of its chunk", "on_error := 'null'", "Gather"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	if n := one[int64](t, db, `SELECT count(*) FROM ml_predict('fragile', 'SELECT * FROM xs WHERE id <> 7')`); n != 49 {
		t.Fatalf("database unusable after the failure: %d", n)
	}
}

func TestOnErrorNullKeepsOtherRows(t *testing.T) {
	for _, bs := range []int{1, 3, 256} {
		t.Run(fmt.Sprint("batch", bs), func(t *testing.T) {
			db, _ := open(t, WithTaskDirs(fragileTask(t)))
			exec(t, db, `CREATE TABLE xs AS SELECT i AS id, CASE WHEN i % 97 = 5 THEN 11 + i % 3 ELSE i % 10 END AS x FROM range(5000) r(i)`)
			q := fmt.Sprintf(`CREATE TEMP TABLE o AS SELECT * FROM ml_predict('fragile', 'xs', on_error := 'null', batch_size := %d)`, bs)
			exec(t, db, q)
			if n := one[int64](t, db, `SELECT count(*) FROM o`); n != 5000 {
				t.Fatalf("%d rows, want 5000", n)
			}
			if n := one[int64](t, db, `SELECT count(DISTINCT id) FROM o`); n != 5000 {
				t.Fatalf("%d distinct ids: rows lost or duplicated", n)
			}
			bad := one[int64](t, db, `SELECT count(*) FROM xs WHERE x >= 10`)
			if n := one[int64](t, db, `SELECT count(*) FROM o WHERE predicted_class IS NULL`); n != bad {
				t.Fatalf("%d NULL predictions, want %d", n, bad)
			}
			if n := one[int64](t, db, `SELECT count(*) FROM o WHERE x < 10 AND predicted_class <> CASE WHEN x % 2 = 1 THEN 'odd' ELSE 'even' END`); n != 0 {
				t.Fatalf("%d good rows mispredicted", n)
			}
			if n := one[int64](t, db, `SELECT count(*) FROM ml_errors() WHERE task = 'fragile' AND input IN ('"[11]"', '"[12]"', '"[13]"') AND error LIKE '%Gather%'`); n != bad {
				t.Fatalf("ml_errors() lists %d failures, want %d", n, bad)
			}
		})
	}
}

// Every input row appears exactly once (multiset of pass-through columns) across
// threads, batch sizes and insertion-order settings, with messy text.
func TestExactlyOnceMatrix(t *testing.T) {
	db, _ := open(t)
	exec(t, db, `CREATE TABLE messy AS SELECT i AS id,
		CASE i % 9 WHEN 0 THEN NULL WHEN 1 THEN '' WHEN 2 THEN '   ' WHEN 3 THEN 'great 😀🎉 product'
		     WHEN 4 THEN 'отличный товар, очень доволен' WHEN 5 THEN '非常好的产品' WHEN 6 THEN 'duplicate row'
		     WHEN 7 THEN 'awful, it broke' ELSE 'review ' || (i % 1000) END AS text
		FROM range(130000) r(i)`) // more than one row group (122,880 rows)
	exec(t, db, `INSERT INTO messy SELECT 999999, 'duplicate row' FROM range(3)`)
	exec(t, db, `INSERT INTO messy VALUES (1000000, repeat('very long text with words ', 40000))`) // ~1 MB
	total := one[int64](t, db, `SELECT count(*) FROM messy`)
	type run struct {
		task          string
		threads, size int
		order         bool
	}
	// The pipeline, not the model, decides what is lost or duplicated: the noop model
	// keeps the matrix cheap, and one sentiment run covers a real model.
	runs := []run{{"sentiment", 2, 256, true}, {"noop", 2, 1, true}, {"noop", 2, 2048, false}, {"noop", 2, 7, true}}
	for _, threads := range []int{1, 2, 4} {
		for _, order := range []bool{true, false} {
			runs = append(runs, run{"noop", threads, 256, order})
		}
	}
	for _, r := range runs {
		name := fmt.Sprintf("%s/threads=%d/batch=%d/order=%v", r.task, r.threads, r.size, r.order)
		t.Run(name, func(t *testing.T) {
			exec(t, db, fmt.Sprintf(`SET threads = %d`, r.threads))
			exec(t, db, fmt.Sprintf(`SET preserve_insertion_order = %v`, r.order))
			exec(t, db, fmt.Sprintf(`CREATE OR REPLACE TEMP TABLE o AS SELECT * FROM ml_predict('%s', 'messy', batch_size := %d)`, r.task, r.size))
			if n := one[int64](t, db, `SELECT count(*) FROM o`); n != total {
				t.Fatalf("%d rows, want %d", n, total)
			}
			missing := one[int64](t, db, `SELECT count(*) FROM (SELECT id, text FROM messy EXCEPT ALL SELECT id, text FROM o)`)
			extra := one[int64](t, db, `SELECT count(*) FROM (SELECT id, text FROM o EXCEPT ALL SELECT id, text FROM messy)`)
			if missing != 0 || extra != 0 {
				t.Fatalf("%d rows missing, %d extra", missing, extra)
			}
			if n := one[int64](t, db, `SELECT count(*) FROM o WHERE (text IS NULL) <> (predicted_class IS NULL)`); n != 0 {
				t.Fatalf("%d rows with predictions not matching NULL inputs", n)
			}
			if r.order {
				if n := one[int64](t, db, `SELECT count(*) FROM (SELECT id, lag(id) OVER () AS prev FROM o) WHERE prev > id AND id <> 999999 AND prev <> 999999`); n != 0 {
					t.Fatalf("%d rows out of order", n)
				}
			}
		})
	}
	// Empty and one-row inputs.
	if n := one[int64](t, db, `SELECT count(*) FROM ml_predict('sentiment', 'SELECT * FROM messy WHERE false')`); n != 0 {
		t.Fatalf("empty input gave %d rows", n)
	}
	if n := one[int64](t, db, `SELECT count(*) FROM ml_predict('sentiment', 'SELECT * FROM messy LIMIT 1', batch_size := 1)`); n != 1 {
		t.Fatalf("one-row input gave %d rows", n)
	}
}

// A broken task fails the queries that use it, clearly, and nothing else.
func TestBrokenTaskFailsAtFirstQuery(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "broken"), 0o755)
	os.WriteFile(filepath.Join(dir, "broken", "task.json"), []byte(`{"inputs":[{"name":"text","columns":["text"],"type":"string"}],"output":"probabilities","labels":["a","b"]}`), 0o644)
	os.WriteFile(filepath.Join(dir, "broken", "model.onnx"), []byte("not a model"), 0o644)
	db, _ := open(t, WithTaskDirs(dir))
	_, err := db.Exec(`SELECT * FROM ml_predict('broken', 'SELECT ''x'' AS text')`)
	if err == nil || !strings.Contains(err.Error(), "not a loadable ONNX model") || !strings.Contains(err.Error(), filepath.Join(dir, "broken")) {
		t.Fatalf("got %v", err)
	}
	if n := one[int64](t, db, `SELECT count(*) FROM ml_predict('sentiment', 'SELECT ''fine'' AS text')`); n != 1 {
		t.Fatal("other tasks broken too")
	}
}

// A missing or wrong ONNX Runtime library gives an error that says how to install it.
// ONNX Runtime loads once per process, so this runs in a child process.
func TestRuntimeLibraryMissing(t *testing.T) {
	if os.Getenv("DUCKINFER_CHILD") == "1" {
		db, err := Open("")
		if err != nil {
			fmt.Println("OPEN", err)
			return
		}
		defer db.Close()
		_, err = db.Exec(`SELECT * FROM ml_predict('sentiment', 'SELECT ''x'' AS text')`)
		fmt.Println("QUERY1", err)
		var n int
		err = db.QueryRow(`SELECT 41 + 1`).Scan(&n)
		fmt.Println("PLAIN", n, err)
		return
	}
	for name, lib := range map[string]string{"missing": "/nonexistent/libonnxruntime.so.1", "not ORT": "/lib/x86_64-linux-gnu/libz.so.1"} {
		cmd := osexec.Command(os.Args[0], "-test.run=^TestRuntimeLibraryMissing$")
		cmd.Env = append(os.Environ(), "DUCKINFER_CHILD=1", "DUCKINFER_ORT_LIB="+lib)
		out, _ := cmd.CombinedOutput()
		s := string(out)
		if !strings.Contains(s, "QUERY1") || !strings.Contains(s, "ONNX Runtime unavailable") || !strings.Contains(s, "make setup") || !strings.Contains(s, lib) {
			t.Errorf("%s: error does not say what to do:\n%s", name, s)
		}
		if !strings.Contains(s, "PLAIN 42 <nil>") {
			t.Errorf("%s: database unusable after the failure:\n%s", name, s)
		}
	}
}

// Cancelling leaks no goroutines or connections, loads no extra models, and the next
// query works.
func TestCancelLeaksNothing(t *testing.T) {
	db, c := open(t, WithCPUSlots(2))
	exec(t, db, `CREATE TABLE big AS SELECT i AS id, repeat('words of a review ', 10) || i AS text FROM range(2000000) r(i)`) // distinct: see TestPreparedStatementUsesExecutingContext
	exec(t, db, `CREATE TEMP TABLE warm AS SELECT * FROM ml_predict('sentiment', 'big') WHERE id % 1000 = 0`)
	runtime.GC()
	baseline := runtime.NumGoroutine()
	for range 3 {
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		start := time.Now()
		_, err := db.ExecContext(ctx, `CREATE OR REPLACE TEMP TABLE o AS SELECT * FROM ml_predict('sentiment', 'big')`)
		cancel()
		if err == nil {
			t.Fatal("not cancelled")
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Fatalf("cancel took %v", d)
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > baseline+2 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if g := runtime.NumGoroutine(); g > baseline+2 {
		t.Fatalf("goroutines: %d before, %d after cancels", baseline, g)
	}
	if st := db.Stats(); st.InUse != 0 {
		t.Fatalf("%d connections still in use", st.InUse)
	}
	if got := c.Stats().ModelLoads; got > 2 {
		t.Fatalf("%d model loads for 2 CPU slots", got)
	}
	if n := one[int64](t, db, `SELECT count(*) FROM ml_predict('sentiment', 'SELECT * FROM big LIMIT 100')`); n != 100 {
		t.Fatal(n)
	}
}

// Several connections running different tasks at once share loaded models; closing
// the database under running queries neither crashes nor hangs.
func TestConcurrentConnectionsShareModels(t *testing.T) {
	db, c := open(t, WithCPUSlots(2))
	exec(t, db, `CREATE TABLE texts AS SELECT i AS id, 'good ' || i AS text FROM range(100000) r(i)`)
	exec(t, db, `CREATE TABLE flowers AS SELECT i AS id, 5.0 + (i % 20) / 10 AS sepal_length, 3.0 AS sepal_width, 1.5 + (i % 40) / 10 AS petal_length, 0.2 + (i % 20) / 10 AS petal_width FROM range(100000) r(i)`)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			task, table := "sentiment", "texts"
			if i%2 == 1 {
				task, table = "iris", "flowers"
			}
			var n int64
			if err := db.QueryRow(fmt.Sprintf(`SELECT count(predicted_class) FROM ml_predict('%s', '%s')`, task, table)).Scan(&n); err != nil {
				errs <- err
				return
			}
			if n != 100000 {
				errs <- fmt.Errorf("%s: %d predictions", task, n)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	// Two tasks × at most two CPU slots, however many connections and queries.
	if got := c.Stats().ModelLoads; got < 2 || got > 4 {
		t.Fatalf("model loads = %d, want 2..4", got)
	}

	done := make(chan struct{})
	go func() {
		defer close(done)
		var wg sync.WaitGroup
		for range 3 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := db.Exec(`CREATE OR REPLACE TEMP TABLE o AS SELECT * FROM ml_predict('sentiment', 'texts')`)
				if err != nil && !errors.Is(err, sql.ErrConnDone) {
					t.Logf("query during close: %v", err)
				}
			}()
		}
		time.Sleep(100 * time.Millisecond)
		if err := db.Close(); err != nil {
			t.Logf("close: %v", err)
		}
		wg.Wait()
	}()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("closing the database under running queries hung")
	}
}

// pickyTask writes a string task whose model gives NaN scores (a failed row) for any
// text but "good" and "fine": ai.onnx.ml's LabelEncoder maps those two to a
// probability and everything else to its default, NaN.
func pickyTask(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	g := &onnxbuild.Graph{
		Name:         "picky",
		Inputs:       []*onnxbuild.ValueInfo{onnxbuild.TensorValue("text", onnxbuild.String, onnxbuild.N)},
		Outputs:      []*onnxbuild.ValueInfo{onnxbuild.TensorValue("p", onnxbuild.Float, onnxbuild.N, onnxbuild.D(2))},
		Initializers: []*onnxbuild.Tensor{onnxbuild.FloatTensor("one", []int64{1}, []float32{1}), onnxbuild.Int64Tensor("col", []int64{2}, []int64{-1, 1})},
		Nodes: append([]*onnxbuild.Node{
			{OpType: "LabelEncoder", Domain: "ai.onnx.ml", Inputs: []string{"text"}, Outputs: []string{"v"}, Attrs: []*onnxbuild.Attribute{
				onnxbuild.AttrStrings("keys_strings", []string{"good", "fine"}),
				onnxbuild.AttrFloats("values_floats", []float32{0.9, 0.6}),
				onnxbuild.AttrFloat("default_float", float32(math.NaN())),
			}},
			onnxbuild.NewNode("Reshape", []string{"v", "col"}, []string{"s"}),
		}, twoClass("s")...),
	}
	writeTask(t, dir, "picky", g, `{"inputs":[{"name":"text","columns":["text"],"type":"string"}],"output":"p","labels":["yes","no"]}`,
		onnxbuild.OpsetID{Domain: "ai.onnx.ml", Version: 2})
	return dir
}

// A text column with repeated values runs each distinct value once; a failing row is
// still named by its own position in the chunk, not by its place among the distinct
// values (here row 1500 is the 3rd distinct value).
func TestOnErrorFailNamesTheRowOfRepeatedValues(t *testing.T) {
	db, _ := open(t, WithTaskDirs(pickyTask(t)))
	exec(t, db, `CREATE TABLE ts AS SELECT i AS id, CASE WHEN i = 1500 THEN 'broken' WHEN i % 2 = 0 THEN 'good' ELSE 'fine' END AS text FROM range(2000) r(i)`)
	_, err := db.Exec(`SELECT * FROM ml_predict('picky', 'ts')`)
	if err == nil {
		t.Fatal("query succeeded despite a failing row")
	}
	for _, want := range []string{`task "picky"`, `"broken"`, "row 1500 of its chunk"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	// Under on_error := 'null' the other 1999 rows keep their own predictions.
	if got := one[string](t, db, `SELECT count(*) FILTER (WHERE predicted_class IS NULL)::VARCHAR || '/' || count(*) FILTER (WHERE predicted_class = 'yes' AND confidence = '0.900000')::VARCHAR FROM ml_predict('picky', 'ts', on_error := 'null')`); got != "1/999" {
		t.Fatalf("NULL/yes rows = %s, want 1/999", got)
	}
}
