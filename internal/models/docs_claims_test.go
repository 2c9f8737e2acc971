package models

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// README, "Bring a Hugging Face model": "A task.json in the folder overrides any field
// of the task the folder stands for: ... "kind" ("classify" or "embed") ...". A
// classifier folder whose task.json says only {"kind": "embed"} should become an embed
// task; the labels and scores the folder's id2label implied belong to the classify
// reading it replaced.
func TestHFKindOverrideEmbed(t *testing.T) {
	root := t.TempDir()
	dst := copyHF(t, "bert_sentiment", root, "bert_sentiment")
	if err := os.WriteFile(filepath.Join(dst, "task.json"), []byte(`{"kind": "embed"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	reg, err := NewRegistry(root)
	if err != nil {
		t.Fatal(err)
	}
	task, err := reg.Lookup("bert_sentiment")
	if err != nil {
		t.Fatalf(`README says task.json may override "kind" to "embed"; {"kind": "embed"} over a classifier folder fails: %v`, err)
	}
	if task.Config.Kind != OutputEmbed || len(task.Config.Labels) != 0 || task.Config.Output == "logits" {
		t.Fatalf("kind %q, labels %v, output %q: want an embed task without the classifier's labels and logits", task.Config.Kind, task.Config.Labels, task.Config.Output)
	}
	// A classify-only field the user did write is still the user's mistake, and the
	// error says the fields may come from task.json.
	if err := os.WriteFile(filepath.Join(dst, "task.json"), []byte(`{"kind": "embed", "labels": ["a", "b"]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	reg, err = NewRegistry(root)
	if err == nil {
		_, err = reg.Lookup("bert_sentiment")
	}
	if err == nil || !strings.Contains(err.Error(), "task.json") {
		t.Fatalf("labels on an embed task: got %v, want an error naming task.json", err)
	}
}

// DUCKINFER_ORT_LIB is a file path also without a slash: a bare name would be handed
// to dlopen, which searches the loader's path and never the working directory.
func TestORTLibEnvIsAPath(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	t.Setenv(LibraryEnv, "myort.so")
	c := LibraryCandidates(FlavorCPU)
	if len(c) != 1 || c[0] != filepath.Join(dir, "myort.so") {
		t.Fatalf("candidates %q, want only %s", c, filepath.Join(dir, "myort.so"))
	}
}

// README, Configuration: the library is found at "$DUCKINFER_ORT_LIB (a file path; when
// it names no file, that is the error, with no search elsewhere)". A relative path
// without a slash (DUCKINFER_ORT_LIB=myort.so, the file in the working directory) is
// handed to dlopen as a bare name, which searches the loader's path and never the
// working directory: loading an existing file fails with "No such file or directory".
func TestORTLibRelativePathLoads(t *testing.T) {
	if _, ok := Runtime(); ok {
		t.Skip("ONNX Runtime already loaded in this process; run this test alone (-run)")
	}
	lib, err := filepath.Abs(filepath.Join("..", "..", "lib", "ort", "cpu", "libonnxruntime.so.1"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(lib); err != nil {
		t.Skipf("no ONNX Runtime library: %v", err)
	}
	dir := t.TempDir()
	if err := os.Symlink(lib, filepath.Join(dir, "myort.so")); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	t.Setenv(LibraryEnv, "myort.so")
	if _, err := os.Stat("myort.so"); err != nil {
		t.Fatal(err)
	}
	if _, err := InitRuntime(FlavorCPU); err != nil {
		t.Fatalf("DUCKINFER_ORT_LIB=myort.so names an existing file in the working directory, yet: %v", err)
	}
}
