package extension

import (
	"context"
	"fmt"
	"os"
	osexec "os/exec"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// A statement without parameters is bound once, at prepare. Each execution must still
// run with its own context: not the (cancelled) prepare-time one, with its own row
// counter, and cancellable.
func TestPreparedStatementUsesExecutingContext(t *testing.T) {
	db, _ := open(t)
	exec(t, db, `CREATE TABLE t AS SELECT i AS id, 'a good sentence ' || i AS text FROM range(20000) r(i)`)
	conn, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	prepCtx, cancelPrep := context.WithCancel(context.Background())
	stmt, err := conn.PrepareContext(prepCtx, `SELECT count(predicted_class) FROM ml_predict('sentiment', 't')`)
	if err != nil {
		t.Fatal(err)
	}
	defer stmt.Close()
	cancelPrep()
	for run := range 2 {
		var n atomic.Int64
		var got int64
		if err := stmt.QueryRowContext(CountRows(context.Background(), &n)).Scan(&got); err != nil {
			t.Fatalf("execution %d after the prepare context ended: %v", run, err)
		}
		if got != 20000 || n.Load() != 20000 {
			t.Fatalf("execution %d: count %d, counted %d rows on its context; want 20000 and 20000", run, got, n.Load())
		}
	}

	// The same through SQL's PREPARE/EXECUTE, each statement with a context that ends
	// with it, as the shell runs them.
	ctx1, cancel1 := context.WithCancel(context.Background())
	if _, err := conn.ExecContext(ctx1, `PREPARE p AS SELECT count(predicted_class) FROM ml_predict('sentiment', 't')`); err != nil {
		t.Fatal(err)
	}
	cancel1()
	var got int64
	if err := conn.QueryRowContext(context.Background(), `EXECUTE p`).Scan(&got); err != nil || got != 20000 {
		t.Fatalf("EXECUTE p: %d, %v", got, err)
	}

	// Cancelling the executing context stops it. Distinct texts: a repeated one would be
	// inferred once per chunk (the distinct path) and finish before the cancel.
	exec(t, db, `CREATE TABLE big AS SELECT i AS id, repeat('some words here ', 20) || i AS text FROM range(3000000) r(i)`)
	big, err := conn.PrepareContext(context.Background(), `SELECT count(predicted_class) FROM ml_predict('sentiment', 'big')`)
	if err != nil {
		t.Fatal(err)
	}
	defer big.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	if err := big.QueryRowContext(ctx).Scan(&got); err == nil {
		t.Fatal("the prepared query ran to the end despite its context's cancel")
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("cancel took %v", d)
	}
}

// The adapter that finds the executing statement's context must work with the
// duckdb-go in go.mod; if an upgrade changes duckdb-go's internals it fails here.
func TestConnContextAdapter(t *testing.T) {
	db, c := open(t)
	if n := one[int64](t, db, `SELECT count(*) FROM ml_predict('sentiment', 'SELECT ''fine'' AS text')`); n != 1 {
		t.Fatal(n)
	}
	if c.fns == nil || !c.fns.ConnContextsWork() {
		t.Fatal("cannot reach duckdb-go's per-connection contexts: update internal/udf/conncontext.go for this duckdb-go version")
	}
}

// ml_devices() loads ONNX Runtime itself, so it answers "will this work?" before any
// prediction; when the library cannot load, it says why. ONNX Runtime loads once per
// process, so this runs in child processes.
func TestDevicesLoadRuntime(t *testing.T) {
	if os.Getenv("DUCKINFER_CHILD") == "devices" {
		db, err := Open("", WithDevice("cpu"))
		if err != nil {
			fmt.Println("OPEN", err)
			return
		}
		defer db.Close()
		var rt string
		err = db.QueryRow(`SELECT runtime FROM ml_devices()`).Scan(&rt)
		fmt.Printf("RUNTIME %s %v\n", rt, err)
		return
	}
	child := func(env ...string) string {
		cmd := osexec.Command(os.Args[0], "-test.run=^TestDevicesLoadRuntime$")
		cmd.Env = append(append(os.Environ(), "DUCKINFER_CHILD=devices"), env...)
		out, _ := cmd.CombinedOutput()
		return string(out)
	}
	out := child()
	for _, want := range []string{"RUNTIME ONNX Runtime 1.", "(cpu)", "libonnxruntime.so", "CPUExecutionProvider <nil>"} {
		if !strings.Contains(out, want) {
			t.Errorf("ml_devices() before any prediction lacks %q:\n%s", want, out)
		}
	}
	out = child("DUCKINFER_ORT_LIB=/nonexistent/libonnxruntime.so.1")
	for _, want := range []string{"RUNTIME not loadable", "/nonexistent/libonnxruntime.so.1", "make setup"} {
		if !strings.Contains(out, want) {
			t.Errorf("ml_devices() with no library lacks %q:\n%s", want, out)
		}
	}
}

// Each row that reaches the model runs through it once, whatever the outer query does
// with the predictions; a filter on an input column, or an inner or semi join on one, is
// applied before the model, so the rows it drops never reach it; a query that reads no
// prediction runs no model. The README's "what runs the model" says the same.
func TestPredictInfersEachRowOnce(t *testing.T) {
	db, c := open(t)
	exec(t, db, `CREATE TABLE t AS SELECT i AS id, CASE WHEN i % 2 = 0 THEN 'en' ELSE 'de' END AS lang,
		CASE WHEN i % 3 = 0 THEN 'I love it' ELSE 'terrible ' || i END AS text, i % 100 AS customer_id FROM range(6000) r(i)`)
	exec(t, db, `CREATE TABLE customers AS SELECT i AS id, 'customer ' || i AS name FROM range(5) r(i)`)
	for _, tc := range []struct {
		name, query string
		inferred    uint64
	}{
		{"all", `CREATE OR REPLACE TEMP TABLE o AS SELECT * FROM ml_predict('sentiment', 't')`, 6000},
		{"label filter", `CREATE OR REPLACE TEMP TABLE o AS SELECT id, predicted_class FROM ml_predict('sentiment', 't') WHERE predicted_class = 'positive'`, 6000},
		{"confidence threshold", `CREATE OR REPLACE TEMP TABLE o AS SELECT * FROM ml_predict('sentiment', 't') WHERE confidence::DOUBLE > 0.5`, 6000},
		{"filter on both outputs", `CREATE OR REPLACE TEMP TABLE o AS SELECT id, predicted_class FROM ml_predict('sentiment', 't') WHERE confidence::DOUBLE > 0.6 AND predicted_class = 'negative'`, 6000},
		{"relabel then drop", `CREATE OR REPLACE TEMP TABLE o AS SELECT id, CASE WHEN predicted_class = 'positive' THEN 'upsell' END AS action
			FROM ml_predict('sentiment', 't') WHERE action IS NOT NULL`, 6000},
		{"input filter in the outer query", `CREATE OR REPLACE TEMP TABLE o AS SELECT id, predicted_class FROM ml_predict('sentiment', 't') WHERE lang = 'en'`, 3000},
		{"input filter and label filter", `CREATE OR REPLACE TEMP TABLE o AS SELECT id FROM ml_predict('sentiment', 't') WHERE lang = 'en' AND predicted_class = 'positive'`, 3000},
		{"input filter in the input query", `CREATE OR REPLACE TEMP TABLE o AS SELECT * FROM ml_predict('sentiment', 'SELECT * FROM t WHERE lang = ''en''')`, 3000},
		{"inner join on an input column", `CREATE OR REPLACE TEMP TABLE o AS SELECT name, predicted_class FROM ml_predict('sentiment', 't') p JOIN customers c ON c.id = p.customer_id`, 300},
		{"semi join on an input column", `CREATE OR REPLACE TEMP TABLE o AS SELECT id, predicted_class FROM ml_predict('sentiment', 't') WHERE customer_id IN (SELECT id FROM customers)`, 300},
		{"left join", `CREATE OR REPLACE TEMP TABLE o AS SELECT name, predicted_class FROM ml_predict('sentiment', 't') p LEFT JOIN customers c ON c.id = p.customer_id`, 6000},
		{"no prediction read", `CREATE OR REPLACE TEMP TABLE o AS SELECT id, text FROM ml_predict('sentiment', 't') WHERE lang = 'en'`, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := c.Stats().RowsInferred
			exec(t, db, tc.query)
			if got := c.Stats().RowsInferred - before; got != tc.inferred {
				t.Fatalf("%d rows inferred, want %d", got, tc.inferred)
			}
		})
	}
	// The filters kept the right rows: 2000 rows say "I love it", half of them in English.
	if n := one[int64](t, db, `SELECT count(*) FROM ml_predict('sentiment', 't') WHERE lang = 'en' AND predicted_class = 'positive'`); n != 1000 {
		t.Fatalf("%d positive English rows, want 1000", n)
	}
}
