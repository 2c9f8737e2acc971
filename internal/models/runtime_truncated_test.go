package models

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// A libonnxruntime.so.1 cut short (an interrupted or disk-full `make setup`: both
// copies are written in place, and a failed per-user copy is left behind with setup
// exiting 0) crashed the process with SIGBUS inside dlopen, a Go stack dump and exit
// status 2, even for SELECT * FROM ml_devices(), instead of the ErrRuntime error with
// the `make setup` hint.
func TestTruncatedLibraryIsAnError(t *testing.T) {
	if os.Getenv("DUCKINFER_TEST_TRUNCATED_CHILD") == "1" {
		_, err := InitRuntime(FlavorCPU)
		fmt.Printf("InitRuntime: %v\n", err)
		os.Exit(0)
	}
	lib, err := filepath.Abs("../../lib/ort/cpu/libonnxruntime.so.1")
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(lib)
	if err != nil {
		t.Skipf("run make setup: %v", err)
	}
	cut := filepath.Join(t.TempDir(), "libonnxruntime.so.1")
	if err := os.WriteFile(cut, b[:8<<20], 0o644); err != nil { // what `ulimit -f 8192` leaves
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run", "^TestTruncatedLibraryIsAnError$")
	cmd.Env = append(os.Environ(), "DUCKINFER_TEST_TRUNCATED_CHILD=1", LibraryEnv+"="+cut)
	out, err := cmd.CombinedOutput()
	s := string(out)
	if err != nil || !strings.Contains(s, "InitRuntime: ") || !strings.Contains(s, "make setup") {
		if i := strings.Index(s, "\ngoroutine "); i > 0 {
			s = s[:i]
		}
		t.Fatalf("a truncated library (%d of %d bytes): %v; want an error with the make setup hint, got:\n%s", 8<<20, len(b), err, s)
	}
}
