package models

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/duckinfer/duckinfer/internal/onnxbuild"
)

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// A query uses one version of a task from bind to end: a slot that loads its session
// after model.onnx was replaced must not load the new file. It fails, saying so, and
// the next Lookup gives a snapshot of the new version.
func TestModelReplacedMidQuery(t *testing.T) {
	dir := t.TempDir()
	folder := filepath.Join(dir, "flowers")
	copyTask(t, "tasks/iris", folder)
	iris, _ := shippedTasks.ReadFile("tasks/iris/model.onnx")
	wide, err := onnxbuild.WideMLP(onnxbuild.WideMLPConfig{Inputs: 4, Width: 8, Layers: 1, Classes: 3, Seed: 5, InputName: "features"})
	if err != nil {
		t.Fatal(err)
	}
	reg, err := NewRegistry(dir)
	if err != nil {
		t.Fatal(err)
	}
	pool := NewPool(FlavorCPU)
	defer pool.Close()

	// Bind: look the task up and check it; the query then loads a slot.
	task, err := reg.Lookup("flowers")
	if err != nil {
		t.Fatal(err)
	}
	if err := pool.Check(context.Background(), task); err != nil {
		t.Fatal(err)
	}
	if fp, err := task.Fingerprint(); err != nil || fp != sha(iris) {
		t.Fatalf("fingerprint %q, %v; want sha256 of the model, %s", fp, err, sha(iris))
	}
	if _, err := pool.Session(context.Background(), task, Placement{Device: "cpu", Instance: 0}); err != nil {
		t.Fatal(err)
	}

	// The same bytes written again (a touch, a redeploy of the same file) are the same
	// version: the query goes on.
	if err := os.WriteFile(filepath.Join(folder, "model.onnx"), iris, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Session(context.Background(), task, Placement{Device: "cpu", Instance: 1}); err != nil {
		t.Fatalf("same content rewritten: %v", err)
	}

	// Another model replaces the file while the query runs: its next slot fails.
	writeAtomically(t, filepath.Join(folder, "model.onnx"), wide)
	_, err = pool.Session(context.Background(), task, Placement{Device: "cpu", Instance: 2})
	want := `task "flowers": ` + filepath.Join(folder, "model.onnx") + ` changed while the query ran; rerun the query`
	if !errors.Is(err, ErrTaskChanged) || !strings.Contains(err.Error(), want) {
		t.Fatalf("slot loaded after the model changed: got %v, want ErrTaskChanged and %q", err, want)
	}
	if fp, _ := task.Fingerprint(); fp != sha(iris) {
		t.Fatalf("the snapshot's fingerprint moved to %s", fp)
	}

	// The rerun gets the new version, with its own fingerprint.
	task2, err := reg.Lookup("flowers")
	if err != nil || task2 == task {
		t.Fatalf("rerun: %v, same snapshot %v", err, task2 == task)
	}
	if err := pool.Check(context.Background(), task2); err != nil {
		t.Fatal(err)
	}
	if fp, err := task2.Fingerprint(); err != nil || fp != sha(wide) {
		t.Fatalf("new fingerprint %q, %v; want %s", fp, err, sha(wide))
	}
	if _, err := pool.Session(context.Background(), task2, Placement{Device: "cpu", Instance: 2}); err != nil {
		t.Fatal(err)
	}

	// A model replaced between Lookup and the first read is refused too: the snapshot's
	// task.json may not fit the new model.
	task3, err := reg.Lookup("flowers")
	if err != nil || task3 != task2 {
		t.Fatalf("unchanged folder: %v, same snapshot %v", err, task3 == task2)
	}
	copyTask(t, "tasks/iris", filepath.Join(dir, "other"))
	other, _ := reg.Lookup("other")
	writeAtomically(t, filepath.Join(dir, "other", "model.onnx"), wide)
	if err := pool.Check(context.Background(), other); !errors.Is(err, ErrTaskChanged) {
		t.Fatalf("model replaced after Lookup: %v", err)
	}

	// Shipped tasks have fingerprints too.
	sent, _ := reg.Lookup("sentiment")
	model, _ := shippedTasks.ReadFile("tasks/sentiment/model.onnx")
	if fp, err := sent.Fingerprint(); err != nil || fp != sha(model) {
		t.Fatalf("sentiment fingerprint %q, %v", fp, err)
	}
}
