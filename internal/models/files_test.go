package models

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// within runs f and fails the test if it has not returned after d; a hung f is left
// behind (it cannot be stopped), so the rest of the test does not wait for it.
func within(t *testing.T, d time.Duration, what string, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	select {
	case <-done:
	case <-time.After(d):
		t.Fatalf("%s did not return within %v", what, d)
	}
}

// A model path that is not a regular file is refused before it is read: /dev/zero
// used to grow the process without bound and a FIFO to block forever.
func TestModelFileMustBeRegular(t *testing.T) {
	dir := t.TempDir()
	iris, _ := shippedTasks.ReadFile("tasks/iris/model.onnx")
	irisCfg, _ := shippedTasks.ReadFile("tasks/iris/task.json")
	elsewhere := filepath.Join(t.TempDir(), "real.onnx")
	os.WriteFile(elsewhere, iris, 0o644)

	cases := []struct {
		name  string
		model func(path string) error // makes model.onnx
		want  string
	}{
		{"devzero", func(p string) error { return os.Symlink("/dev/zero", p) }, "is a character device, not a regular file"},
		{"fifo", func(p string) error { return syscall.Mkfifo(p, 0o644) }, "is a FIFO (named pipe), not a regular file"},
		{"folder", func(p string) error { return os.Mkdir(p, 0o755) }, "is a directory, not a regular file"},
		{"empty", func(p string) error { return os.WriteFile(p, nil, 0o644) }, "is empty"},
		{"huge", func(p string) error {
			// Sparse: takes no disk, but its size says it cannot be a protobuf.
			f, err := os.Create(p)
			if err != nil {
				return err
			}
			defer f.Close()
			return f.Truncate(MaxModelBytes + 1)
		}, "is 2147483649 bytes, over the limit of 2048 MiB"},
		{"linked", func(p string) error { return os.Symlink(elsewhere, p) }, ""},
	}
	for _, tc := range cases {
		os.MkdirAll(filepath.Join(dir, tc.name), 0o755)
		os.WriteFile(filepath.Join(dir, tc.name, "task.json"), irisCfg, 0o644)
		if err := tc.model(filepath.Join(dir, tc.name, "model.onnx")); err != nil {
			t.Fatal(err)
		}
	}
	// task.json gets the same treatment: a FIFO there must not hang the registry.
	os.MkdirAll(filepath.Join(dir, "fifojson"), 0o755)
	if err := syscall.Mkfifo(filepath.Join(dir, "fifojson", "task.json"), 0o644); err != nil {
		t.Fatal(err)
	}

	var reg *Registry
	within(t, 10*time.Second, "NewRegistry", func() {
		var err error
		if reg, err = NewRegistry(dir); err != nil {
			t.Error(err)
		}
	})
	within(t, 10*time.Second, "Lookup(fifojson)", func() {
		_, err := reg.Lookup("fifojson")
		path := filepath.Join(dir, "fifojson", "task.json")
		if !errors.Is(err, ErrTaskConfig) || !strings.Contains(err.Error(), path+" is a FIFO") {
			t.Errorf("fifojson: got %v, want ErrTaskConfig naming %s as a FIFO", err, path)
		}
	})
	pool := NewPool(FlavorCPU)
	defer pool.Close()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			task, err := reg.Lookup(tc.name)
			if err != nil {
				t.Fatal(err)
			}
			within(t, 10*time.Second, "Check", func() { err = pool.Check(context.Background(), task) })
			if tc.want == "" {
				if err != nil {
					t.Fatalf("a symlink to a regular model file: %v", err)
				}
				return
			}
			path := filepath.Join(dir, tc.name, "model.onnx")
			if !errors.Is(err, ErrTaskConfig) || !strings.Contains(err.Error(), path+" ") || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want ErrTaskConfig naming %s and saying %q", err, path, tc.want)
			}
			within(t, 10*time.Second, "Session", func() { _, err = pool.Session(context.Background(), task, Placement{Device: "cpu"}) })
			if !errors.Is(err, ErrTaskConfig) {
				t.Fatalf("session: got %v", err)
			}
		})
	}
}
