package extension

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/duckinfer/duckinfer/internal/onnxbuild"
)

// One statement looks its task up more than once while DuckDB binds it: ml_predict_sql
// (the probabilities MAP's keys), ml_keep_column and ml_infer. A task.json rewritten
// between those lookups gave one version's labels to the MAP and the other's to
// predicted_class: "negative 0.999609" beside probabilities['negative'] = 0.00039.
// Every part binds the version the SQL was made for, or the statement fails, asking
// for a rerun.
func TestOneVersionPerStatement(t *testing.T) {
	dir := t.TempDir()
	copyShippedTask(t, "sentiment", filepath.Join(dir, "senti"))
	cfgPath := filepath.Join(dir, "senti", "task.json")
	orig, err := os.ReadFile(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	swapped := strings.NewReplacer(`"negative"`, `"positive"`, `"positive"`, `"negative"`).Replace(string(orig))
	if swapped == string(orig) {
		t.Fatal("sentiment's task.json has no negative/positive labels to swap")
	}
	db, _ := open(t, WithTaskDirs(dir), WithCPUSlots(1))
	exec(t, db, `CREATE TABLE tx AS SELECT 'this is great and wonderful' AS text`)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			b := orig
			if i%2 == 1 {
				b = []byte(swapped)
			}
			tmp := cfgPath + ".tmp"
			os.WriteFile(tmp, b, 0o644)
			os.Rename(tmp, cfgPath)
			time.Sleep(200 * time.Microsecond)
		}
	}()
	defer func() { close(stop); wg.Wait() }()
	ok, changed := 0, 0
	for deadline := time.Now().Add(6 * time.Second); time.Now().Before(deadline); {
		var cls, conf string
		var p float64
		err := db.QueryRow(`SELECT predicted_class, confidence, probabilities[predicted_class] FROM ml_predict('senti', 'tx', probabilities := true)`).Scan(&cls, &conf, &p)
		if err != nil {
			if !strings.Contains(err.Error(), "rerun the query") {
				t.Fatalf("after %d queries: %v", ok, err)
			}
			changed++
			continue
		}
		if got := fmt.Sprintf("%.6f", p); got != conf {
			t.Fatalf("after %d consistent queries: predicted_class %s with confidence %s, but probabilities[%s] = %s", ok, cls, conf, cls, got)
		}
		ok++
	}
	t.Logf("%d consistent queries, %d told to rerun", ok, changed)
	if ok < 10 {
		t.Fatalf("only %d queries ran", ok)
	}
}

// A prepared statement is bound once, so it keeps the task version it was prepared
// with (README, "Tasks"). When that version's model is gone, executing it fails, and
// the error says to prepare it again, which a rerun of the same statement never fixes.
func TestPreparedStatementAfterModelReplaced(t *testing.T) {
	dir := t.TempDir()
	folder := filepath.Join(dir, "flowers")
	copyShippedTask(t, "iris", folder)
	db, _ := open(t, WithTaskDirs(dir))
	exec(t, db, `CREATE TABLE fl AS SELECT 5.1 AS sepal_length, 3.5 AS sepal_width, 1.4 AS petal_length, 0.2 AS petal_width`)
	ctx := context.Background()
	conn, err := db.Conn(ctx) // database/sql would prepare again on another connection
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	stmt, err := conn.PrepareContext(ctx, `SELECT predicted_class FROM ml_predict('flowers', 'fl')`)
	if err != nil {
		t.Fatal(err)
	}
	defer stmt.Close()
	model := filepath.Join(folder, "model.onnx")
	other, err := onnxbuild.WideMLP(onnxbuild.WideMLPConfig{Inputs: 4, Width: 8, Layers: 1, Classes: 3, Seed: 5, InputName: "features"})
	if err != nil {
		t.Fatal(err)
	}
	tmp := model + ".tmp"
	if err := os.WriteFile(tmp, other, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, model); err != nil {
		t.Fatal(err)
	}
	var cls string
	err = stmt.QueryRow().Scan(&cls)
	if err == nil || !strings.Contains(err.Error(), "prepare it again") {
		t.Fatalf("executing after the model was replaced: %v, want an error saying to prepare it again", err)
	}
	// A fresh statement sees the new model.
	if got := one[string](t, db, `SELECT predicted_class FROM ml_predict('flowers', 'fl')`); got == "" {
		t.Fatal("no prediction from a fresh statement")
	}
}
