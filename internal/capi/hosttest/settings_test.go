package hosttest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// SET duckinfer_models names task folders for the session that sets it: a task in
// such a folder is unknown before, listed and usable after, and another connection
// without the setting does not see it; SET GLOBAL reaches new connections.
func TestModelsSetting(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(root(t), "testdata", "tasks", "noop")
	if err := os.MkdirAll(filepath.Join(dir, "mynoop"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"task.json", "model.onnx"} {
		b, err := os.ReadFile(filepath.Join(src, f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "mynoop", f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	forEachHost(t, func(t *testing.T, k hostKind) {
		h := k.start(t, ":memory:", nil)
		defer closeHost(t, h)
		q := "SELECT count(*) FROM ml_tasks() WHERE name = 'mynoop'"
		if got := count(t, h, "a", q); got != 0 {
			t.Fatalf("mynoop is listed before the setting")
		}
		r, err := h.Query("a", "SELECT * FROM ml_predict('mynoop', 'SELECT ''x'' AS text')")
		if err != nil || r.OK || !strings.Contains(r.Error, "mynoop") {
			t.Fatalf("an unknown task: ok=%v %q %v", r.OK, r.Error, err)
		}
		mustQuery(t, h, "a", "SET duckinfer_models = '"+dir+"'")
		if got := count(t, h, "a", q); got != 1 {
			t.Errorf("mynoop is not listed after SET duckinfer_models")
		}
		if got := mustQuery(t, h, "a", "SELECT predicted_class FROM ml_predict('mynoop', 'SELECT ''x'' AS text')").Value(0, 0); got != "a" && got != "b" {
			t.Errorf("mynoop predicted %q", got)
		}
		if got := count(t, h, "other", q); got != 0 {
			t.Errorf("a connection without the setting sees mynoop")
		}
		mustQuery(t, h, "a", "SET GLOBAL duckinfer_models = '"+dir+"'")
		if got := count(t, h, "third", q); got != 1 {
			t.Errorf("a new connection does not see mynoop after SET GLOBAL")
		}
	})
}

// ONNX Runtime beside the extension file comes first: a copy of the extension with
// lib/ort/cpu/ next to it loads the library from there (ml_devices says which). The
// copy has no companion beside it, which leaves the catalog form only.
func TestRuntimeBesideExtension(t *testing.T) {
	dir := t.TempDir()
	b, err := os.ReadFile(extPath)
	if err != nil {
		t.Fatal(err)
	}
	ext := filepath.Join(dir, "duckinfer.duckdb_extension")
	if err := os.WriteFile(ext, b, 0o644); err != nil {
		t.Fatal(err)
	}
	lib := filepath.Join(dir, "lib", "ort", "cpu")
	if err := os.MkdirAll(lib, 0o755); err != nil {
		t.Fatal(err)
	}
	src, err := filepath.EvalSymlinks(filepath.Join(root(t), "lib", "ort", "cpu", "libonnxruntime.so.1"))
	if err != nil {
		t.Fatalf("ONNX Runtime is not installed (make setup): %v", err)
	}
	if err := os.Symlink(src, filepath.Join(lib, "libonnxruntime.so.1")); err != nil {
		t.Fatal(err)
	}
	saved := extPath
	extPath = ext
	defer func() { extPath = saved }()
	forEachHost(t, func(t *testing.T, k hostKind) {
		h := k.start(t, ":memory:", nil)
		defer closeHost(t, h)
		got := mustQuery(t, h, "a", "SELECT runtime FROM ml_devices()").Value(0, 0)
		if !strings.Contains(got, lib) {
			t.Errorf("ml_devices() runtime %q; want the library in %s", got, lib)
		}
		// This copy has no companion beside it: on DuckDB 2.0.0 the LOAD still works,
		// with the catalog form only.
		if n := count(t, h, "a", "SELECT count(*) FROM duckdb_functions() WHERE database_name = 'system' AND function_name = 'ml_predict'"); n != 0 {
			t.Errorf("%d system ml_predict macros without the companion file", n)
		}
		if n := count(t, h, "a", "SELECT count(*) FROM duckinfer.ml_predict('sentiment', 'SELECT ''fine'' AS text')"); n != 1 {
			t.Errorf("the catalog form gave %d rows", n)
		}
	})
}
