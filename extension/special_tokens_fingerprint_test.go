package extension

import (
	"os"
	"path/filepath"
	"testing"
)

// Pins: add_eos_token's change of every text's ids left the fingerprint as it was.
// tokenizer_config.json's add_eos_token changes every text's ids (hfSpecialTokens), so
// a task fingerprint must change with it, else a batch job resumed after the edit
// mixes outputs of two tokenizations under one fingerprint.
func TestFingerprintFollowsSpecialTokens(t *testing.T) {
	dir := t.TempDir()
	folder := copyHFFolder(t, "llama_sentiment", dir, "m")
	write := func(cfg string) {
		if err := os.WriteFile(filepath.Join(folder, "tokenizer_config.json"), []byte(cfg), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(`{"model_max_length": 128, "tokenizer_class": "LlamaTokenizerFast", "bos_token": "<|begin_of_text|>", "eos_token": "<|end_of_text|>"}`)
	c, err := NewConnector("", WithTaskDirs(dir))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	before, err := c.TaskFingerprint("m")
	if err != nil {
		t.Fatal(err)
	}
	tb, _ := c.env.Registry.Lookup("m")
	write(`{"model_max_length": 128, "tokenizer_class": "LlamaTokenizerFast", "bos_token": "<|begin_of_text|>", "eos_token": "<|end_of_text|>", "add_eos_token": true}`)
	after, err := c.TaskFingerprint("m")
	if err != nil {
		t.Fatal(err)
	}
	ta, _ := c.env.Registry.Lookup("m")
	if tb == ta {
		t.Fatal("no new snapshot after the edit")
	}
	if before == after {
		t.Errorf("fingerprint unchanged after add_eos_token became true (every text now ends in <|end_of_text|>): %+v", after)
	}
}
