package models

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/duckinfer/duckinfer/internal/onnxbuild"
)

// A task folder that is a symbolic link leading nowhere (an unmounted volume, a loop)
// is a broken task: before, Lookup went on to an earlier folder or the shipped task
// of that name and ran its model without a word.
func TestBrokenSymlinkTaskIsAnError(t *testing.T) {
	for _, target := range []string{"/nonexistent-volume/iris", "iris"} { // missing; a loop
		dir := t.TempDir()
		if err := os.Symlink(target, filepath.Join(dir, "iris")); err != nil {
			t.Fatal(err)
		}
		reg, err := NewRegistry(dir)
		if err != nil {
			t.Fatal(err)
		}
		if task, err := reg.Lookup("iris"); err == nil || !errors.Is(err, ErrTaskConfig) || !strings.Contains(err.Error(), "symbolic link") {
			t.Errorf("iris -> %s: got task %v, err %v; want the broken link reported", target, task, err)
		}
	}
	first, later := t.TempDir(), t.TempDir()
	copyTask(t, "tasks/iris", filepath.Join(first, "flowers"))
	if err := os.Symlink("/nonexistent-volume/flowers", filepath.Join(later, "flowers")); err != nil {
		t.Fatal(err)
	}
	reg, err := NewRegistry(first, later)
	if err != nil {
		t.Fatal(err)
	}
	if task, err := reg.Lookup("flowers"); err == nil {
		t.Errorf("the later folder's flowers is a broken link, yet Lookup used %s", task.Source)
	}
}

// $DUCKINFER_ORT_LIB naming a file that is not there (or a folder) is an error that
// names it: before, the loader's own search ran and could load another library.
// InitRuntime loads once per process, so each case runs in a child.
func TestORTLibEnvNamesAMissingFile(t *testing.T) {
	if os.Getenv("DUCKINFER_TEST_ORTLIB_CHILD") == "1" {
		_, err := InitRuntime(FlavorCPU)
		fmt.Printf("ERR %v\n", err)
		os.Exit(0)
	}
	for _, p := range []string{"/opt/missing/libonnxruntime.so.1", t.TempDir()} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestORTLibEnvNamesAMissingFile$")
		cmd.Env = append(os.Environ(), "DUCKINFER_TEST_ORTLIB_CHILD=1", LibraryEnv+"="+p)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("child: %v\n%s", err, out)
		}
		if !strings.Contains(string(out), "ERR ") || strings.Contains(string(out), "ERR <nil>") || !strings.Contains(string(out), LibraryEnv+"="+p+", but that is not a library file") {
			t.Errorf("%s=%s: %s", LibraryEnv, p, out)
		}
	}
}

// A task's tokenizer file is part of its snapshot: replacing it (a task.json text
// task's tokenizer.json, or the file a Hugging Face folder's task.json names) gives a
// new snapshot with the new vocabulary. Before, queries kept the old one.
func TestTokenizerEditMakesNewSnapshot(t *testing.T) {
	src := filepath.Join(hfModels, "bert_sentiment")
	other, err := os.ReadFile(filepath.Join(hfModels, "xlmr_embed", "tokenizer.json")) // has <pad>, no [PAD]
	if err != nil {
		t.Fatal(err)
	}
	check := func(t *testing.T, dir, tokPath string) {
		reg, err := NewRegistry(dir)
		if err != nil {
			t.Fatal(err)
		}
		t1, err := reg.Lookup("reviews")
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := t1.Tokenizer().TokenID("[PAD]"); !ok {
			t.Fatal("the BERT tokenizer has no [PAD]")
		}
		writeAtomically(t, tokPath, other)
		t2, err := reg.Lookup("reviews")
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := t2.Tokenizer().TokenID("[PAD]"); ok || t2 == t1 {
			t.Errorf("%s replaced, but Lookup kept the old tokenizer (same snapshot: %v)", tokPath, t2 == t1)
		}
	}
	t.Run("task.json", func(t *testing.T) {
		dir := t.TempDir()
		folder := filepath.Join(dir, "reviews")
		if err := os.MkdirAll(folder, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, f := range []string{"model.onnx", "tokenizer.json"} {
			b, err := os.ReadFile(filepath.Join(src, f))
			if err != nil {
				t.Fatal(err)
			}
			writeAtomically(t, filepath.Join(folder, f), b)
		}
		writeAtomically(t, filepath.Join(folder, "task.json"), []byte(`{"inputs":[{"name":"input_ids","type":"text","columns":["text"]}],
			"output":"logits","scores":"logits","labels":["negative","positive"]}`))
		check(t, dir, filepath.Join(folder, "tokenizer.json"))
	})
	t.Run("hf-override", func(t *testing.T) {
		dir := t.TempDir()
		folder := copyHF(t, "bert_sentiment", dir, "reviews")
		b, err := os.ReadFile(filepath.Join(folder, "tokenizer.json"))
		if err != nil {
			t.Fatal(err)
		}
		writeAtomically(t, filepath.Join(folder, "tok2.json"), b)
		writeAtomically(t, filepath.Join(folder, "task.json"), []byte(`{"tokenizer":"tok2.json"}`))
		check(t, dir, filepath.Join(folder, "tok2.json"))
	})
}

// twoIrisVersions makes two whole versions of a task in store: v1 the iris task, v2
// another model whose first label is "WIDE_A". It returns their folders and iris's
// model sum.
func twoIrisVersions(t *testing.T, store string) (v1, v2, irisSum string) {
	t.Helper()
	v1, v2 = filepath.Join(store, "v1"), filepath.Join(store, "v2")
	copyTask(t, "tasks/iris", v1)
	copyTask(t, "tasks/iris", v2)
	irisModel, err := os.ReadFile(filepath.Join(v1, "model.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	wide, err := onnxbuild.WideMLP(onnxbuild.WideMLPConfig{Inputs: 4, Width: 8, Layers: 1, Classes: 3, Seed: 3, InputName: "features"})
	if err != nil {
		t.Fatal(err)
	}
	writeAtomically(t, filepath.Join(v2, "model.onnx"), wide)
	cfg, err := os.ReadFile(filepath.Join(v1, "task.json"))
	if err != nil {
		t.Fatal(err)
	}
	writeAtomically(t, filepath.Join(v2, "task.json"), bytes.Replace(cfg, []byte(`"setosa"`), []byte(`"WIDE_A"`), 1))
	return v1, v2, sha(irisModel)
}

// inBackground calls step(0), step(1), … on another goroutine until the returned stop
// is called; stop returns once the step in progress has ended. step returns false to
// end the loop itself.
func inBackground(step func(i int) bool) (stop func()) {
	quit := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; ; i++ {
			select {
			case <-quit:
				return
			default:
			}
			if !step(i) {
				return
			}
		}
	}()
	return func() { close(quit); <-done }
}

// neverMixed runs swap(i) for i = 0, 1, … in the background for 3 s while it binds the
// task named flowers and loads a session the way a query does: every session must run
// one version's model with that version's labels.
func neverMixed(t *testing.T, reg *Registry, irisSum string, swap func(i int)) {
	t.Helper()
	defer inBackground(func(i int) bool { swap(i); return true })()
	pool := NewPool(FlavorCPU)
	defer pool.Close()
	checked := 0
	for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline); {
		task, err := reg.Lookup("flowers")
		if err != nil {
			continue
		}
		err = pool.Check(context.Background(), task) // a query's bind: pins the model
		var s *Session
		if err == nil {
			s, err = pool.Session(context.Background(), task, Placement{Device: "cpu", Threads: 1})
		}
		if errors.Is(err, ErrTaskChanged) || errors.Is(err, ErrTaskConfig) {
			continue // the query is told to rerun, or sees the folder mid-swap
		}
		if err != nil {
			t.Fatal(err)
		}
		fp, _ := s.Task().Fingerprint()
		if (fp == irisSum) != (s.Task().Config.Labels[0] == "setosa") {
			t.Fatalf("a session runs model %s with labels %v (after %d consistent ones)", fp[:12], s.Task().Config.Labels, checked)
		}
		checked++
	}
	if checked < 5 {
		t.Fatalf("only %d sessions checked", checked)
	}
}

// A task folder swapped by a symlink flip (Kubernetes volumes, blue/green deploys) is
// one version or the other at every instant; so is every session.
func TestSymlinkSwapNeverMixesVersions(t *testing.T) {
	dir := t.TempDir()
	v1, v2, irisSum := twoIrisVersions(t, t.TempDir())
	link := filepath.Join(dir, "flowers")
	if err := os.Symlink(v1, link); err != nil {
		t.Fatal(err)
	}
	reg, err := NewRegistry(dir)
	if err != nil {
		t.Fatal(err)
	}
	neverMixed(t, reg, irisSum, func(i int) {
		target, tmp := v1, link+".tmp"
		if i%2 == 1 {
			target = v2
		}
		os.Remove(tmp)
		if os.Symlink(target, tmp) == nil {
			os.Rename(tmp, link)
		}
	})
}

// A task folder replaced by directory renames (mv flowers old; mv new flowers) keeps its
// path, unlike a symlink flip: a snapshot read across the swap took one version's
// task.json and the other's model, and the model pin then vouched for it.
func TestDirectoryRenameSwapNeverMixesVersions(t *testing.T) {
	dir, store := t.TempDir(), t.TempDir()
	v1, v2, irisSum := twoIrisVersions(t, store)
	folder := filepath.Join(dir, "flowers")
	if err := os.Rename(v1, folder); err != nil {
		t.Fatal(err)
	}
	reg, err := NewRegistry(dir)
	if err != nil {
		t.Fatal(err)
	}
	// store holds the version not in use; flowers is missing only between two renames.
	spare := map[int]string{0: v2, 1: v1}
	neverMixed(t, reg, irisSum, func(i int) {
		old := filepath.Join(store, "old")
		if os.Rename(folder, old) != nil {
			return
		}
		os.Rename(spare[i%2], folder)
		os.Rename(old, spare[(i+1)%2])
	})
}

// A task folder removed (or its model deleted) while a query runs is the task changing
// under the query, as a replaced model is: the query's next model load says to rerun,
// not that the folder is misconfigured.
func TestModelRemovedMidQueryIsChange(t *testing.T) {
	for _, remove := range []string{"folder", "model"} {
		t.Run(remove, func(t *testing.T) {
			dir := t.TempDir()
			folder := filepath.Join(dir, "flowers")
			copyTask(t, "tasks/iris", folder)
			reg, err := NewRegistry(dir)
			if err != nil {
				t.Fatal(err)
			}
			task, err := reg.Lookup("flowers")
			if err != nil {
				t.Fatal(err)
			}
			pool := NewPool(FlavorCPU)
			defer pool.Close()
			if err := pool.Check(context.Background(), task); err != nil { // the query's bind
				t.Fatal(err)
			}
			target := folder
			if remove == "model" {
				target = filepath.Join(folder, "model.onnx")
			}
			if err := os.RemoveAll(target); err != nil {
				t.Fatal(err)
			}
			_, err = pool.Session(context.Background(), task, Placement{Device: "cpu", Instance: 1, Threads: 1}) // a second slot loads
			if !errors.Is(err, ErrTaskChanged) || !strings.Contains(err.Error(), "rerun") {
				t.Fatalf("got %v, want ErrTaskChanged", err)
			}
		})
	}
}
