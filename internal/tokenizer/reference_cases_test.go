package tokenizer

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// variantOf is a fixture tokenizer with its tokenizer.json changed by edit.
func variantOf(t *testing.T, family string, edit func(map[string]any)) *Tokenizer {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(hfDir(), "tokenizers", family+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	edit(m)
	if data, err = json.Marshal(m); err != nil {
		t.Fatal(err)
	}
	tok, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// referenceCase is a text and the ids Hugging Face's tokenizers (0.23.2, from npm:
// Tokenizer.fromFile, then encode) give it.
type referenceCase struct {
	text string
	want []int32
}

func checkReference(t *testing.T, tok *Tokenizer, cases []referenceCase) {
	t.Helper()
	for _, c := range cases {
		if got := encode(tok, c.text, 0).IDs; !slices.Equal(got, c.want) {
			t.Errorf("%+q: got %v, the reference %v", c.text, got, c.want)
		}
	}
}

// BERT's Chinese-character ranges are the reference's, whose Extension E range starts
// at U+2B920: U+2B820..U+2B91F get no spaces around them.
func TestChineseRangesAsReference(t *testing.T) {
	checkReference(t, loadTokenizer(t, "wordpiece"), []referenceCase{
		{"\U0002B820x", []int32{2, 1, 3}},
		{"\U0002B91Fx", []int32{2, 1, 3}},
	})
}

// Metaspace's "first" scheme inside a Sequence (the T5/ALBERT layout) prefixes only a
// word at offset 0 of the input: after WhitespaceSplit, " hello" starts at 1.
func TestMetaspaceFirstInSequence(t *testing.T) {
	tok := variantOf(t, "unigram", func(m map[string]any) {
		m["pre_tokenizer"] = map[string]any{"type": "Sequence", "pretokenizers": []any{
			map[string]any{"type": "WhitespaceSplit"},
			map[string]any{"type": "Metaspace", "replacement": "▁", "prepend_scheme": "first", "split": true},
		}}
	})
	checkReference(t, tok, []referenceCase{
		{"hello", []int32{0, 129, 110, 37, 2}},
		{" hello", []int32{0, 21, 110, 37, 2}},
		{"\thello world", []int32{0, 21, 110, 37, 171, 95, 230, 2}},
	})
}

// Without a normalizer too, raw added tokens are matched before normalized ones: with
// "xab" (normalized) and "abc" (raw), "xabc" keeps "abc" whole, as the reference does.
func TestAddedTokensRawBeforeNormalizedWithoutNormalizer(t *testing.T) {
	tok := variantOf(t, "bpe", func(m map[string]any) {
		m["added_tokens"] = append(m["added_tokens"].([]any),
			map[string]any{"id": 1461, "content": "xab", "single_word": false, "lstrip": false, "rstrip": false, "normalized": true, "special": false},
			map[string]any{"id": 1462, "content": "abc", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": false})
	})
	checkReference(t, tok, []referenceCase{{"xabc", []int32{0, 124, 1462, 2}}})
}
