package hosttest

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// startNodeEnv starts the Node host with $DUCKINFER_MODELS set to models.
func startNodeEnv(t *testing.T, models string) *Host {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("node is not installed (apt-get install nodejs npm, then make setup): %v", err)
	}
	script := filepath.Join(root(t), "internal", "capi", "hosts", "node", "host.mjs")
	h, err := startEnv([]string{"DUCKINFER_MODELS=" + models}, node, script, extPath, ":memory:", "{}")
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// The shell idiom export DUCKINFER_MODELS=/my/tasks:$DUCKINFER_MODELS leaves a trailing
// ':' when the variable was empty. It failed every query of the extension, the built-in
// tasks' too, on a task folder "", where SET duckinfer_models skips the empty entry.
func TestModelsEnvTrailingSeparator(t *testing.T) {
	h := startNodeEnv(t, filepath.Join(root(t), "testdata", "torch")+":")
	defer closeHost(t, h)
	mustQuery(t, h, "a", "SELECT predicted_class FROM ml_predict('sentiment', 'SELECT ''I loved it'' AS text')")
	if r := mustQuery(t, h, "a", "SELECT count(*) FROM ml_tasks() WHERE name = 'torch_mixed'"); len(r.Rows) != 1 || r.Rows[0][0] == nil || *r.Rows[0][0] != "1" {
		t.Errorf("the env folder's task is not listed: %v", r.Rows)
	}
}

// A bad folder in $DUCKINFER_MODELS, with no SET duckinfer_models given, was reported as
// something to fix in SET duckinfer_models.
func TestModelsEnvErrorNamesTheVariable(t *testing.T) {
	h := startNodeEnv(t, "/nonexistent/duckinfer-tasks")
	defer closeHost(t, h)
	r, err := h.Query("a", "SELECT name FROM ml_tasks()")
	if err != nil {
		t.Fatal(err)
	}
	if r.OK || !strings.Contains(r.Error, "$DUCKINFER_MODELS") || strings.Contains(r.Error, "SET duckinfer_models") {
		t.Errorf("a missing folder in DUCKINFER_MODELS: ok=%v %s; want an error naming the variable only", r.OK, firstLine(r.Error))
	}
}
