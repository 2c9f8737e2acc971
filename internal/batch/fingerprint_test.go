package batch

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/duckinfer/duckinfer/extension"
)

// hfTask copies the Hugging Face sentiment fixture into a task folder "bsent" and
// returns the tasks folder.
func hfTask(t *testing.T) string {
	t.Helper()
	tasks := t.TempDir()
	src := filepath.Join("..", "..", "testdata", "hf", "models", "bert_sentiment")
	dst := filepath.Join(tasks, "bsent")
	if err := os.MkdirAll(dst, 0o755); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.IsDir() || e.Name() == "expected.json" {
			continue
		}
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, e.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return tasks
}

// editJSON rewrites a JSON object file through edit.
func editJSON(t *testing.T, path string, edit func(map[string]any)) {
	t.Helper()
	var m map[string]any
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	edit(m)
	b, _ = json.Marshal(m)
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// Pins: the job fingerprint covered the model and the parsed config but not the
// tokenizer file: a tokenizer.json edited between two shards (or before a rerun)
// changed predictions, yet both shards committed with one fingerprint and verify
// passed. tokenizer_config.json (max_length) reaches it through the parsed config.
func TestTokenizerChangeChangesFingerprint(t *testing.T) {
	tasks := hfTask(t)
	fpOf := func() (extension.TaskFingerprint, string) {
		s := openSession(t, extension.WithTaskDirs(tasks))
		fp, err := s.Connector.TaskFingerprint("bsent")
		if err != nil {
			t.Fatal(err)
		}
		pred := scalar[string](t, s, "SELECT string_agg(predicted_class || ':' || round(confidence::DOUBLE, 4), ',') FROM ml_predict('bsent', 'SELECT ''GREAT Movie, LOVED It. TERRIBLE Ending'' AS text')")
		return fp, pred
	}
	fp1, p1 := fpOf()
	if fp1.TokenizerSHA256 == "" {
		t.Fatalf("a text task's fingerprint without its tokenizer: %+v", fp1)
	}

	// A shard of a job, then the tokenizer changes.
	s := openSession(t, extension.WithTaskDirs(tasks))
	d := t.TempDir()
	glob := dataset(t, s, d, 2, 10, 10)
	out := filepath.Join(t.TempDir(), "out")
	o := Options{Task: "bsent", Input: Input{Patterns: []string{glob}}, Output: out, Shard: Shard{0, 2}, Version: "test"}
	plan, err := Plan(context.Background(), s.Conn, o.Input, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := RunShard(context.Background(), s, plan, o); err != nil {
		t.Fatal(err)
	}

	// Swap two words' ids in the vocabulary. (Not the normalizer's lowercase: a
	// BERT folder's tokenizer_config.json do_lower_case, default true, rebuilds it
	// at load as transformers does.)
	editJSON(t, filepath.Join(tasks, "bsent", "tokenizer.json"), func(m map[string]any) {
		vocab := m["model"].(map[string]any)["vocab"].(map[string]any)
		vocab["great"], vocab["terrible"] = vocab["terrible"], vocab["great"]
	})
	fp2, p2 := fpOf()
	if p1 == p2 {
		t.Fatalf("the tokenizer change did not change the prediction (%s); the test needs another edit", p1)
	}
	if fp1 == fp2 {
		t.Fatalf("prediction %s -> %s after editing tokenizer.json, but the fingerprint is unchanged (%+v)", p1, p2, fp1)
	}
	o.Shard.Index = 1
	if _, err := RunShard(context.Background(), s, plan, o); !errors.Is(err, ErrFingerprint) || !strings.Contains(err.Error(), "tokenizer sha256") {
		t.Fatalf("shard 1 after the tokenizer changed: got %v, want ErrFingerprint naming the tokenizer", err)
	}

	editJSON(t, filepath.Join(tasks, "bsent", "tokenizer_config.json"), func(m map[string]any) { m["model_max_length"] = 8 })
	fp3, _ := fpOf()
	if fp3.ConfigSHA256 == fp2.ConfigSHA256 {
		t.Errorf("tokenizer_config.json's model_max_length changed, the config fingerprint did not (%+v)", fp3)
	}
}
