package tokenizer

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

const (
	llama3Split = `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
	qwen2Split  = `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
	gpt2Regex   = `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`
)

func splitJSON(pattern, kind, behavior string, invert bool) string {
	return fmt.Sprintf(`{"type": "Split", "pattern": {%q: %q}, "behavior": %q, "invert": %t}`, kind, pattern, behavior, invert)
}

// Defect pinned: the Split (Llama-3, Qwen2), Digits and Punctuation pre-tokenizers
// were refused; their words as the reference's pre_tokenize_str gives them
// (tokenizers 0.23.2): the lookahead of \s+(?!\S), each behavior, invert.
func TestSplitAsReference(t *testing.T) {
	for _, c := range []struct {
		json, text string
		want       []string
	}{
		{splitJSON(llama3Split, "Regex", "Isolated", false), "HE'S they'LL 1234567 x", []string{"HE", "'S", " they", "'LL", " ", "123", "456", "7", " x"}},
		{splitJSON(llama3Split, "Regex", "Isolated", false), "a\r\n\r\n  b  ", []string{"a", "\r\n\r\n", " ", " b", "  "}},
		{splitJSON(llama3Split, "Regex", "Isolated", false), "!!!\n\nx\t\ty", []string{"!!!\n\n", "x", "\t", "\ty"}},
		{splitJSON(llama3Split, "Regex", "Isolated", false), "  \u00a0word\u3000", []string{"  ", "\u00a0word", "\u3000"}},
		{splitJSON(qwen2Split, "Regex", "Isolated", false), "1234 ab12", []string{"1", "2", "3", "4", " ab", "1", "2"}},
		{splitJSON("-", "String", "Removed", false), "a-b--c-", []string{"a", "b", "c"}},
		{splitJSON("-", "String", "Isolated", false), "a-b--c-", []string{"a", "-", "b", "-", "-", "c", "-"}},
		{splitJSON("-", "String", "MergedWithPrevious", false), "a-b--c-", []string{"a-", "b-", "-", "c-"}},
		{splitJSON("-", "String", "MergedWithNext", false), "a-b--c-", []string{"a", "-b", "-", "-c", "-"}},
		{splitJSON("-", "String", "Contiguous", false), "a-b--c-", []string{"a", "-", "b", "--", "c", "-"}},
		{splitJSON("-", "String", "Removed", true), "a-b--c-", []string{"-", "-", "-", "-"}},
		{`{"type": "Digits", "individual_digits": false}`, "a123b4", []string{"a", "123", "b", "4"}},
		{`{"type": "Digits", "individual_digits": true}`, "a123b4", []string{"a", "1", "2", "3", "b", "4"}},
		{`{"type": "Punctuation"}`, "a,b!?c", []string{"a", ",", "b", "!", "?", "c"}},
		{`{"type": "Punctuation", "behavior": "MergedWithNext"}`, "a,b!?c", []string{"a", ",b", "!", "?c"}},
	} {
		p, err := parsePreTokenizer([]byte(c.json))
		if err != nil {
			t.Errorf("%s: %v", c.json, err)
			continue
		}
		if got := p.split(nil, c.text, 0); !slices.Equal(got, c.want) {
			t.Errorf("%s on %+q:\n got %+q\nwant %+q", c.json, c.text, got, c.want)
		}
	}
}

// Defect pinned: a Split regex Go cannot match as Oniguruma does must be an error at
// Parse naming the pattern and the construct, never a silent approximation.
func TestSplitUnsupportedRegex(t *testing.T) {
	for _, c := range []struct{ pat, want string }{
		{`a(?=b)`, "a lookahead (?=...)"},
		{`\s+(?!\S)`, "a negative lookahead (?!...)"}, // the idiom only as P|\s+(?!\S)|\s+
		{`(?<=a)b|\s+(?!\S)|\s+`, "a lookbehind (?<=...)"},
		{`(?<!a)b`, "a negative lookbehind (?<!...)"},
		{`(?>ab)`, "an atomic group (?>...)"},
		{`\bx|\s+(?!\S)|\s+`, `\b`},
		{`^x|\s+(?!\S)|\s+`, "^ (a line start)"},
		{`(x|\s+(?!\S)|\s+`, "is not a regular expression Go can run"},
		{`a++`, "is not a regular expression Go can run"},
	} {
		_, err := Parse([]byte(`{"pre_tokenizer": {"type": "Sequence", "pretokenizers": [` + splitJSON(c.pat, "Regex", "Isolated", false) +
			`]}, "model": {"type": "BPE", "vocab": {}, "merges": []}}`))
		if !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), fmt.Sprintf("Split pattern %q", c.pat)) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want ErrUnsupported naming the pattern and %q", c.pat, err, c.want)
		}
	}
	if _, err := Parse([]byte(`{"pre_tokenizer": ` + splitJSON("a", "String", "Dropped", false) + `, "model": {"type": "BPE", "vocab": {}, "merges": []}}`)); !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), `"Dropped"`) {
		t.Errorf("behavior Dropped: got %v, want ErrUnsupported naming it", err)
	}
}

// FuzzSplitGPT2MatchesByteLevel: Split with GPT-2's regex, matched position by
// position, cuts every text where ByteLevel's hand-written scanner (golden-tested on
// the bpe family) does.
func FuzzSplitGPT2MatchesByteLevel(f *testing.F) {
	for _, s := range []string{"", " ", "a  b", "x \t\ny", "I'm   here  ", "12 ab!? \u00a0\u3000z", "\r\n\r\n x", "'s'S 'll"} {
		f.Add(s)
	}
	re, err := newSplitRegex(gpt2Regex)
	if err != nil {
		f.Fatal(err)
	}
	p := splitPre{re: re, how: isolated}
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) {
			t.Skip("the reference's texts are valid UTF-8")
		}
		if got, want := p.split(nil, s, 0), gpt2Split(nil, s); !slices.Equal(got, want) {
			t.Errorf("%+q: Split %+q, ByteLevel %+q", s, got, want)
		}
	})
}
