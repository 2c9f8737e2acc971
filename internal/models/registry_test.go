package models

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/duckinfer/duckinfer/internal/onnxbuild"
)

// writeAtomically replaces path by renaming a new file over it, as editors and
// deployment tools do (a new inode).
func writeAtomically(t *testing.T, path string, data []byte) {
	t.Helper()
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

func irisRow(t *testing.T, s *Session) float32 {
	t.Helper()
	var cols []Column
	for j, x := range []float64{5.1, 3.5, 1.4, 0.2} {
		cols = append(cols, &Values{ColName: fmt.Sprint("c", j), Nums: []float64{x}})
	}
	in, out := loadColumns(t, s.Task(), 1, cols...)
	if err := s.Predict(context.Background(), in, 0, 1, out); err != nil {
		t.Fatal(err)
	}
	return out.(*ClassData).Confidence[0]
}

// A task folder edited while the program runs is seen by the next Lookup: new labels,
// a replaced or rewritten model, a deleted folder. An unchanged folder keeps its
// snapshot, so its loaded sessions are reused.
func TestRegistryPicksUpChanges(t *testing.T) {
	dir := t.TempDir()
	folder := filepath.Join(dir, "flowers")
	copyTask(t, "tasks/iris", folder)
	reg, err := NewRegistry(dir)
	if err != nil {
		t.Fatal(err)
	}
	pool := NewPool(FlavorCPU)
	defer pool.Close()
	cpu := Placement{Device: "cpu", Threads: 1}

	t1, err := reg.Lookup("flowers")
	if err != nil {
		t.Fatal(err)
	}
	if again, _ := reg.Lookup("flowers"); again != t1 {
		t.Fatal("an unchanged folder gave a new snapshot")
	}
	s1, err := pool.Session(context.Background(), t1, cpu)
	if err != nil {
		t.Fatal(err)
	}
	irisConf := irisRow(t, s1)

	// New labels, same file size, written at once: the stamps may not differ, the
	// bytes do.
	cfgPath := filepath.Join(folder, "task.json")
	cfg, _ := os.ReadFile(cfgPath)
	if err := os.WriteFile(cfgPath, bytes.ReplaceAll(cfg, []byte(`"setosa"`), []byte(`"SETOSA"`)), 0o644); err != nil {
		t.Fatal(err)
	}
	t2, err := reg.Lookup("flowers")
	if err != nil {
		t.Fatal(err)
	}
	if t2 == t1 || t2.Config.Labels[0] != "SETOSA" {
		t.Fatalf("edited labels not seen: same snapshot %v, labels %v", t2 == t1, t2.Config.Labels)
	}
	if t1.Config.Labels[0] != "setosa" {
		t.Fatal("an old snapshot changed under its users")
	}
	s2, err := pool.Session(context.Background(), t2, cpu)
	if err != nil {
		t.Fatal(err)
	}
	if s2 == s1 {
		t.Fatal("a new snapshot reused the old snapshot's session")
	}

	// A different model renamed over model.onnx.
	wide, err := onnxbuild.WideMLP(onnxbuild.WideMLPConfig{Inputs: 4, Width: 8, Layers: 1, Classes: 3, Seed: 9, InputName: "features"})
	if err != nil {
		t.Fatal(err)
	}
	writeAtomically(t, filepath.Join(folder, "model.onnx"), wide)
	t3, err := reg.Lookup("flowers")
	if err != nil {
		t.Fatal(err)
	}
	if t3 == t2 {
		t.Fatal("replaced model not seen")
	}
	s3, err := pool.Session(context.Background(), t3, cpu)
	if err != nil {
		t.Fatal(err)
	}
	if s3 == s2 || irisRow(t, s3) == irisConf {
		t.Fatalf("the new model does not answer: new session %v, confidence %v vs iris %v", s3 != s2, irisRow(t, s3), irisConf)
	}
	if irisRow(t, s1) != irisConf {
		t.Fatal("the old snapshot's session changed")
	}

	// The iris model written back in place (same inode).
	iris, _ := shippedTasks.ReadFile("tasks/iris/model.onnx")
	if err := os.WriteFile(filepath.Join(folder, "model.onnx"), iris, 0o644); err != nil {
		t.Fatal(err)
	}
	t4, err := reg.Lookup("flowers")
	if err != nil || t4 == t3 {
		t.Fatalf("model rewritten in place not seen: %v", err)
	}
	if again, _ := reg.Lookup("flowers"); again != t4 {
		t.Fatal("an unchanged folder gave a new snapshot")
	}

	// The folder deleted: unknown, and gone from the list.
	if err := os.RemoveAll(folder); err != nil {
		t.Fatal(err)
	}
	if _, err := reg.Lookup("flowers"); !errors.Is(err, ErrUnknownTask) {
		t.Fatalf("deleted folder: %v", err)
	}
	for _, task := range reg.Tasks() {
		if task.Name == "flowers" {
			t.Fatalf("deleted folder listed: %+v", task)
		}
	}

	// A user folder dropped in over a shipped name replaces it, and removing the
	// folder brings the shipped task back.
	copyTask(t, "tasks/iris", filepath.Join(dir, "sentiment"))
	if s, err := reg.Lookup("sentiment"); err != nil || s.Source != filepath.Join(dir, "sentiment") {
		t.Fatalf("override dropped in: %v %+v", err, s)
	}
	os.RemoveAll(filepath.Join(dir, "sentiment"))
	if s, err := reg.Lookup("sentiment"); err != nil || s.Source != "builtin:sentiment" {
		t.Fatalf("override removed: %v %+v", err, s)
	}
}

// A user folder that names a task wins even when it is broken: its error names the
// file and the problem instead of the shipped task silently answering.
func TestUserFolderWinsBrokenOrNot(t *testing.T) {
	dir, later := t.TempDir(), t.TempDir()
	cfg, _ := shippedTasks.ReadFile("tasks/sentiment/task.json")
	typo := bytes.Replace(cfg, []byte(`"batch_size"`), []byte(`"batchsize"`), 1)
	if bytes.Equal(typo, cfg) {
		t.Fatal("shipped sentiment task.json has no batch_size to misspell")
	}
	copyTask(t, "tasks/sentiment", filepath.Join(dir, "sentiment"))
	os.WriteFile(filepath.Join(dir, "sentiment", "task.json"), typo, 0o644)
	// A folder without task.json is a broken task too, not a fallback.
	os.MkdirAll(filepath.Join(dir, "iris"), 0o755)
	// Of two user folders with one name, the later one wins, broken or not.
	copyTask(t, "tasks/iris", filepath.Join(dir, "flowers"))
	os.MkdirAll(filepath.Join(later, "flowers"), 0o755)
	os.WriteFile(filepath.Join(later, "flowers", "task.json"), []byte(`{"inputs":[]}`), 0o644)

	reg, err := NewRegistry(dir, later)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct{ name, file, want string }{
		{"sentiment", filepath.Join(dir, "sentiment", "task.json"), `unknown field "batchsize"`},
		{"iris", filepath.Join(dir, "iris"), "has no task.json"},
		{"flowers", filepath.Join(later, "flowers", "task.json"), `"inputs" is empty`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			task, err := reg.Lookup(tc.name)
			if task != nil || !errors.Is(err, ErrTaskConfig) || !strings.Contains(err.Error(), tc.file) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %+v, %v; want ErrTaskConfig naming %s and %q", task, err, tc.file, tc.want)
			}
		})
	}
	if _, err := reg.Lookup("sentiment"); err == nil || !strings.Contains(err.Error(), "replaces the built-in task") {
		t.Errorf("shadowing a shipped task should say so: %v", err)
	}
	for _, task := range reg.Tasks() {
		if task.Name == "sentiment" || task.Name == "iris" || task.Name == "flowers" {
			t.Errorf("Tasks lists %s from %s", task.Name, task.Source)
		}
	}
}

// Lookups, checks, loads, predictions and listings running while another goroutine
// keeps replacing the task's files: each query sees one version or is told to rerun,
// never a mix, and the race detector sees no unguarded state.
func TestRegistryConcurrentEdits(t *testing.T) {
	dir := t.TempDir()
	folder := filepath.Join(dir, "flowers")
	copyTask(t, "tasks/iris", folder)
	iris, _ := shippedTasks.ReadFile("tasks/iris/model.onnx")
	wide, err := onnxbuild.WideMLP(onnxbuild.WideMLPConfig{Inputs: 4, Width: 8, Layers: 1, Classes: 3, Seed: 3, InputName: "features"})
	if err != nil {
		t.Fatal(err)
	}
	reg, err := NewRegistry(dir)
	if err != nil {
		t.Fatal(err)
	}
	pool := NewPool(FlavorCPU)
	defer pool.Close()

	stopEditor := inBackground(func(i int) bool {
		model := iris
		if i%2 == 1 {
			model = wide
		}
		// Not writeAtomically: t.Fatal is for the test goroutine only.
		tmp := filepath.Join(folder, "model.onnx.tmp")
		if err := os.WriteFile(tmp, model, 0o644); err != nil {
			t.Error(err)
			return false
		}
		if err := os.Rename(tmp, filepath.Join(folder, "model.onnx")); err != nil {
			t.Error(err)
			return false
		}
		return true
	})
	var wg sync.WaitGroup
	versions := make([]map[*Task]bool, 3)
	for g := range versions {
		versions[g] = map[*Task]bool{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 30 {
				if g == 2 {
					reg.Entries()
					continue
				}
				task, err := reg.Lookup("flowers")
				if err != nil {
					t.Errorf("lookup: %v", err)
					return
				}
				versions[g][task] = true
				err = pool.Check(context.Background(), task)
				var s *Session
				if err == nil {
					s, err = pool.Session(context.Background(), task, Placement{Device: "cpu", Instance: g})
				}
				if errors.Is(err, ErrTaskChanged) {
					continue // the query would be rerun
				}
				if err != nil {
					t.Errorf("check/load: %v", err)
					return
				}
				fp, err := task.Fingerprint()
				if err != nil || (fp != sha(iris) && fp != sha(wide)) {
					t.Errorf("fingerprint %s, %v: neither model", fp, err)
				}
				irisRow(t, s)
			}
		}()
	}
	wg.Wait()
	stopEditor()
	if len(versions[0])+len(versions[1]) < 2 {
		t.Errorf("lookups saw %d and %d snapshots while the model kept changing", len(versions[0]), len(versions[1]))
	}
}

// The unknown-task error ends with how to add task folders: the Go binding's ways by
// default, the binding's own (AddHint) where it sets one, as the extension does with
// SET duckinfer_models, for its users have no -models or extension.WithTaskDirs.
func TestUnknownTaskHint(t *testing.T) {
	reg, err := NewRegistry()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := reg.Lookup("nope"); err == nil || !strings.Contains(err.Error(), "extension.WithTaskDirs") {
		t.Errorf("default hint: %v", err)
	}
	reg.AddHint = "SET duckinfer_models = '...'"
	_, err = reg.Lookup("nope")
	if err == nil || !strings.Contains(err.Error(), "named by SET duckinfer_models = '...'") || strings.Contains(err.Error(), "WithTaskDirs") {
		t.Errorf("binding's hint: %v", err)
	}
}
