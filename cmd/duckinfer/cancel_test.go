package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/duckinfer/duckinfer/internal/onnxbuild"
)

// Ctrl-C during a long ml_predict (lending, several threads, small batches) brings the
// shell back to its prompt quickly; a second Ctrl-C right after the first does not
// end the shell; the next ml_predict on the same connection gives the full answer.
func TestCtrlCDuringMLPredict(t *testing.T) {
	setCheckoutORT(t)
	tm := startTerm(t, t.TempDir())
	tm.typeLine("SET threads = 4;")
	tm.typeLine("CREATE TABLE big AS SELECT i AS id, repeat('some words here ', 20) || i AS text FROM range(1000000) r(i);")
	tm.typeLine("SELECT count(*) AS rows_made FROM big;")
	tm.expect("(1.00 million)", 120*time.Second)
	for round := range 3 {
		tm.typeLine("SELECT count(predicted_class) AS n FROM ml_predict('sentiment', 'big', batch_size := 16);")
		// The progress line names the rows inferred once the model has seen some,
		// with or without DuckDB's percentage.
		tm.expect("rows inferred", 60*time.Second)
		began := time.Now()
		tm.send("\x03")
		if round == 1 {
			tm.send("\x03") // impatient: twice
		}
		tm.expect("interrupted by Ctrl-C", 30*time.Second)
		if d := time.Since(began); d > 5*time.Second {
			t.Errorf("round %d: cancelling took %v", round, d)
		}
		tm.typeLine("SELECT count(predicted_class) AS n FROM ml_predict('sentiment', 'SELECT * FROM big WHERE id < 50000', batch_size := 16);")
		tm.expect("│ 50000 │", 60*time.Second)
	}
	tm.exit()
}

// Ctrl-C during the first ml_predict of a large model (its check at bind and its
// session's load: seconds for a ~400 MB model here, more for a GPU or a big Hugging Face
// folder) brings the prompt back about at once, as it does during inference. The wait
// is measured against what was left of the check and load when Ctrl-C came: the same
// statement typed again ends when that work does.
func TestCtrlCDuringModelLoad(t *testing.T) {
	setCheckoutORT(t)
	tasks := t.TempDir()
	folder := filepath.Join(tasks, "heavy")
	if err := os.MkdirAll(folder, 0o755); err != nil {
		t.Fatal(err)
	}
	cfg, err := os.ReadFile(filepath.Join("..", "..", "internal", "models", "tasks", "iris", "task.json"))
	if err != nil {
		t.Fatal(err)
	}
	model, err := onnxbuild.WideMLP(onnxbuild.WideMLPConfig{Inputs: 4, Width: 4096, Layers: 6, Classes: 3, Seed: 3, InputName: "features"})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(folder, "task.json"), cfg, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(folder, "model.onnx"), model, 0o644); err != nil {
		t.Fatal(err)
	}
	model = nil
	t.Setenv("DUCKINFER_MODELS", tasks)
	tm := startTerm(t, t.TempDir())
	query := "SELECT count(predicted_class) AS heavy_n FROM ml_predict('heavy', 'SELECT 5.1 AS sepal_length, 3.5 AS sepal_width, 1.4 AS petal_length, 0.2 AS petal_width');"
	tm.typeLine(query)
	time.Sleep(300 * time.Millisecond)
	began := time.Now()
	tm.send("\x03")
	tm.expect("interrupted by Ctrl-C", 60*time.Second)
	lag := time.Since(began)
	tm.typeLine(query)
	tm.expect("│       1 │", 120*time.Second)
	rest := time.Since(began)
	t.Logf("Ctrl-C brought the prompt back after %v; the check and load it was pressed in ended %v after it", lag, rest)
	if rest < 200*time.Millisecond {
		t.Skipf("the check and load ended %v after Ctrl-C: too little left to tell a wait from none", rest)
	}
	// rest may be the check's remainder plus a whole load (a Ctrl-C during the check
	// starts no load; the statement typed again does it), so waiting for the check
	// alone could come to half of rest: a quarter tells the two apart.
	if lag > rest/4 {
		t.Errorf("Ctrl-C during the model's check and load took %v to bring the prompt back; the work ended %v after it: it waited for the work", lag, rest)
	}
	tm.exit()
}

// setCheckoutORT points the shells the test starts at the checkout's ONNX Runtime
// (ortEnv), or skips the test without one.
func setCheckoutORT(t *testing.T) {
	env := ortEnv(t)
	if env == nil && os.Getenv("DUCKINFER_ORT_LIB") == "" {
		t.Skip("no ONNX Runtime in lib/ort/cpu; run make setup")
	}
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
}
