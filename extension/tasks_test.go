package extension

import (
	"bytes"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func copyShippedTask(t *testing.T, name, to string) {
	t.Helper()
	if err := os.MkdirAll(to, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"task.json", "model.onnx"} {
		b, err := os.ReadFile(filepath.Join("..", "internal", "models", "tasks", name, f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(to, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

type taskRow struct {
	source      string
	batchSize   sql.NullInt32
	fingerprint sql.NullString
	err         sql.NullString
}

func mlTasks(t *testing.T, db *sql.DB) map[string]taskRow {
	t.Helper()
	rows, err := db.Query(`SELECT name, source, batch_size, fingerprint, error FROM ml_tasks() ORDER BY name`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]taskRow{}
	for rows.Next() {
		var name string
		var r taskRow
		if err := rows.Scan(&name, &r.source, &r.batchSize, &r.fingerprint, &r.err); err != nil {
			t.Fatal(err)
		}
		out[name] = r
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// ml_tasks() lists every task folder, broken ones with their error, as the folders
// are now; an explicit "batch_size": 0 is one of those errors, not the default.
func TestMLTasksListsBrokenFolders(t *testing.T) {
	t.Setenv(ModelsEnv, "")
	dir := t.TempDir()
	copyShippedTask(t, "iris", filepath.Join(dir, "good"))
	copyShippedTask(t, "iris", filepath.Join(dir, "zero"))
	cfg, _ := os.ReadFile(filepath.Join(dir, "zero", "task.json"))
	zeroCfg := bytes.Replace(cfg, []byte(`"batch_size": 256`), []byte(`"batch_size": 0`), 1)
	if bytes.Equal(zeroCfg, cfg) {
		t.Fatal(`iris task.json has no "batch_size": 256`)
	}
	os.WriteFile(filepath.Join(dir, "zero", "task.json"), zeroCfg, 0o644)
	copyShippedTask(t, "sentiment", filepath.Join(dir, "sentiment"))
	cfg, _ = os.ReadFile(filepath.Join(dir, "sentiment", "task.json"))
	os.WriteFile(filepath.Join(dir, "sentiment", "task.json"), bytes.Replace(cfg, []byte(`"batch_size"`), []byte(`"batchsize"`), 1), 0o644)
	os.MkdirAll(filepath.Join(dir, "nojson"), 0o755)

	db, err := Open("", WithTaskDirs(dir))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	got := mlTasks(t, db)
	want := map[string]struct{ source, err string }{
		"good":      {filepath.Join(dir, "good"), ""},
		"iris":      {"builtin:iris", ""},
		"nojson":    {filepath.Join(dir, "nojson"), "has no task.json"},
		"sentiment": {filepath.Join(dir, "sentiment"), `unknown field "batchsize"`},
		"zero":      {filepath.Join(dir, "zero"), `"batch_size" 0 is out of range`},
	}
	if len(got) != len(want) {
		t.Errorf("ml_tasks() has %d rows, want %d: %v", len(got), len(want), got)
	}
	for name, w := range want {
		r, ok := got[name]
		switch {
		case !ok:
			t.Errorf("%s missing from ml_tasks()", name)
		case r.source != w.source:
			t.Errorf("%s: source %q, want %q", name, r.source, w.source)
		case w.err == "" && (r.err.Valid || r.batchSize.Int32 != 256 || len(r.fingerprint.String) != 16):
			t.Errorf("%s: error %v, batch_size %v, fingerprint %v; want NULL error, 256, 16 hex digits", name, r.err, r.batchSize, r.fingerprint)
		case w.err != "" && (!r.err.Valid || !strings.Contains(r.err.String, w.err) || r.batchSize.Valid || r.fingerprint.Valid):
			t.Errorf("%s: error %v, batch_size %v, fingerprint %v; want an error containing %q, NULL batch_size and fingerprint", name, r.err, r.batchSize, r.fingerprint, w.err)
		}
	}

	iris, _ := os.ReadFile(filepath.Join("..", "internal", "models", "tasks", "iris", "model.onnx"))
	irisSum := sha256.Sum256(iris)
	if fp := got["good"].fingerprint.String; fp != hex.EncodeToString(irisSum[:8]) {
		t.Errorf("good: fingerprint %q, want the start of the model's sha256 %x", fp, irisSum)
	}

	// Queries of a broken task fail with the same error.
	exec(t, db, `CREATE TABLE flowers AS SELECT 5.1 AS sepal_length, 3.5 AS sepal_width, 1.4 AS petal_length, 0.2 AS petal_width`)
	if _, err := db.Exec(`SELECT * FROM ml_predict('zero', 'flowers')`); err == nil || !strings.Contains(err.Error(), `"batch_size" 0`) {
		t.Errorf("ml_predict on batch_size 0: %v", err)
	}

	// Fixed while the database is open: the next call tells the truth.
	os.WriteFile(filepath.Join(dir, "zero", "task.json"), bytes.Replace(zeroCfg, []byte(`"batch_size": 0`), []byte(`"batch_size": 8`), 1), 0o644)
	if r := mlTasks(t, db)["zero"]; r.err.Valid || r.batchSize.Int32 != 8 {
		t.Errorf("zero after the fix: error %v, batch_size %v", r.err, r.batchSize)
	}
	if got := one[string](t, db, `SELECT predicted_class FROM ml_predict('zero', 'flowers')`); got != "setosa" {
		t.Errorf("zero after the fix predicts %q", got)
	}

	// A model that cannot be read is the task's error, and a replaced one shows a new
	// fingerprint.
	os.Remove(filepath.Join(dir, "good", "model.onnx"))
	if r := mlTasks(t, db)["good"]; !strings.Contains(r.err.String, "cannot read model file") || r.fingerprint.Valid {
		t.Errorf("good without its model: error %v, fingerprint %v", r.err, r.fingerprint)
	}
	sent, _ := os.ReadFile(filepath.Join("..", "internal", "models", "tasks", "sentiment", "model.onnx"))
	os.WriteFile(filepath.Join(dir, "good", "model.onnx"), sent, 0o644)
	sentSum := sha256.Sum256(sent)
	if r := mlTasks(t, db)["good"]; r.err.Valid || r.fingerprint.String != hex.EncodeToString(sentSum[:8]) {
		t.Errorf("good with another model: error %v, fingerprint %v, want %x", r.err, r.fingerprint, sentSum[:8])
	}
}

// Of several folders holding one task name, the last wins, DUCKINFER_MODELS's folders
// counting after WithTaskDirs's (README, "Tasks").
func TestTaskFolderOrder(t *testing.T) {
	a, b, env := t.TempDir(), t.TempDir(), t.TempDir()
	for i, dir := range []string{a, b, env} {
		folder := filepath.Join(dir, "flowers")
		copyShippedTask(t, "iris", folder)
		cfg, _ := os.ReadFile(filepath.Join(folder, "task.json"))
		os.WriteFile(filepath.Join(folder, "task.json"),
			bytes.Replace(cfg, []byte(`"description": "`), []byte(fmt.Sprintf(`"description": "from %d: `, i)), 1), 0o644)
	}
	describe := func(t *testing.T) string {
		c, err := NewConnector("", WithTaskDirs(a, b))
		if err != nil {
			t.Fatal(err)
		}
		db := sql.OpenDB(c)
		defer db.Close()
		return one[string](t, db, `SELECT description FROM ml_tasks() WHERE name = 'flowers'`)
	}
	t.Setenv(ModelsEnv, "")
	if got := describe(t); !strings.HasPrefix(got, "from 1: ") {
		t.Errorf("WithTaskDirs(a, b): %q, want b's", got)
	}
	t.Setenv(ModelsEnv, env)
	if got := describe(t); !strings.HasPrefix(got, "from 2: ") {
		t.Errorf("with DUCKINFER_MODELS: %q, want its folder's", got)
	}
}

// $DUCKINFER_MODELS as the shell idiom DIR:$DUCKINFER_MODELS leaves it when the variable
// was empty (a trailing ':') works; a folder there that cannot be read is an error that
// names the variable.
func TestModelsEnvList(t *testing.T) {
	dir := t.TempDir()
	copyShippedTask(t, "iris", filepath.Join(dir, "flowers"))
	t.Setenv(ModelsEnv, " "+dir+" :")
	c, err := NewConnector("")
	if err != nil {
		t.Fatalf("DUCKINFER_MODELS=%q: %v", dir+":", err)
	}
	db := sql.OpenDB(c)
	defer db.Close()
	if n := one[int64](t, db, `SELECT count(*) FROM ml_tasks() WHERE name = 'flowers'`); n != 1 {
		t.Errorf("the task in $DUCKINFER_MODELS's folder is not listed")
	}
	t.Setenv(ModelsEnv, "/nonexistent/duckinfer-tasks")
	if _, err := NewConnector(""); err == nil || !strings.Contains(err.Error(), "$DUCKINFER_MODELS") {
		t.Errorf("a missing folder in DUCKINFER_MODELS: %v, want an error naming the variable", err)
	}
}
