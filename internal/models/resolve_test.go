package models

import (
	"bytes"
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

// A task folder swapped by a symlink flip (every instant on disk is one complete
// version) never gives a session one version's labels with the other's model: the
// snapshot reads every file through the folder's resolved path. Before, the review
// saw a mixed session within a few lookups.
func TestSymlinkSwapNeverMixesVersions(t *testing.T) {
	dir, store := t.TempDir(), t.TempDir()
	v1, v2 := filepath.Join(store, "v1"), filepath.Join(store, "v2")
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
	link := filepath.Join(dir, "flowers")
	if err := os.Symlink(v1, link); err != nil {
		t.Fatal(err)
	}
	reg, err := NewRegistry(dir)
	if err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() { // flowers is v1 or v2, whole, at every instant
		defer close(done)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			target, tmp := v1, link+".tmp"
			if i%2 == 1 {
				target = v2
			}
			os.Remove(tmp)
			if os.Symlink(target, tmp) == nil {
				os.Rename(tmp, link)
			}
		}
	}()
	defer func() { close(stop); <-done }()
	pool := NewPool(FlavorCPU)
	defer pool.Close()
	irisSum := sha(irisModel)
	checked := 0
	for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline); {
		task, err := reg.Lookup("flowers")
		if err != nil {
			continue
		}
		err = pool.Check(task) // a query's bind: pins the model
		var s *Session
		if err == nil {
			s, err = pool.Session(task, Placement{Device: "cpu", Threads: 1})
		}
		if errors.Is(err, ErrTaskChanged) {
			continue // the query is told to rerun
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
