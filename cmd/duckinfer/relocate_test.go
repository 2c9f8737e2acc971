package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// After `make setup`, the binary works from any directory and when copied to another
// folder: it finds ONNX Runtime in the per-user location setup installs. Without it,
// the error lists where it looked and how to fix it.
func TestBinaryWorksCopiedAnywhere(t *testing.T) {
	lib, err := filepath.Abs("../../lib/ort/cpu/libonnxruntime.so.1")
	if err != nil || !fileExists(lib) {
		t.Fatalf("run `make setup` first: %s is missing", lib)
	}
	copied := filepath.Join(t.TempDir(), "tools", "duckinfer")
	copyFile(t, binPath(t), copied, 0o755)
	home := t.TempDir()
	copyFile(t, lib, filepath.Join(home, ".local", "share", "duckinfer", "ort", "cpu", "libonnxruntime.so.1"), 0o644)

	run := func(home string) (string, string, int) {
		cmd := exec.Command(copied, "-csv", "-c", `SELECT predicted_class FROM ml_predict('sentiment', 'SELECT ''a wonderful, great film'' AS text')`)
		cmd.Dir = t.TempDir()
		for _, kv := range os.Environ() {
			if !strings.HasPrefix(kv, "DUCKINFER_ORT_LIB=") && !strings.HasPrefix(kv, "XDG_DATA_HOME=") && !strings.HasPrefix(kv, "HOME=") {
				cmd.Env = append(cmd.Env, kv)
			}
		}
		cmd.Env = append(cmd.Env, "HOME="+home)
		var out, errOut strings.Builder
		cmd.Stdout, cmd.Stderr = &out, &errOut
		err := cmd.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return out.String(), errOut.String(), code
	}
	if out, stderr, code := run(home); code != 0 || out != "predicted_class\npositive\n" {
		t.Fatalf("copied binary with the per-user library: exit %d, stdout %q, stderr:\n%s", code, out, stderr)
	}
	empty := t.TempDir()
	_, stderr, code := run(empty)
	want := filepath.Join(empty, ".local", "share", "duckinfer", "ort", "cpu", "libonnxruntime.so.1")
	if code == 0 || !strings.Contains(stderr, "looked in:") || !strings.Contains(stderr, want) || !strings.Contains(stderr, "make setup") {
		t.Fatalf("without any library: exit %d, want an error listing %s and the fix; stderr:\n%s", code, want, stderr)
	}
}

func copyFile(t *testing.T, from, to string, mode os.FileMode) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, mode); err != nil {
		t.Fatal(err)
	}
}
