package extension

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Pins: tokenizer_config.json's truncation_side was never read, so a folder saying
// "left" (models that keep a text's end) had long texts cut at their end anyway,
// unlike transformers.
// A folder whose tokenizer_config.json says truncation_side "left" keeps a long text's
// last tokens: two texts that end alike embed alike once cut to them, and differently
// when cut at the end; task.json's "truncation" says the same for any text task.
func TestHFTruncationSide(t *testing.T) {
	dir := t.TempDir()
	left := copyHFFolder(t, "bert_embed", dir, "tail")
	if err := os.WriteFile(filepath.Join(left, "tokenizer_config.json"), []byte(`{"model_max_length": 128, "truncation_side": "left"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	copyHFFolder(t, "bert_embed", dir, "head")
	byTask := copyHFFolder(t, "bert_embed", dir, "tail_by_task")
	if err := os.WriteFile(filepath.Join(byTask, "task.json"), []byte(`{"truncation": "left"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	db, _ := open(t, WithTaskDirs(dir))
	// [CLS], two tokens, [SEP]: the texts' last two words, or their first two.
	same := func(task string) bool {
		t.Helper()
		return one[bool](t, db, `SELECT count(DISTINCT embedding) = 1 FROM ml_embed('`+task+`',
			'SELECT * FROM (VALUES (''the food was great but it was slow''), (''a terrible film and it was slow'')) t(text)', max_length := 4)`)
	}
	if !same("tail") {
		t.Errorf(`truncation_side "left": two texts ending in "was slow" cut to 2 tokens embed differently; want their last tokens kept`)
	}
	if !same("tail_by_task") {
		t.Errorf(`task.json "truncation": "left": two texts ending in "was slow" cut to 2 tokens embed differently`)
	}
	if same("head") {
		t.Errorf(`the default (right) truncation: two texts that begin differently embed alike when cut to 2 tokens`)
	}
	// Without a cut, the side changes nothing.
	if a, b := one[string](t, db, `SELECT embedding::VARCHAR FROM ml_embed('tail', 'SELECT ''was slow'' AS text')`),
		one[string](t, db, `SELECT embedding::VARCHAR FROM ml_embed('head', 'SELECT ''was slow'' AS text')`); a != b {
		t.Errorf("a short text: %s under left truncation, %s under right", a, b)
	}
	bad := copyHFFolder(t, "bert_embed", t.TempDir(), "sideways")
	if err := os.WriteFile(filepath.Join(bad, "task.json"), []byte(`{"truncation": "middle"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	db2, _ := open(t, WithTaskDirs(filepath.Dir(bad)))
	if _, err := db2.Exec(`SELECT * FROM ml_embed('sideways', 'SELECT ''x'' AS text')`); err == nil || !strings.Contains(err.Error(), `"truncation" "middle" is not supported`) {
		t.Errorf(`"truncation": "middle": %v; want it refused`, err)
	}
}
