package tokenizer

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
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

func addedTok(id int, content string, opts ...string) map[string]any {
	m := map[string]any{"id": id, "content": content, "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": false}
	for _, o := range opts {
		m[o] = true
	}
	return m
}

func parseToy(t *testing.T, js string) *Tokenizer {
	t.Helper()
	tok, err := Parse([]byte(js))
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// A Replace normalizer's regex runs in Oniguruma in the reference: \s, \d, \w are
// Unicode classes and ^/$ match at line starts/ends. Go's RE2 reads the same syntax
// with ASCII classes and whole-text anchors, so the ids differ silently.
// Defect pinned: Replace regexes ran with Go's ASCII \s \d \w and whole-text ^ $.
func TestReplaceRegexOnigurumaClasses(t *testing.T) {
	replace := func(pat, content string) *Tokenizer {
		return variantOf(t, "bpe", func(m map[string]any) {
			m["normalizer"] = map[string]any{"type": "Replace", "pattern": map[string]any{"Regex": pat}, "content": content}
		})
	}
	checkReference(t, replace(`\s+`, " "), []referenceCase{
		{"a\u00a0b", []int32{0, 101, 274, 2}},
		{"a\u3000b", []int32{0, 101, 274, 2}},
	})
	checkReference(t, replace(`\d`, "0"), []referenceCase{{"\uff11", []int32{0, 52, 2}}})
	checkReference(t, replace(`^ `, ""), []referenceCase{{"a\n b", []int32{0, 101, 14, 102, 2}}})
}

// Metaspace's "first" scheme prefixes ▁ only when the normalized text starts at
// offset 0 of the input; a Strip normalizer that removed leading spaces moves it.
// Defect pinned: "first" prefixed ▁ although a normalizer had removed the start.
func TestMetaspaceFirstAfterStrip(t *testing.T) {
	tok := variantOf(t, "unigram", func(m map[string]any) {
		m["normalizer"] = map[string]any{"type": "Strip", "strip_left": true, "strip_right": true}
		m["pre_tokenizer"] = map[string]any{"type": "Metaspace", "replacement": "▁", "prepend_scheme": "first", "split": true}
	})
	checkReference(t, tok, []referenceCase{
		{"hello", []int32{0, 129, 110, 37, 2}},
		{" hello", []int32{0, 21, 110, 37, 2}},
	})
}

// A single_word added token that is not a whole word is skipped, and the reference
// (Aho-Corasick, leftmost-longest, non-overlapping) does not look for other added
// tokens inside the skipped match: "q>" inside "<q>" is not found.
// Defect pinned: a rejected single_word match let other added tokens match inside it.
func TestAddedSingleWordSkipConsumesMatch(t *testing.T) {
	tok := variantOf(t, "bpe", func(m map[string]any) {
		m["added_tokens"] = append(m["added_tokens"].([]any), addedTok(1461, "<q>", "single_word"), addedTok(1462, "q>"))
	})
	checkReference(t, tok, []referenceCase{
		{"<q>", []int32{0, 1461, 2}},
		{"a q>", []int32{0, 101, 36, 1462, 2}},
		{"a<q>", []int32{0, 101, 64, 117, 66, 2}},
	})
}

// After an rstrip token the reference goes on matching from the token's own end, so
// an added token that starts with the whitespace rstrip took is still found.
// Defect pinned: matching resumed after the whitespace an rstrip token took.
func TestAddedRstripThenSpaceToken(t *testing.T) {
	tok := variantOf(t, "bpe", func(m map[string]any) {
		m["added_tokens"] = append(m["added_tokens"].([]any), addedTok(1461, "<x>", "rstrip"), addedTok(1462, " <y>"))
	})
	checkReference(t, tok, []referenceCase{
		{"a <y>", []int32{0, 101, 1462, 2}},
		{"<x> <y>", []int32{0, 1461, 1462, 2}},
	})
}

// BPE byte_fallback with a vocabulary that lacks some <0xXX> tokens: the reference
// keeps an unknown character's <unk> pending and emits byte tokens of later
// characters before it.
// Defect pinned: a pending <unk> was emitted before later byte-fallback tokens.
func TestBPEByteFallbackUnkOrder(t *testing.T) {
	const js = `{"added_tokens":[],"normalizer":null,"pre_tokenizer":null,"post_processor":null,
	 "model":{"type":"BPE","dropout":null,"unk_token":"<unk>","continuing_subword_prefix":null,"end_of_word_suffix":null,
	 "fuse_unk":%s,"byte_fallback":true,"vocab":{"<unk>":0,"a":1,"<0xC3>":2,"<0xA9>":3},"merges":[]}}`
	checkReference(t, parseToy(t, fmt.Sprintf(js, "true")), []referenceCase{
		{"a\u20aca", []int32{1, 0, 1}},
		{"\u20ac\u00e9", []int32{2, 3, 0}},
	})
	checkReference(t, parseToy(t, fmt.Sprintf(js, "false")), []referenceCase{
		{"\u20ac\u20ac\u00e9", []int32{0, 2, 3, 0}},
	})
}

// A Unigram piece listed twice: the reference's token-to-id map keeps the last id.
// Defect pinned: a duplicated Unigram piece kept its first id and score.
func TestUnigramDuplicatePieceLastWins(t *testing.T) {
	tok := parseToy(t, `{"added_tokens":[],"normalizer":null,"pre_tokenizer":null,"post_processor":null,
	 "model":{"type":"Unigram","unk_id":0,"vocab":[["<unk>",0.0],["a",-1.0],["b",-2.0],["a",-3.0]],"byte_fallback":false}}`)
	checkReference(t, tok, []referenceCase{{"a", []int32{3}}, {"ab", []int32{3, 2}}})
}

// An unk_token missing from the model vocabulary only matters to the reference when a
// word needs it; it loads the file and encodes every other text.
// Defect pinned: a missing BPE/WordPiece unk_token refused the whole file.
func TestUnkTokenAbsentStillLoads(t *testing.T) {
	for _, js := range []string{
		`{"added_tokens":[],"normalizer":null,"pre_tokenizer":null,"post_processor":null,
		 "model":{"type":"BPE","dropout":null,"unk_token":"<unk>","fuse_unk":false,"byte_fallback":false,"vocab":{"a":0,"b":1,"ab":2},"merges":["a b"]}}`,
		`{"added_tokens":[],"normalizer":null,"pre_tokenizer":{"type":"WhitespaceSplit"},"post_processor":null,
		 "model":{"type":"WordPiece","unk_token":"[UNK]","continuing_subword_prefix":"##","max_input_chars_per_word":100,"vocab":{"a":0,"##b":1,"ab":2}}}`,
	} {
		tok, err := Parse([]byte(js))
		if err != nil {
			t.Errorf("the reference loads this file; Parse: %v", err)
			continue
		}
		checkReference(t, tok, []referenceCase{{"ab", []int32{2}}})
	}
}

// Defect pinned: Oniguruma's classes and anchors, as the reference's normalized text
// shows them (Replace with a one-character vocabulary; checked with tokenizers 0.23.2):
// inside and outside brackets, negated, POSIX, \\s as a backslash then s.
func TestReplaceRegexAsOniguruma(t *testing.T) {
	for _, c := range []struct{ pat, in, want string }{
		{`\s+`, "a\u00a0\u3000b\u2028c\vd", "a_b_c_d"},
		{`[\S]+`, "ab\u00a0c d", "_\u00a0_ _"},
		{`[[:space:]]`, "a\u2003b", "a_b"},
		{`\\s`, `a\s s`, "a_ s"},
		{`\w`, "a\u00b2\u24b6\u2460-", "___\u2460-"},        // ² (outside brackets) and Ⓐ (Alphabetic) are word characters, ① is not
		{`[\w]`, "a\u00b2\u24b6\u2460-", "_\u00b2_\u2460-"}, // inside brackets ² is not
		{`[^\W\d]`, "a1\u0661-\u00e9", "_1\u0661-_"},
		{`\d`, "1\u0661\uff11\u2460", "___\u2460"},
		{` $`, "a \nb ", "a_\nb_"}, // $ at every line end
		{`(?m)a.b`, "a\nb", "_"},   // Oniguruma's m is Go's s
	} {
		r, err := newReplace(nil, &c.pat, "_")
		if err != nil {
			t.Errorf("%s: %v", c.pat, err)
			continue
		}
		if got := r.normalize(c.in); got != c.want {
			t.Errorf("%s on %+q: %+q, the reference %+q", c.pat, c.in, got, c.want)
		}
	}
	// What Go cannot match as Oniguruma does is refused, naming the pattern.
	for _, pat := range []string{`\bx`, `$`, `a*`, `(?x)a`, `[a&&b]`, `[[:alpha:]]`, `[[a]]`} {
		if _, err := newReplace(nil, &pat, "_"); !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), fmt.Sprintf("%q", pat)) {
			t.Errorf("%s: got %v, want ErrUnsupported naming the pattern", pat, err)
		}
	}
}

// Defect pinned: Metaspace "first" follows the reference's alignments: Replace deleting
// the start moves it, Replace rewriting it or Prepend keeps it (ids from the reference).
func TestMetaspaceFirstAfterNormalizers(t *testing.T) {
	first := func(n any) *Tokenizer {
		return variantOf(t, "unigram", func(m map[string]any) {
			m["normalizer"] = n
			m["pre_tokenizer"] = map[string]any{"type": "Metaspace", "replacement": "▁", "prepend_scheme": "first", "split": true}
		})
	}
	lit := func(s, content string) map[string]any {
		return map[string]any{"type": "Replace", "pattern": map[string]any{"String": s}, "content": content}
	}
	checkReference(t, first(lit("x", "")), []referenceCase{{"xhello", []int32{0, 21, 110, 37, 2}}})
	checkReference(t, first(lit("x", "y")), []referenceCase{{"xhello", []int32{0, 135, 21, 110, 37, 2}}})
	checkReference(t, first(map[string]any{"type": "Sequence", "normalizers": []any{
		map[string]any{"type": "Prepend", "prepend": " "}, map[string]any{"type": "Strip", "strip_left": true, "strip_right": true},
	}}), []referenceCase{{"hello", []int32{0, 129, 110, 37, 2}}})
}

// Defect pinned: a text needing an unk_token the vocabulary lacks is an Encode error
// (the reference's too), appending nothing, not a crash or a silent drop.
func TestMissingUnkFailsText(t *testing.T) {
	for _, js := range []string{
		`{"model":{"type":"BPE","unk_token":"<unk>","vocab":{"a":0,"b":1,"ab":2},"merges":["a b"]}}`,
		`{"model":{"type":"WordPiece","unk_token":"[UNK]","vocab":{"a":0,"##b":1,"ab":2}}}`,
	} {
		tok := parseToy(t, js)
		var e Encoding
		if err := tok.Encode(&e, "axb", 0); !errors.Is(err, ErrMissingUnk) || len(e.IDs) != 0 {
			t.Errorf("got %v and ids %v, want ErrMissingUnk and none", err, e.IDs)
		}
	}
}
