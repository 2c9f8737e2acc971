package tokenizer

import (
	"slices"
	"testing"
)

// Split patterns whose meaning differs between Oniguruma and Go's regexp, with the
// words the reference (tokenizers 0.23.2, through encode offsets) gives.
// Each must match the reference, or, where Go cannot follow Oniguruma, be refused at
// Parse; a silent other split is a wrong tokenization.
func TestSplitOnigDifferences(t *testing.T) {
	for _, c := range []struct {
		pat, how, text string
		want           []string
		refuse         bool // may be refused at Parse
	}{
		// Oniguruma (Ruby syntax) reads {,n} as {0,n}; Go reads it as literal text.
		{`a{,2}`, "Isolated", "baaab", []string{"b", "aa", "a", "b"}, false},
		// Oniguruma's ^ never matches at the end of the text after a final newline;
		// Go's (?m)^ does.
		{`\n^`, "Removed", "a\nb\n", []string{"a", "b\n"}, true},
		// Oniguruma's (?i) folds ß to ss (multi-character folding); Go's does not.
		{`(?i)ss`, "Isolated", "Straße", []string{"Stra", "ß", "e"}, true},
		// A ^ that nothing before it in its alternative can reach past a newline, and
		// (?i) over letters that fold one to one, mean the same in both: kept.
		{`a|^b`, "Isolated", "ab\nb", []string{"a", "b\n", "b"}, false},
		{`(?:^|\s)x`, "Isolated", "x x", []string{"x", " x"}, false},
		{`(?i:'s|'t|'ll)`, "Isolated", "IT'S", []string{"IT", "'S"}, false},
	} {
		p, err := parsePreTokenizer([]byte(splitJSON(c.pat, "Regex", c.how, false)))
		if err != nil {
			if !c.refuse {
				t.Errorf("Split %q refused: %v", c.pat, err)
			}
			continue
		}
		if got := p.split(nil, c.text, 0); !slices.Equal(got, c.want) {
			t.Errorf("Split %q %s on %+q:\n got %+q\nwant %+q (reference), or an error at Parse", c.pat, c.how, c.text, got, c.want)
		}
	}
}
