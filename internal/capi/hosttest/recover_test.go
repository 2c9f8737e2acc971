package hosttest

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Pins a defect: a Go panic in a callback DuckDB makes into the extension unwound into
// the host's C frames and ended the host process. Each callback recovers it and fails
// only the query, with a message that says it is duckinfer's internal error; the host
// runs the next query. The extension is built with the duckinfer_testhooks tag, whose
// callbacks panic where $DUCKINFER_TEST_PANIC says.
func TestCallbackPanicFailsOnlyTheQuery(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("node is not installed (apt-get install nodejs npm, then make setup): %v", err)
	}
	ext, err := BuildExtensionTags(t.TempDir(), "duckinfer_testhooks")
	if err != nil {
		t.Fatal(err)
	}
	script := filepath.Join(root(t), "internal", "capi", "hosts", "node", "host.mjs")
	const (
		predict = "SELECT predicted_class FROM ml_predict('sentiment', 'SELECT ''I loved it'' AS text')"
		tasks   = "SELECT count(*) > 0 FROM ml_tasks()"
	)
	for _, c := range []struct{ site, query, next string }{
		{"scalar ml_infer", predict, tasks},
		{"scalar ml_keep_column", predict, tasks},
		{"bind ml_predict_sql", predict, tasks},
		{"bind ml_infer", predict, tasks},
		{"bind ml_tasks", tasks, predict},
		{"init ml_tasks", tasks, predict},
		{"scan ml_tasks", tasks, predict},
	} {
		t.Run(c.site, func(t *testing.T) {
			h, err := startEnv([]string{"DUCKINFER_MODELS=" + taskDirs(t), "DUCKINFER_TEST_PANIC=" + c.site}, node, script, ext, ":memory:", "{}")
			if err != nil {
				t.Fatal(err)
			}
			defer closeHost(t, h)
			r, err := h.Query("a", c.query)
			if err != nil {
				t.Fatalf("the panic took the host down: %v", err)
			}
			if r.OK || !strings.Contains(r.Error, "duckinfer: internal error in "+strings.Fields(c.site)[1]) ||
				!strings.Contains(r.Error, "test panic in "+c.site) || !strings.Contains(r.Error, "please report it") {
				t.Errorf("ok %v, error %q; want duckinfer's internal error with the panic value", r.OK, r.Error)
			}
			for _, q := range []string{c.next, "SELECT 42"} {
				if r := mustQuery(t, h, "a", q); r.Value(0, 0) != "true" && r.Value(0, 0) != "positive" && r.Value(0, 0) != "42" {
					t.Errorf("%s after the panic: %v", q, r.Rows)
				}
			}
		})
	}
}
