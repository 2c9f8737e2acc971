package hosttest

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// extPath is the extension built once for this test binary, in tmpDir.
var extPath, tmpDir string

func TestMain(m *testing.M) {
	// The hosts inherit the environment; the expected results are the shipped tasks'.
	os.Unsetenv("DUCKINFER_MODELS")
	dir, err := os.MkdirTemp("", "duckinfer-ext-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	tmpDir = dir
	extPath, err = BuildExtension(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func root(t testing.TB) string {
	t.Helper()
	r, err := RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// taskDirs are the fixture task folders the SQL files use, as $DUCKINFER_MODELS.
func taskDirs(t testing.TB) string {
	r := root(t)
	return filepath.Join(r, "testdata", "tasks") + ":" + filepath.Join(r, "testdata", "torch") + ":" + filepath.Join(r, "testdata", "hf", "models")
}

// startNode starts the Node host (hosts/node/host.mjs) on db (":memory:" or a file)
// with DuckDB options; it fails the test when Node or `make setup`'s npm install is
// missing.
func startNode(t testing.TB, db string, opts map[string]string) *Host {
	t.Helper()
	return startNodeWith(t, db, opts)
}

// startNodeWith is startNode with more environment variables for the host.
func startNodeWith(t testing.TB, db string, opts map[string]string, env ...string) *Host {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("node is not installed (apt-get install nodejs npm, then make setup): %v", err)
	}
	script := filepath.Join(root(t), "internal", "capi", "hosts", "node", "host.mjs")
	if _, err := os.Stat(filepath.Join(filepath.Dir(script), "node_modules", "@duckdb", "node-api")); err != nil {
		t.Fatalf("@duckdb/node-api is not installed; run make setup (npm ci in %s)", filepath.Dir(script))
	}
	o, _ := json.Marshal(opts)
	h, err := startEnv(append([]string{"DUCKINFER_MODELS=" + taskDirs(t)}, env...), node, script, extPath, db, string(o))
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func startEnv(env []string, name string, args ...string) (*Host, error) {
	return startWith(func(c *exec.Cmd) { c.Env = append(os.Environ(), env...) }, name, args...)
}

// mustQuery runs sql on conn and fails the test on an error.
func mustQuery(t testing.TB, h *Host, conn, sql string) Result {
	t.Helper()
	r, err := h.Query(conn, sql)
	if err != nil {
		t.Fatal(err)
	}
	if !r.OK {
		t.Fatalf("%s: %s", firstLine(sql), r.Error)
	}
	return r
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}

// closeHost checks that the host exits cleanly (status 0, no crash) after its work.
func closeHost(t testing.TB, h *Host) {
	t.Helper()
	if err := h.Close(); err != nil {
		t.Errorf("the host did not exit cleanly: %v", err)
	}
}

// A host kind starts a host process on db with DuckDB options. Connection ids starting
// with 'B' are on a second database of the same process, ids starting with 'N' do not
// LOAD the extension.
type hostKind struct {
	name  string
	start func(t testing.TB, db string, opts map[string]string) *Host
}

var hostKinds = []hostKind{{"node", startNode}, {"duckdb2", startC}}

var cHost struct {
	once sync.Once
	path string
	err  error
}

// startC starts the C host linked against DuckDB 2.0's static library.
func startC(t testing.TB, db string, opts map[string]string) *Host {
	t.Helper()
	return startCWith(t, db, opts)
}

// startCWith is startC with more environment variables for the host.
func startCWith(t testing.TB, db string, opts map[string]string, env ...string) *Host {
	t.Helper()
	cHost.once.Do(func() { cHost.path, cHost.err = BuildCHost(tmpDir) })
	if cHost.err != nil {
		t.Fatal(cHost.err)
	}
	args := []string{extPath, db}
	for k, v := range opts {
		args = append(args, k+"="+v)
	}
	h, err := startEnv(append([]string{"DUCKINFER_MODELS=" + taskDirs(t)}, env...), cHost.path, args...)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// forEachHost runs f as a subtest per host kind.
func forEachHost(t *testing.T, f func(t *testing.T, k hostKind)) {
	for _, k := range hostKinds {
		t.Run(k.name, func(t *testing.T) { f(t, k) })
	}
}
