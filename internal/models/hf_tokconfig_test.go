package models

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// Pins: tokenizer_config.json settings transformers' fast tokenizers apply over
// tokenizer.json at load (do_lower_case, add_prefix_space, added_tokens_decoder) were ignored.

// BertTokenizerFast (AutoTokenizer's class for model_type bert) rebuilds
// tokenizer.json's BertNormalizer from tokenizer_config.json's do_lower_case (default
// True when the key or the file is absent), strip_accents and tokenize_chinese_chars
// whenever they differ from it. Expected ids: the npm reference tokenizers 0.23.2 on
// the tokenizer.json as transformers rebuilds it.
func TestHFTokenizerConfigBertDoLowerCase(t *testing.T) {
	const text = "Hello World Café"
	lower := []int32{2, 1745, 125, 890, 1309, 3} // [CLS] hell ##o world cafe [SEP]
	cased := []int32{2, 1, 1, 1, 3}              // [CLS] [UNK] [UNK] [UNK] [SEP]
	setLower := func(v bool) func(map[string]any) {
		return func(d map[string]any) { d["normalizer"].(map[string]any)["lowercase"] = v }
	}
	for _, c := range []struct {
		name, from string
		tokJSON    func(map[string]any)
		tokConfig  func(map[string]any)
		want       []int32
	}{
		{"do_lower_case true over lowercase false", "bert_sentiment", setLower(false), nil, lower},
		{"no tokenizer_config: do_lower_case defaults to true", "bert_embed", setLower(false), nil, lower},
		{"do_lower_case false over lowercase true", "bert_sentiment", nil, func(d map[string]any) { d["do_lower_case"] = false }, cased},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			folder := copyHF(t, c.from, dir, "m")
			if c.tokJSON != nil {
				hfEditJSON(t, folder, "tokenizer.json", c.tokJSON)
			}
			if c.tokConfig != nil {
				hfEditJSON(t, folder, "tokenizer_config.json", c.tokConfig)
			}
			if got := hfEncodeIDs(t, hfLookupIn(t, dir, "m"), text); !slices.Equal(got, c.want) {
				t.Errorf("ids %v, want %v (transformers' BertTokenizerFast)", got, c.want)
			}
		})
	}
}

// RobertaTokenizerFast (and GPT2TokenizerFast) rebuild tokenizer.json's ByteLevel
// pre-tokenizer with tokenizer_config.json's add_prefix_space when it differs.
func TestHFTokenizerConfigRobertaAddPrefixSpace(t *testing.T) {
	dir := t.TempDir()
	folder := copyHF(t, "roberta_topics", dir, "m")
	hfEditJSON(t, folder, "tokenizer_config.json", func(d map[string]any) { d["add_prefix_space"] = true })
	want := []int32{0, 556, 664, 115, 367, 354, 2} // <s> ĠH ell o Ġwor ld </s>
	if got := hfEncodeIDs(t, hfLookupIn(t, dir, "m"), "Hello world"); !slices.Equal(got, want) {
		t.Errorf("ids %v, want %v (add_prefix_space true, as RobertaTokenizerFast applies it)", got, want)
	}
}

// transformers' PreTrainedTokenizerFast adds, at load, the tokens of
// tokenizer_config.json's added_tokens_decoder (and its special tokens) that
// tokenizer.json lacks: a text holding one reads it as one token.
func TestHFTokenizerConfigAddedTokensDecoder(t *testing.T) {
	dir := t.TempDir()
	folder := copyHF(t, "bert_sentiment", dir, "m")
	hfEditJSON(t, folder, "tokenizer_config.json", func(d map[string]any) {
		d["added_tokens_decoder"] = map[string]any{"1838": map[string]any{"content": "<ent>", "lstrip": false, "normalized": false, "rstrip": false, "single_word": false, "special": true}}
		d["additional_special_tokens"] = []string{"<ent>"}
	})
	want := []int32{2, 457, 1838, 464, 475, 3} // [CLS] the <ent> was great [SEP]
	if got := hfEncodeIDs(t, hfLookupIn(t, dir, "m"), "the <ent> was great"); !slices.Equal(got, want) {
		t.Errorf("ids %v, want %v (<ent> added from added_tokens_decoder, as transformers adds it)", got, want)
	}
}

// What tokenizer_config.json changes in the tokenizer changes the ids, so it is part
// of the tokenizer's fingerprint; a folder whose settings change nothing keeps the file's.
func TestHFTokenizerConfigFingerprint(t *testing.T) {
	dir := t.TempDir()
	copyHF(t, "bert_sentiment", dir, "same")
	cased := copyHF(t, "bert_sentiment", dir, "cased")
	hfEditJSON(t, cased, "tokenizer_config.json", func(d map[string]any) { d["do_lower_case"] = false })
	data, err := os.ReadFile(filepath.Join(cased, "tokenizer.json"))
	if err != nil {
		t.Fatal(err)
	}
	file := sha256.Sum256(data)
	if got := hfLookupIn(t, dir, "same").TokenizerSHA256(); got != hex.EncodeToString(file[:]) {
		t.Errorf("fingerprint %s, want the file's %x when tokenizer_config.json changes nothing", got, file)
	}
	if got := hfLookupIn(t, dir, "cased").TokenizerSHA256(); got == hex.EncodeToString(file[:]) {
		t.Errorf("fingerprint %s is the file's, though do_lower_case false changes the ids", got)
	}
}

// hfDropAdded removes content from tokenizer.json's added_tokens (it stays in the
// vocabulary).
func hfDropAdded(content string) func(map[string]any) {
	return func(d map[string]any) {
		var keep []any
		for _, a := range d["added_tokens"].([]any) {
			if a.(map[string]any)["content"] != content {
				keep = append(keep, a)
			}
		}
		d["added_tokens"] = keep
	}
}

// Pins: a special token written as an AddedToken object was added with default flags.
// tokenizer_config.json's "mask_token": {"content": "<mask>", "lstrip": true, ...}
// over a tokenizer.json that lacks <mask> adds it with its lstrip, as transformers'
// convert_added_tokens builds it: the space before it is absorbed. Expected ids: the
// reference tokenizers 0.23.2 after adding <mask> with lstrip.
func TestHFTokenizerConfigSpecialTokenObjectFlags(t *testing.T) {
	dir := t.TempDir()
	folder := copyHF(t, "roberta_topics", dir, "m")
	hfEditJSON(t, folder, "tokenizer.json", hfDropAdded("<mask>"))
	hfEditJSON(t, folder, "tokenizer_config.json", func(d map[string]any) {
		d["tokenizer_class"] = "RobertaTokenizer"
		d["mask_token"] = map[string]any{"__type": "AddedToken", "content": "<mask>", "lstrip": true, "normalized": false, "rstrip": false, "single_word": false, "special": true}
	})
	want := []int32{0, 76, 664, 115, 1460, 367, 354, 2}
	if got := hfEncodeIDs(t, hfLookupIn(t, dir, "m"), "Hello <mask> world"); !slices.Equal(got, want) {
		t.Errorf("ids %v, want %v (<mask> added with its lstrip)", got, want)
	}
}
