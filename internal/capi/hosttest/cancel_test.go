package hosttest

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/duckinfer/duckinfer/internal/onnxbuild"
)

// slowTasks writes a task "slow": iris's config (four float32 columns, NaN
// refused) over a wide MLP, in batches of 32, so that one chunk is many batches lent
// to idle slots.
func slowTasks(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	folder := filepath.Join(dir, "slow")
	if err := os.MkdirAll(folder, 0o755); err != nil {
		t.Fatal(err)
	}
	cfg, err := os.ReadFile(filepath.Join(root(t), "internal", "models", "tasks", "iris", "task.json"))
	if err != nil {
		t.Fatal(err)
	}
	cfg = []byte(strings.Replace(string(cfg), `"batch_size": 256`, `"batch_size": 32`, 1))
	model, err := onnxbuild.WideMLP(onnxbuild.WideMLPConfig{Inputs: 4, Width: 384, Layers: 6, Classes: 3, Seed: 7, InputName: "features"})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(folder, "task.json"), cfg, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(folder, "model.onnx"), model, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func str(t *testing.T, h *Host, conn, sql string) string {
	t.Helper()
	r := mustQuery(t, h, conn, sql)
	if len(r.Rows) != 1 || r.Rows[0][0] == nil {
		t.Fatalf("%s: %v", firstLine(sql), r.Rows)
	}
	return *r.Rows[0][0]
}

// Interrupts landing at many points of a lending, four-thread query (with failing rows
// under on_error := 'null'), and queries failing in a later operator or ending at a
// LIMIT: each next query on the same connection gives the baseline's answer.
func TestInterruptStress(t *testing.T) {
	forEachHost(t, func(t *testing.T, k hostKind) {
		h := k.start(t, ":memory:", map[string]string{"threads": "4"})
		defer closeHost(t, h)
		mustQuery(t, h, "a", fmt.Sprintf("SET duckinfer_models = '%s'", slowTasks(t)))
		mustQuery(t, h, "a", `CREATE TABLE fl AS SELECT i AS id, 4.0 + (i % 37) / 10 AS sepal_length, 3.0 + (i % 11) / 10 AS sepal_width,
			CASE WHEN i % 1000 = 17 THEN 'nan'::DOUBLE ELSE 1.0 + (i % 53) / 10 END AS petal_length, 0.2 + (i % 23) / 10 AS petal_width FROM range(60000) r(i)`)
		check := `SELECT count(*)::VARCHAR || ' ' || count(predicted_class)::VARCHAR || ' ' || sum(hash(predicted_class || confidence))::VARCHAR
			FROM ml_predict('slow', 'SELECT * FROM fl WHERE id < 3000', on_error := 'null')`
		want := str(t, h, "a", check)
		queries := []string{
			`SELECT count(predicted_class) FROM ml_predict('slow', 'fl', on_error := 'null')`,
			`SELECT count(predicted_class) FROM ml_predict('slow', 'fl', on_error := 'null', batch_size := 8)`,
			`SELECT count(*) FROM (SELECT *, CAST(CASE WHEN id = 20000 THEN 'x' ELSE '1' END AS INTEGER) AS boom FROM ml_predict('slow', 'fl', on_error := 'null'))`,
			`SELECT * FROM ml_predict('slow', 'fl', on_error := 'null') LIMIT 5`,
		}
		for qi, q := range queries {
			for _, d := range []time.Duration{0, 30 * time.Millisecond, 200 * time.Millisecond} {
				done := make(chan Result, 1)
				go func() {
					r, err := h.Query("a", q)
					if err != nil {
						r = Result{Error: err.Error()}
					}
					done <- r
				}()
				time.Sleep(d)
				if err := h.Interrupt("a"); err != nil {
					t.Fatal(err)
				}
				var r Result
				select {
				case r = <-done:
				case <-time.After(60 * time.Second):
					t.Fatalf("query %d interrupted after %v: no answer in 60 s", qi, d)
				}
				if got := str(t, h, "a", check); got != want {
					t.Fatalf("query %d interrupted after %v (ok=%v %s): the next query gives %q, want %q", qi, d, r.OK, firstLine(r.Error), got, want)
				}
			}
		}
		if n := count(t, h, "a", `SELECT count(*) FROM ml_errors() WHERE error ILIKE '%cancel%' OR error ILIKE '%interrupt%' OR error ILIKE '%terminat%'`); n != 0 {
			t.Errorf("%d ml_errors() entries are the interrupt's, not the rows'", n)
		}
		t.Log("ml_stats():", str(t, h, "a", "SELECT rows_inferred::VARCHAR || ' rows, ' || chunks::VARCHAR || ' chunks, ' || rows_lent::VARCHAR || ' lent' FROM ml_stats()"))
	})
}
