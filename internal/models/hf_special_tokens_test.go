package models

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/duckinfer/duckinfer/internal/tokenizer"
)

// Pins: tokenizer_config.json's add_bos_token and add_eos_token were never read. For
// a Llama-, CodeLlama- or Gemma-class tokenizer transformers rebuilds the
// post-processor from them when it loads ([bos] text [eos]), whatever tokenizer.json
// says, so a classifier fine-tuned with add_eos_token true read every text one token
// short, its last-token pooling at the wrong token.
// A folder's special tokens follow tokenizer_config.json as transformers' fast
// tokenizer of that class adds them; other classes keep tokenizer.json's.
func TestHFSpecialTokensFromTokenizerConfig(t *testing.T) {
	const text = "the food was great"
	// tokenizer.json's own template: <|begin_of_text|> (1906) text.
	base, err := NewRegistry(hfModels)
	if err != nil {
		t.Fatal(err)
	}
	orig, err := base.Lookup("llama_sentiment")
	if err != nil {
		t.Fatal(err)
	}
	var e tokenizer.Encoding
	if err := orig.Tokenizer().Encode(&e, text, 0); err != nil {
		t.Fatal(err)
	}
	if e.IDs[0] != 1906 {
		t.Fatalf("the fixture's template no longer starts with <|begin_of_text|>: %v", e.IDs)
	}
	words := e.IDs[1:]
	bos, eos, eot := []int32{1906}, []int32{1907}, []int32{1910}
	for _, c := range []struct {
		name, config string
		pre, suf     []int32 // the special tokens before and after the text's ids
	}{
		{"llama default", `{"tokenizer_class": "LlamaTokenizer", "bos_token": "<|begin_of_text|>", "eos_token": "<|end_of_text|>"}`, bos, nil},
		{"llama eos", `{"tokenizer_class": "LlamaTokenizerFast", "bos_token": {"content": "<|begin_of_text|>", "lstrip": false}, "eos_token": "<|end_of_text|>", "add_eos_token": true}`, bos, eos},
		{"llama no bos", `{"tokenizer_class": "LlamaTokenizerFast", "bos_token": "<|begin_of_text|>", "add_bos_token": false}`, nil, nil},
		{"gemma eos only", `{"tokenizer_class": "GemmaTokenizer", "bos_token": "<|begin_of_text|>", "eos_token": "<|eot_id|>", "add_bos_token": false, "add_eos_token": true}`, nil, eot},
		// Classes that keep tokenizer.json's template, whatever the flags say.
		{"generic class", `{"tokenizer_class": "PreTrainedTokenizerFast", "add_bos_token": false, "add_eos_token": true, "eos_token": "<|end_of_text|>"}`, bos, nil},
		{"no class", `{"add_eos_token": true, "eos_token": "<|end_of_text|>"}`, bos, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			folder := copyHF(t, "llama_sentiment", dir, "m")
			if err := os.WriteFile(filepath.Join(folder, "tokenizer_config.json"), []byte(c.config), 0o644); err != nil {
				t.Fatal(err)
			}
			reg, err := NewRegistry(dir)
			if err != nil {
				t.Fatal(err)
			}
			task, err := reg.Lookup("m")
			if err != nil {
				t.Fatal(err)
			}
			// Whole, and truncated by one token: the special tokens stay, the text
			// loses its last one.
			for _, cut := range []int{0, 1} {
				want := slices.Concat(c.pre, words[:len(words)-cut], c.suf)
				maxLen := 0
				if cut > 0 {
					maxLen = len(want)
				}
				var e tokenizer.Encoding
				if err := task.Tokenizer().Encode(&e, text, maxLen); err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(e.IDs, want) {
					t.Errorf("max_length %d: ids %v, want %v", maxLen, e.IDs, want)
				}
			}
		})
	}
	// A token the vocabulary lacks is an error at lookup, naming it.
	dir := t.TempDir()
	folder := copyHF(t, "llama_sentiment", dir, "m")
	os.WriteFile(filepath.Join(folder, "tokenizer_config.json"), []byte(`{"tokenizer_class": "LlamaTokenizerFast", "add_eos_token": true}`), 0o644)
	reg, _ := NewRegistry(dir)
	if _, err := reg.Lookup("m"); err == nil || !strings.Contains(err.Error(), `"<s>"`) || !strings.Contains(err.Error(), "add_bos_token") {
		t.Errorf("a bos_token the vocabulary lacks: %v; want an error naming \"<s>\" and add_bos_token", err)
	}
}
