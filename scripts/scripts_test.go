// Package scripts holds the set-up scripts the Makefile runs; its tests run them, and
// the Makefile targets around them, from the repository root.
package scripts

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// make vet's gofmt check lists files with `git ls-files`. Outside a usable git
// checkout (a source archive, or a checkout git refuses as "dubious ownership", common
// in CI containers) that list is empty, gofmt -l then reads its standard input: with
// stdin at EOF the check passes whatever the formatting; on a terminal it waits forever.
func TestVetGofmtOutsideGit(t *testing.T) {
	mk, err := os.ReadFile("../Makefile")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir() // no .git here or above (/tmp)
	if err := os.WriteFile(filepath.Join(dir, "Makefile"), mk, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "bad.go"), []byte("package x\nfunc   Bad( ) {}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Run("stdin at EOF", func(t *testing.T) {
		cmd := exec.Command("make", "vet", "GO=true")
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		if err == nil {
			t.Errorf("make vet passed with a misformatted bad.go outside git; want a failure naming it:\n%s", out)
		}
	})
	t.Run("stdin open (a terminal)", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		defer w.Close()
		defer r.Close()
		cmd := exec.CommandContext(ctx, "make", "vet", "GO=true")
		cmd.Dir = dir
		cmd.Stdin = r
		cmd.WaitDelay = time.Second
		out, _ := cmd.CombinedOutput()
		if ctx.Err() != nil {
			t.Errorf("make vet still waiting on its standard input after 15 s (gofmt -l with no files):\n%s", out)
		}
	})
}

// `make sqltest` ("run the SQL regression files alone") runs sql/*.test without the
// fixture task folders that go test ./internal/sqltest/ gives them (testdata/tasks,
// testdata/torch, testdata/hf/models), so on a clean checkout it fails three files on
// "unknown task".
func TestMakeSqltest(t *testing.T) {
	if testing.Short() {
		t.Skip("runs make sqltest")
	}
	cmd := exec.Command("make", "sqltest")
	cmd.Dir = ".."
	cmd.Env = append(os.Environ(), "DUCKINFER_MODELS=")
	out, err := cmd.CombinedOutput()
	if err != nil {
		var fails []string
		for _, l := range strings.Split(string(out), "\n") {
			if strings.HasPrefix(l, "FAIL ") || strings.Contains(l, "passed,") {
				fails = append(fails, l)
			}
		}
		unknown := strings.Count(string(out), "unknown task")
		t.Errorf("make sqltest on a clean checkout: %v; %s; %d \"unknown task\" errors", err, strings.Join(fails, "; "), unknown)
	}
}

// scripts/setup-ort.sh writes the per-user copy in place and only warns when that
// fails ("the checkout copy still works"), so a copy cut short (disk full, a file size
// limit, an interrupt) stays in ~/.local/share/duckinfer/ort/cpu/ and setup exits 0.
// Every binary or Go program outside the checkout then loads the broken file (and
// crashes with SIGBUS, see internal/models TestTruncatedLibraryIsAnError).
func TestFailedUserCopyLeavesNoBrokenLibrary(t *testing.T) {
	const libSHA = "ffb75a925ba05e47b235bb66e3e3911714a80b328a9c9425539feb204aa32a23"
	if _, err := os.Stat("../lib/ort/cpu/libonnxruntime.so.1"); err != nil {
		t.Skipf("run make setup: %v", err)
	}
	xdg := t.TempDir()
	// 8192 blocks of 512 bytes: the 45 MB library does not fit, as on a full disk.
	cmd := exec.Command("bash", "-c", "ulimit -f 8192; exec ./scripts/setup-ort.sh")
	cmd.Dir = ".."
	cmd.Env = append(os.Environ(), "XDG_DATA_HOME="+xdg)
	out, err := cmd.CombinedOutput()
	u := filepath.Join(xdg, "duckinfer", "ort", "cpu", "libonnxruntime.so.1")
	b, rerr := os.ReadFile(u)
	if rerr != nil {
		return // no per-user copy: the usual search goes on to the next place
	}
	sum := sha256.Sum256(b)
	if hex.EncodeToString(sum[:]) != libSHA {
		t.Errorf("setup-ort.sh exit %v, and left a %d-byte per-user copy with the wrong checksum at %s:\n%s", err, len(b), u, out)
	}
}
