package tokenizer

import (
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Pins the id mismatches against the reference found at edges of Unicode: word
// characters, Metaspace "first" after a split, NFC/NFKC above U+FFFF and over long runs
// of marks, and BERT's character tables.
//
// Expected ids in this file come from the reference, Hugging Face's tokenizers 0.23.2
// (npm `tokenizers`, Tokenizer.fromFile then encode, no truncation), run on the same
// tokenizer.json (the fixture, or the fixture edited as variantOf does here).

// zalgo is a letter followed by 35 combining marks, as "Zalgo" text in social-media
// data has: more than the 30 non-starters of Unicode's Stream-Safe Text Format.
var zalgo = "Z" + func() string {
	var b strings.Builder
	for r := rune(0x300); r <= 0x322; r++ {
		b.WriteRune(r)
	}
	return b.String()
}() + "algo"

// NFC (qwen2's normalizer) over a run of more than 30 combining marks: the reference
// (Rust's unicode-normalization) reorders the whole run canonically; Go's norm package
// cuts the run after 30 marks, inserts U+034F COMBINING GRAPHEME JOINER there and
// reorders each half on its own, so the byte-level ids differ (and gain a token).
func TestRefEdgeNFCLongCombiningRun(t *testing.T) {
	checkReference(t, loadTokenizer(t, "qwen2"), []referenceCase{{zalgo, []int32{
		90, 204, 161, 204, 162, 204, 155, 204, 150, 204, 151, 204, 152, 204, 153, 204, 156, 204, 157,
		204, 158, 204, 159, 204, 160, 204, 128, 204, 129, 204, 130, 204, 131, 204, 132, 204, 133, 204,
		134, 204, 135, 204, 136, 204, 137, 204, 138, 204, 139, 204, 140, 204, 141, 204, 142, 204, 143,
		204, 144, 204, 145, 204, 146, 204, 147, 204, 148, 204, 149, 204, 154, 317, 103, 111}}})
}

// NFC composes a supplementary-plane character with a following combining mark as if
// it were the BMP character with the same low 16 bits: U+E0041 (TAG LATIN CAPITAL
// LETTER A, in flag emoji tag sequences) + U+0301 becomes "Á", U+20045 (a CJK Ext. B
// ideograph) + U+0301 becomes "É". The reference leaves both unchanged.
func TestRefEdgeNFCSupplementaryNotComposed(t *testing.T) {
	checkReference(t, loadTokenizer(t, "qwen2"), []referenceCase{
		{"\U000E0041\u0301", []int32{243, 160, 129, 129, 204, 129}},
		{"\U00020045\u0301", []int32{240, 160, 129, 133, 204, 129}},
	})
}

// The same for every BMP character that composes with a common mark, taken into
// planes 1, 2, 3 and 14 (same low 16 bits): NFC and NFKC must keep the text
// canonically equivalent, which composing by the low 16 bits does not.
func TestRefEdgeComposeAboveBMPEquivalent(t *testing.T) {
	forms := []struct {
		name   string
		f, dec norm.Form
	}{{"NFC", norm.NFC, norm.NFD}, {"NFKC", norm.NFKC, norm.NFKD}}
	n := 0
	for _, m := range []rune{0x0301, 0x0308, 0x0327, 0x0338, 0x3099, 0x0CD5, 0x0B3E} {
		for low := rune(0); low <= 0xFFFF; low++ {
			if low >= 0xD800 && low <= 0xDFFF || utf8.RuneCountInString(norm.NFC.String(string([]rune{low, m}))) != 1 {
				continue
			}
			for _, plane := range []rune{0x10000, 0x20000, 0x30000, 0xE0000} {
				in := string([]rune{plane + low, m})
				for _, f := range forms {
					if got := (unicodeForm{f.f}).normalize(in); f.dec.String(got) != f.dec.String(in) {
						t.Fatalf("%s of %+q is %+q, not canonically equivalent", f.name, in, got)
					}
				}
				n++
			}
		}
	}
	if n < 1000 {
		t.Fatalf("only %d pairs checked", n)
	}
}

// The Whitespace pre-tokenizer is the reference's Rust-regex \w+|[^\w\s]+, whose \w
// (UTS #18) takes Alphabetic (Nl such as Ⅻ, Other_Alphabetic such as Ⓐ) and
// Join_Control (U+200C, U+200D: every emoji ZWJ sequence). isWordChar takes neither,
// so words are cut at a ZWJ or a Roman numeral and the ids differ.
func TestRefEdgeWhitespaceWordChars(t *testing.T) {
	tok := variantOf(t, "wordpiece", func(m map[string]any) {
		m["normalizer"] = map[string]any{"type": "Lowercase"}
		m["pre_tokenizer"] = map[string]any{"type": "Whitespace"}
	})
	checkReference(t, tok, []referenceCase{
		{"a\u200db", []int32{2, 1, 3}},
		{"a\u216bb", []int32{2, 1, 3}},
		{"i\u200dm ok", []int32{2, 1, 1256, 3}},
		{"\U0001F468\u200d\U0001F469\u200d\U0001F467 family", []int32{2, 1, 1, 1, 1, 1, 723, 3}},
	})
}

// A single_word added token matches only when no word character (the reference's
// Rust-regex \w) touches it: a ZWJ or a Roman numeral next to it is one.
func TestRefEdgeSingleWordBoundaryWordChars(t *testing.T) {
	tok := variantOf(t, "wordpiece", func(m map[string]any) {
		m["added_tokens"] = append(m["added_tokens"].([]any), addedTok(1838, "foo", "single_word"))
	})
	checkReference(t, tok, []referenceCase{
		{"foo\u200d", []int32{2, 40, 125, 125, 3}},
		{"\u216bfoo", []int32{2, 1, 3}},
		{"x foo y", []int32{2, 58, 1838, 59, 3}},
	})
}

// Metaspace "first" after a pre-tokenizer that splits (the T5 / DeBERTa layout:
// WhitespaceSplit then Metaspace) with NFKC: a first character that NFKC expands into
// several words (U+FDFA is four Arabic words) gives words that all sit at offset 0 of
// the input, and the reference prefixes ▁ to each; Go prefixes the first only.
func TestRefEdgeMetaspaceFirstExpandedFirstChar(t *testing.T) {
	tok := variantOf(t, "unigram", func(m map[string]any) {
		m["normalizer"] = map[string]any{"type": "NFKC"}
		m["pre_tokenizer"] = map[string]any{"type": "Sequence", "pretokenizers": []any{
			map[string]any{"type": "WhitespaceSplit"},
			map[string]any{"type": "Metaspace", "replacement": "▁", "prepend_scheme": "first", "split": true},
		}}
	})
	checkReference(t, tok, []referenceCase{
		{"\ufdfa", []int32{0, 4, 3, 4, 3, 4, 3, 4, 3, 2}},
		{"hi \ufdfa", []int32{0, 426, 3, 3, 3, 3, 2}},
	})
}

// BertNormalizer and BertPreTokenizer classify characters, in the reference, with the
// unicode_categories crate, whose tables predate Unicode 10: a nonspacing mark, a
// punctuation mark or a format character added since (Malayalam U+0D00, Telugu
// U+0C04, Odia U+0B55, ⹎ U+2E4E, Arabic U+061D and U+08E2) is an ordinary character
// there. Go's unicode tables (15.0) drop the marks and the format character as accents
// or controls and cut words at the punctuation.
func TestRefEdgeBertUnicodeTablesAsReference(t *testing.T) {
	checkReference(t, loadTokenizer(t, "wordpiece"), []referenceCase{
		{"x\u0d00y", []int32{2, 1, 3}},
		{"x\u0c04y", []int32{2, 1, 3}},
		{"x\u0b55y", []int32{2, 1, 3}},
		{"x\u08e2y", []int32{2, 1, 3}},
		{"a\u2e4eb", []int32{2, 1, 3}},
		{"a\u061db", []int32{2, 1, 3}},
	})
}

// The StripAccents normalizer's combining-mark table in the reference is as old: the
// same marks are kept there.
func TestRefEdgeStripAccentsTableAsReference(t *testing.T) {
	tok := variantOf(t, "wordpiece", func(m map[string]any) {
		m["normalizer"] = map[string]any{"type": "Sequence", "normalizers": []any{
			map[string]any{"type": "NFD"}, map[string]any{"type": "StripAccents"}, map[string]any{"type": "Lowercase"}}}
	})
	checkReference(t, tok, []referenceCase{
		{"x\u0d00y", []int32{2, 1, 3}},
		{"x\u0c04y", []int32{2, 1, 3}},
	})
}
