package hosttest

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
)

var lifecycle struct {
	once sync.Once
	path string
	err  error
}

// runLifecycle runs hosts/c/lifecycle.c (built once) with env added, and returns its
// output.
func runLifecycle(t *testing.T, env []string, args ...string) string {
	t.Helper()
	lifecycle.once.Do(func() {
		lifecycle.path, lifecycle.err = buildCProgram(tmpDir, "lifecycle", filepath.Join(root(t), "internal", "capi", "hosts", "c", "lifecycle.c"))
	})
	if lifecycle.err != nil {
		t.Fatal(lifecycle.err)
	}
	cmd := exec.Command(lifecycle.path, args...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("lifecycle %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// A closed database frees the models it loaded: DuckDB frees each function's extra
// info, and the last frees the database's state. Before, every database that ran a
// prediction left its sessions behind (a small BERT and the sentiment model: 80
// sessions after 40 databases, resident memory 170 → 430 MB from the 10th to the
// 40th; since: 0 sessions, 88 → 93 MB), so a host opening one per request (Python's
// duckdb.connect()) grew without end. Asserted on the sessions still loaded
// (ml_stats().process_sessions from a fresh database), which is exact; the resident
// memory is only logged, since the allocator moves it.
func TestExtensionFreesClosedDatabases(t *testing.T) {
	out := runLifecycle(t, []string{"DUCKINFER_MODELS=" + taskDirs(t)}, "leak", extPath, "40", "predict")
	m := regexp.MustCompile(`sessions (\d+)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("lifecycle leak printed no session count:\n%s", out)
	}
	if m[1] != "0" {
		t.Errorf("after 40 databases each ran two models and closed, %s sessions are still loaded", m[1])
	}
	rss := regexp.MustCompile(`iter (\d+) rss_kb (\d+)`).FindAllStringSubmatch(out, -1)
	if len(rss) >= 2 {
		first, _ := strconv.Atoi(rss[1][2])
		last, _ := strconv.Atoi(rss[len(rss)-1][2])
		t.Logf("resident memory from database %s to %s: %d → %d KiB", rss[1][1], rss[len(rss)-1][1], first, last)
	}
}

// $DUCKINFER_MODELS is read from the process's environment as it is at each bind, not
// from the copy the Go runtime took at the first LOAD.
func TestExtensionSeesModelsSetAfterLoad(t *testing.T) {
	out := runLifecycle(t, nil, "env", extPath, taskDirs(t))
	if strings.TrimSpace(out) != "1" {
		t.Errorf("a database LOADed after the host set DUCKINFER_MODELS does not see its tasks:\n%s", out)
	}
}

// A child forked after the parent predicted can LOAD and predict on its own.
func TestExtensionInForkedChild(t *testing.T) {
	out := runLifecycle(t, []string{"DUCKINFER_MODELS=" + taskDirs(t)}, "fork", extPath)
	if want := "4096\n4096\nchild exit 0\n"; out != want {
		t.Errorf("fork: got %q, want %q", out, want)
	}
}

// A LOAD that fails (here: a read-only database holds the catalog name) leaves nothing
// registered, so a LOAD after the cause is gone works. Before, the retry failed on
// the setting the first attempt had registered.
func TestExtensionLoadAfterFailedLoad(t *testing.T) {
	forEachHost(t, func(t *testing.T, k hostKind) {
		h := k.start(t, ":memory:", nil)
		defer closeHost(t, h)
		f := filepath.Join(t.TempDir(), "other.duckdb")
		mustQuery(t, h, "N1", "ATTACH '"+f+"' AS duckinfer")
		mustQuery(t, h, "N1", "DETACH duckinfer")
		mustQuery(t, h, "N1", "ATTACH '"+f+"' AS duckinfer (READ_ONLY)")
		if r, _ := h.Query("a", "SELECT 1"); r.OK || !strings.Contains(r.Error, "a database named duckinfer is attached already") {
			t.Fatalf("LOAD beside a read-only database named duckinfer: ok=%v %s", r.OK, firstLine(r.Error))
		}
		mustQuery(t, h, "N1", "DETACH duckinfer")
		r := mustQuery(t, h, "b", "SELECT predicted_class FROM duckinfer.ml_predict('sentiment', 'SELECT ''I loved it'' AS text')")
		if got := r.Value(0, 0); got != "positive" {
			t.Errorf("after the retried LOAD: %q", got)
		}
	})
}

// A file named duckinfer.duckdb (whose catalog takes the name the extension keeps its
// macros under) is refused at LOAD rather than have the macros written into it.
func TestExtensionRefusesDatabaseNamedDuckinfer(t *testing.T) {
	forEachHost(t, func(t *testing.T, k hostKind) {
		path := filepath.Join(t.TempDir(), "duckinfer.duckdb")
		h := k.start(t, path, nil)
		defer closeHost(t, h)
		if r, _ := h.Query("a", "SELECT 1"); r.OK || !strings.Contains(r.Error, "attach or open that file under another name") {
			t.Errorf("LOAD in duckinfer.duckdb: ok=%v %s", r.OK, firstLine(r.Error))
		}
		// A connection that does not LOAD sees what is in the file.
		r := mustQuery(t, h, "N1", "SELECT count(*) FROM duckdb_functions() WHERE database_name = 'duckinfer' AND function_name IN ('ml_predict', 'predict', 'ml_embed', 'embed')")
		if got := r.Value(0, 0); got != "0" {
			t.Errorf("%s macros were written into the user's file", got)
		}
	})
}

// String arguments with a NUL byte are refused (the C API would cut them there: the
// task name below ran as 'sentiment'), and an error message quoting one keeps what
// follows it.
func TestExtensionNULBytes(t *testing.T) {
	forEachHost(t, func(t *testing.T, k hostKind) {
		h := k.start(t, ":memory:", nil)
		defer closeHost(t, h)
		for _, q := range []string{
			"SELECT predicted_class FROM ml_predict('sentiment' || chr(0) || 'garbage', 'SELECT ''I loved it'' AS text')",
			"SELECT predicted_class FROM ml_predict('sentiment', 'SELECT ''I loved it'' AS text' || chr(0) || ' WHERE false')",
			"SELECT predicted_class FROM ml_predict('sentiment', 'SELECT ''I loved it'' AS text', on_error := 'null' || chr(0))",
		} {
			if r, _ := h.Query("a", q); r.OK || !strings.Contains(r.Error, "holds a NUL byte") {
				t.Errorf("%s: ok=%v %s", q, r.OK, firstLine(r.Error))
			}
		}
		mustQuery(t, h, "a", `CREATE TABLE p AS PIVOT (SELECT 'x' || chr(0) || 'y' AS k, 1 AS v) ON k USING first(v)`)
		if r, _ := h.Query("a", `SELECT * FROM ml_predict('sentiment', 'p')`); r.OK || !strings.Contains(r.Error, `x\x00y`) || !strings.Contains(r.Error, "name the input column(s) that feed the task") {
			t.Errorf("the error message was cut at the NUL byte: %q", firstLine(r.Error))
		}
	})
}

// ml_stats() and ml_errors() through a prepared statement show the counters as they
// are at each EXECUTE (DuckDB 1.5 binds a prepared statement once).
func TestExtensionPreparedTablesAreCurrent(t *testing.T) {
	forEachHost(t, func(t *testing.T, k hostKind) {
		h := k.start(t, ":memory:", nil)
		defer closeHost(t, h)
		mustQuery(t, h, "a", "PREPARE s AS SELECT rows_inferred FROM ml_stats()")
		mustQuery(t, h, "a", "PREPARE e AS SELECT count(*) FROM ml_errors()")
		mustQuery(t, h, "a", "SELECT count(*) FROM ml_predict('iris', 'SELECT ''nan''::DOUBLE AS sepal_length, 3.0 AS sepal_width, 1.4 AS petal_length, 0.2 AS petal_width UNION ALL SELECT 5, 3, 1.4, 0.2', on_error := 'null') WHERE predicted_class IS NULL")
		direct := mustQuery(t, h, "a", "SELECT rows_inferred FROM ml_stats()").Value(0, 0)
		for range 2 {
			if got := mustQuery(t, h, "a", "EXECUTE s").Value(0, 0); got != direct || direct == "0" {
				t.Errorf("prepared ml_stats: rows_inferred %s, now %s", got, direct)
			}
			if got := mustQuery(t, h, "a", "EXECUTE e").Value(0, 0); got != "1" {
				t.Errorf("prepared ml_errors: %s rows, want 1", got)
			}
		}
	})
}
