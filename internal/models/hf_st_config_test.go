package models

// sentence-transformers folder fields read as SentenceTransformer(folder) reads them.
// Each test states the sentence-transformers source it follows (the same in 2.2, 2.7,
// 3.4 and 5.x), and pins a reading that gave other vectors, or refused a valid folder.

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// stRow is row i's token ids in a loaded text input.
func stRow(d *TextData, i int) []int32 { return d.enc.IDs[d.start[i] : d.start[i]+d.n[i]] }

// sentence_transformers/models/Transformer.py, Transformer.load_config (v5; Transformer.load
// in 2.x/3.x): the module's config is the first of sentence_bert_config.json,
// sentence_roberta_config.json, sentence_distilbert_config.json,
// sentence_camembert_config.json, sentence_albert_config.json,
// sentence_xlm-roberta_config.json, sentence_xlnet_config.json that exists (the names
// older releases wrote). Its max_seq_length and do_lower_case apply as in
// sentence_bert_config.json.
func TestHFFidelityTransformerConfigOldNames(t *testing.T) {
	for _, name := range []string{"sentence_roberta_config.json", "sentence_distilbert_config.json", "sentence_xlm-roberta_config.json"} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			folder := copyHF(t, "bert_embed", dir, "m")
			hfFidSentenceTransformers(t, folder, map[string]any{"pooling_mode_mean_tokens": true}, 16)
			if err := os.Rename(filepath.Join(folder, "sentence_bert_config.json"), filepath.Join(folder, name)); err != nil {
				t.Fatal(err)
			}
			if got := hfLookupIn(t, dir, "m").Config.MaxLength; got != 16 {
				t.Errorf("max_length %d, want 16: %s's max_seq_length, which Transformer.load_config reads when sentence_bert_config.json is absent", got, name)
			}
		})
	}
}

// sentence_transformers/models/Pooling.py, Pooling.__init__ (2.x to v5): the Pooling
// module's config.json is passed as keyword arguments, and pooling_mode_mean_tokens
// defaults to True; a "pooling_mode" string ("cls", "mean", ...) sets all the
// pooling_mode_* flags itself. So a config.json without any pooling_mode_* key
// mean-pools, and {"pooling_mode": "cls"} takes the first token.
func TestHFFidelityPoolingConfigDefaults(t *testing.T) {
	for _, c := range []struct {
		name    string
		config  string
		pooling string
	}{
		{"no pooling_mode keys", `{"word_embedding_dimension": 32}`, PoolingMean},
		{"pooling_mode string cls", `{"word_embedding_dimension": 32, "pooling_mode": "cls"}`, PoolingCLS},
		{"pooling_mode string over flags", `{"word_embedding_dimension": 32, "pooling_mode": "cls", "pooling_mode_mean_tokens": true}`, PoolingCLS},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			folder := copyHF(t, "bert_embed", dir, "m")
			hfFidSentenceTransformers(t, folder, map[string]any{"pooling_mode_mean_tokens": true}, 16)
			os.WriteFile(filepath.Join(folder, "1_Pooling", "config.json"), []byte(c.config), 0o644)
			reg, err := NewRegistry(dir)
			if err != nil {
				t.Fatal(err)
			}
			task, err := reg.Lookup("m")
			if err != nil {
				t.Fatalf("lookup: %v; SentenceTransformer loads %s as %s pooling (Pooling.__init__)", err, c.config, c.pooling)
			}
			if task.Config.Pooling != c.pooling {
				t.Errorf("pooling %q, want %q: Pooling(**%s)", task.Config.Pooling, c.pooling, c.config)
			}
		})
	}
}

// sentence_transformers/models/Pooling.py, Pooling.__init__ and Pooling.forward: with
// pooling_mode_cls_token true and pooling_mode_mean_tokens left out (it defaults to
// True), the sentence vector is the first token's vector and the mean, concatenated
// (twice the width). duckinfer cannot pool so; it must refuse, as it refuses other
// multi-mode poolings, not return the first token's vector alone.
func TestHFFidelityPoolingCLSWithDefaultMean(t *testing.T) {
	dir := t.TempDir()
	folder := copyHF(t, "bert_embed", dir, "m")
	hfFidSentenceTransformers(t, folder, map[string]any{"pooling_mode_mean_tokens": true}, 16)
	os.WriteFile(filepath.Join(folder, "1_Pooling", "config.json"), []byte(`{"word_embedding_dimension": 32, "pooling_mode_cls_token": true}`), 0o644)
	reg, err := NewRegistry(dir)
	if err != nil {
		t.Fatal(err)
	}
	task, err := reg.Lookup("m")
	if err == nil {
		t.Fatalf("lookup succeeded with pooling %q; SentenceTransformer pools cls + mean (pooling_mode_mean_tokens defaults to True), a vector of twice the width", task.Config.Pooling)
	}
	if !strings.Contains(err.Error(), "pooling_mode_mean_tokens") {
		t.Errorf("lookup: %v; want it to name pooling_mode_mean_tokens", err)
	}
}

// sentence_transformers/models/Transformer.py, Transformer.__init__ (2.x to v5): with
// max_seq_length null (or absent), max_seq_length = min(config.max_position_embeddings,
// tokenizer.model_max_length). bert_embed's config.json has 128 positions; a
// tokenizer_config.json model_max_length of 512 leaves SentenceTransformer at 128.
func TestHFFidelityMaxSeqLengthNull(t *testing.T) {
	dir := t.TempDir()
	folder := copyHF(t, "bert_embed", dir, "m")
	hfFidSentenceTransformers(t, folder, map[string]any{"pooling_mode_mean_tokens": true}, 16)
	hfEditJSON(t, folder, "sentence_bert_config.json", func(d map[string]any) { d["max_seq_length"] = nil })
	hfEditJSON(t, folder, "tokenizer_config.json", func(d map[string]any) { d["model_max_length"] = 512 })
	if got := hfLookupIn(t, dir, "m").Config.MaxLength; got != 128 {
		t.Errorf("max_length %d, want 128 = min(max_position_embeddings 128, model_max_length 512), as Transformer.__init__ sets max_seq_length when it is null", got)
	}
}

// sentence_transformers/models/Transformer.py: sentence_bert_config.json's
// tokenizer_args are passed to AutoTokenizer.from_pretrained (Transformer.__init__,
// through Transformer.load / _load_init_kwargs), where they override
// tokenizer_config.json: "truncation_side": "left" makes tokenize() keep a long
// text's last tokens; "model_max_length" is the tokenizer's, and so, with
// max_seq_length null, min(max_position_embeddings, it) is where encode truncates.
func TestHFFidelityTokenizerArgs(t *testing.T) {
	t.Run("truncation_side", func(t *testing.T) {
		dir := t.TempDir()
		folder := copyHF(t, "bert_embed", dir, "m")
		hfFidSentenceTransformers(t, folder, map[string]any{"pooling_mode_mean_tokens": true}, 16)
		hfEditJSON(t, folder, "sentence_bert_config.json", func(d map[string]any) {
			d["tokenizer_args"] = map[string]any{"truncation_side": "left"}
		})
		if got := hfLookupIn(t, dir, "m").Config.Truncation; got != TruncationLeft {
			t.Errorf("truncation %q, want %q (sentence_bert_config.json tokenizer_args.truncation_side)", got, TruncationLeft)
		}
	})
	t.Run("model_max_length", func(t *testing.T) {
		dir := t.TempDir()
		folder := copyHF(t, "bert_embed", dir, "m")
		hfFidSentenceTransformers(t, folder, map[string]any{"pooling_mode_mean_tokens": true}, 16)
		hfEditJSON(t, folder, "sentence_bert_config.json", func(d map[string]any) {
			d["max_seq_length"] = nil
			d["tokenizer_args"] = map[string]any{"model_max_length": 16}
		})
		if got := hfLookupIn(t, dir, "m").Config.MaxLength; got != 16 {
			t.Errorf("max_length %d, want 16 = min(max_position_embeddings 128, tokenizer_args.model_max_length 16)", got)
		}
	})
}

// sentence_transformers/models/Transformer.py, Transformer.tokenize: under
// do_lower_case each text is lowered by Python's str.lower(), which applies full case
// mapping: the final-sigma rule ("ΟΔΟΣ" → "οδος", final ς) and U+0130 'İ' → "i̇"
// (i + U+0307). Go's strings.ToLower maps rune by rune ("οδοσ", "i").
func TestHFFidelityLowerCaseIsPythonLower(t *testing.T) {
	for _, c := range []struct{ text, lowered string }{
		{"ΟΔΟΣ ΚΑΙ ΣΟΦΙΑ", "οδος και σοφια"},
		{"İstanbul", "i\u0307stanbul"},
	} {
		t.Run(c.text, func(t *testing.T) {
			p := stPrep{on: true, lower: true}
			if got := p.apply(c.text); got != c.lowered {
				t.Errorf("%q lowered to %q; Python's str.lower() gives %q", c.text, got, c.lowered)
			}
			dir := t.TempDir()
			folder := copyHF(t, "xlmr_embed", dir, "m")
			hfFidSentenceTransformers(t, folder, map[string]any{"pooling_mode_mean_tokens": true}, 128)
			hfEditJSON(t, folder, "sentence_bert_config.json", func(d map[string]any) { d["do_lower_case"] = true })
			in, _ := loadTexts(t, hfLookupIn(t, dir, "m"), c.text, c.lowered)
			d := in[0].(*TextData)
			if !slices.Equal(stRow(d, 0), stRow(d, 1)) {
				t.Errorf("%q → %v; SentenceTransformer.encode feeds %q → %v", c.text, stRow(d, 0), c.lowered, stRow(d, 1))
			}
		})
	}
}

// pyLower against CPython 3.11's str.lower() over texts mixing the characters where
// they differ from a per-character lowercase (testdata/pylower/gen.py made the pairs).
func TestPyLowerMatchesPython(t *testing.T) {
	f, err := os.Open(filepath.Join("testdata", "pylower", "pairs.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	n, bad := 0, 0
	for sc.Scan() {
		var p [2]string
		if err := json.Unmarshal(sc.Bytes(), &p); err != nil {
			t.Fatal(err)
		}
		n++
		if got := pyLower(p[0]); got != p[1] && bad < 10 {
			bad++
			t.Errorf("%q lowered to %q; Python gives %q", p[0], got, p[1])
		}
	}
	if n < 600 {
		t.Fatalf("read %d pairs; regenerate testdata/pylower/pairs.jsonl", n)
	}
}

// sentence_transformers/models/Dropout.py: Dropout.forward applies nn.Dropout to the
// sentence embedding, and SentenceTransformer.encode runs in eval mode
// (self.eval()), where nn.Dropout is the identity. A folder listing a Dropout module
// after pooling encodes exactly the pooled (normalised) vector, which duckinfer
// returned before d311307; it must not be refused as an unapplied module.
func TestHFFidelityDropoutModuleIsIdentity(t *testing.T) {
	dir := t.TempDir()
	folder := copyHF(t, "bert_embed", dir, "m")
	hfFidSentenceTransformers(t, folder, map[string]any{"pooling_mode_mean_tokens": true}, 128)
	hfFidModuleAfterPooling(t, folder, "Dropout")
	hfEditJSON(t, folder, "2_Dropout/config.json", func(d map[string]any) { d["dropout"] = 0.2 })
	task := hfLookupIn(t, dir, "m")
	pool := NewPool(FlavorCPU)
	t.Cleanup(func() { pool.Close() })
	if err := pool.Check(context.Background(), task); err != nil {
		t.Fatalf("check: %v; SentenceTransformer.encode runs in eval mode, where the Dropout module is the identity: the vector is the pooled one", err)
	}
}

// sentence_transformers/SentenceTransformer.py (v5.0 on): __init__ starts from
// self.prompts = {"query": "", "document": ""} and _load_sbert_model merges the file's
// prompts into it, so default_prompt_name "document" (or "query") is always found;
// encode then uses the prompt "" (the bare text). duckinfer refuses the folder, which
// it loaded with the bare text before 6e152ad.
func TestHFFidelityBuiltinPromptNames(t *testing.T) {
	for _, cfg := range []string{
		`{"prompts": {"query": "query: "}, "default_prompt_name": "document"}`,
		`{"prompts": {}, "default_prompt_name": "query"}`,
	} {
		t.Run(cfg, func(t *testing.T) {
			dir := t.TempDir()
			folder := copyHF(t, "xlmr_embed", dir, "m")
			hfFidSentenceTransformers(t, folder, map[string]any{"pooling_mode_mean_tokens": true}, 128)
			os.WriteFile(filepath.Join(folder, "config_sentence_transformers.json"), []byte(cfg), 0o644)
			reg, err := NewRegistry(dir)
			if err != nil {
				t.Fatal(err)
			}
			task, err := reg.Lookup("m")
			if err != nil {
				t.Fatalf("lookup: %v; SentenceTransformer v5 loads it (prompts default to {query: '', document: ''}) and encodes the bare text", err)
			}
			if task.st.prompt != "" {
				t.Errorf("prompt %q, want none", task.st.prompt)
			}
		})
	}
}

// The batch-job fingerprint (TokenizerSHA256, from tokSpecial) says outputs with
// equal fingerprints are interchangeable. f572112 changed what a do_lower_case folder
// feeds the tokenizer (pyLower: "ΟΔΟΣ" → "οδος", was "οδοσ"), but the folder's
// fingerprint was the one the code before it gave (Pins).
func TestHFFidelityPythonLowerChangesFingerprint(t *testing.T) {
	dir := t.TempDir()
	folder := copyHF(t, "xlmr_embed", dir, "m")
	hfFidSentenceTransformers(t, folder, map[string]any{"pooling_mode_mean_tokens": true}, 128)
	hfEditJSON(t, folder, "sentence_bert_config.json", func(d map[string]any) { d["do_lower_case"] = true })
	task := hfLookupIn(t, dir, "m")
	var d *TextData
	text := ""
	for _, s := range []string{"ΟΔΟΣ", "ΣΟΦΟΣ ΚΑΙ", "İstanbul", "İ"} {
		in, _ := loadTexts(t, task, s, strings.ToLower(s))
		d = in[0].(*TextData)
		if !slices.Equal(stRow(d, 0), stRow(d, 1)) {
			text = s
			break
		}
	}
	if text == "" {
		t.Skip("the tokenizer does not tell the two lowercasings apart")
	}
	special, err := hfTokenizerConfig(task.path, task.tok)
	if err != nil {
		t.Fatal(err)
	}
	// What the code before f572112 computed for this folder (registry.go's formula).
	old := special + "\x00sentence-transformers strip, lowercase=true"
	sum := sha256.Sum256(append(task.tokSum[:], "\x00"+old...))
	if task.TokenizerSHA256() == hex.EncodeToString(sum[:]) {
		t.Errorf("fingerprint unchanged (%s) while %q now feeds %v where it fed %v: a batch job mixes both", task.TokenizerSHA256()[:12], text, stRow(d, 0), stRow(d, 1))
	}
}

// Pins: a sentence-transformers folder whose task.json names another tokenizer file
// got the default prompt, but the prompt was not in its fingerprint, so a batch job
// took outputs with and without the prompt for one version.
func TestHFFidelityPromptInFingerprintOfAnyTokenizerFile(t *testing.T) {
	fingerprint := func(config string) string {
		dir := t.TempDir()
		folder := copyHF(t, "xlmr_embed", dir, "m")
		hfFidSentenceTransformers(t, folder, map[string]any{"pooling_mode_mean_tokens": true}, 128)
		data, err := os.ReadFile(filepath.Join(folder, "tokenizer.json"))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(folder, "tok2.json"), data, 0o644)
		os.WriteFile(filepath.Join(folder, "task.json"), []byte(`{"tokenizer": "tok2.json"}`), 0o644)
		os.WriteFile(filepath.Join(folder, "config_sentence_transformers.json"), []byte(config), 0o644)
		return hfLookupIn(t, dir, "m").TokenizerSHA256()
	}
	with := fingerprint(`{"prompts": {"query": "query: "}, "default_prompt_name": "query"}`)
	without := fingerprint(`{"prompts": {"query": "query: "}, "default_prompt_name": null}`)
	if with == without {
		t.Errorf("the tokenizer fingerprint is %s with the default prompt \"query: \" and without it", with[:12])
	}
}
