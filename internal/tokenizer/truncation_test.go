package tokenizer

import (
	"slices"
	"testing"
)

// Truncation from either side as the reference does it (the ids below are tokenizers
// 0.23.2's for this text, untruncated, after setTruncation(6, {direction: 'left'}) and
// after setTruncation(6)): the special tokens stay, and the text's first (right) or
// last (left) tokens fill what is left of the six.
func TestEncodeTruncatedBothSides(t *testing.T) {
	const text = "the food was great but the service was very slow and cold"
	for _, c := range []struct {
		family            string
		full, left, right []int32
	}{
		{"wordpiece", []int32{2, 457, 489, 464, 475, 476, 457, 495, 464, 471, 686, 458, 918, 3}, []int32{2, 471, 686, 458, 918, 3}, []int32{2, 457, 489, 464, 475, 3}},
		{"llama3", []int32{1906, 1063, 450, 303, 402, 396, 265, 491, 303, 376, 1026, 280, 1600}, []int32{1906, 303, 376, 1026, 280, 1600}, []int32{1906, 1063, 450, 303, 402, 396}},
		{"unigram", []int32{0, 7, 169, 24, 125, 93, 7, 244, 24, 80, 986, 11, 101, 230, 2}, []int32{0, 986, 11, 101, 230, 2}, []int32{0, 7, 169, 24, 125, 2}},
	} {
		tok := loadTokenizer(t, c.family)
		for _, k := range []struct {
			name   string
			maxLen int
			side   Side
			want   []int32
		}{{"none", 0, TruncateLeft, c.full}, {"left", 6, TruncateLeft, c.left}, {"right", 6, TruncateRight, c.right}, {"left, long enough", 64, TruncateLeft, c.full}} {
			// Twice: the second encoding reuses the scratch buffer the first cut.
			for range 2 {
				var e Encoding
				if err := tok.EncodeTruncated(&e, text, k.maxLen, k.side); err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(e.IDs, k.want) {
					t.Errorf("%s, %s: got %v, the reference %v", c.family, k.name, e.IDs, k.want)
				}
			}
		}
	}
}
