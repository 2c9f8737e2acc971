package tokenizer

import (
	"sort"
	"strings"
	"unicode/utf8"
)

// addedToken is an entry of tokenizer.json's added_tokens: special tokens ([CLS],
// <s>, ...) and tokens added after training. They are found in the text before the
// model sees it, and always become their own id.
type addedToken struct {
	ID         int32  `json:"id"`
	Content    string `json:"content"`
	SingleWord bool   `json:"single_word"`
	LStrip     bool   `json:"lstrip"`
	RStrip     bool   `json:"rstrip"`
	Normalized bool   `json:"normalized"`
	Special    bool   `json:"special"`
}

// addedVocab finds added tokens: those not marked normalized in the raw text, the
// others (their content normalized too) in the normalized text, as Hugging Face does.
type addedVocab struct {
	raw, norm []addedToken // longest first: at one position the longest match wins
	rawFirst  [256]bool    // first bytes of raw tokens, to skip most positions quickly
	normFirst [256]bool
}

// segment is a piece of text: an added token (id >= 0) or text for the model (id -1).
type segment struct {
	text string
	id   int32
}

func newAddedVocab(tokens []addedToken, n normalizer) addedVocab {
	var v addedVocab
	for _, t := range tokens {
		if t.Content == "" {
			continue
		}
		// A normalized token is matched in the second pass even without a normalizer:
		// the reference always matches raw tokens first, so where a raw and a
		// normalized token overlap, the raw one wins.
		if t.Normalized {
			if n != nil {
				t.Content = n.normalize(t.Content)
			}
			if t.Content == "" {
				continue
			}
			v.norm = append(v.norm, t)
			v.normFirst[t.Content[0]] = true
		} else {
			v.raw = append(v.raw, t)
			v.rawFirst[t.Content[0]] = true
		}
	}
	for _, l := range [][]addedToken{v.raw, v.norm} {
		sort.SliceStable(l, func(i, j int) bool { return len(l[i].Content) > len(l[j].Content) })
	}
	return v
}

// split cuts s into segments at the added tokens (normalized ones when normalized is
// set), leftmost first and longest at a position; lstrip/rstrip tokens take the
// whitespace beside them, single_word ones match whole words only. As the reference
// (a leftmost-longest Aho-Corasick scan), the search goes on after each match's own
// end: a single_word match that is not a word is skipped whole, and what an rstrip
// token took can still begin the next token.
func (v *addedVocab) split(dst []segment, s string, normalized bool) []segment {
	toks, first := v.raw, &v.rawFirst
	if normalized {
		toks, first = v.norm, &v.normFirst
	}
	if len(toks) == 0 {
		return append(dst, segment{text: s, id: -1})
	}
	last := 0 // end of the previous match
	for i := 0; i < len(s); i++ {
		if !first[s[i]] {
			continue
		}
		for _, t := range toks {
			if !strings.HasPrefix(s[i:], t.Content) {
				continue
			}
			start, end := i, i+len(t.Content)
			next := end - 1 // the loop's i++ resumes at the match's end
			if t.SingleWord && !isWordBoundary(s, start, end) {
				i = next
				break
			}
			if t.LStrip {
				for start > last {
					r, size := utf8.DecodeLastRuneInString(s[last:start])
					if !isWhitespace(r) {
						break
					}
					start -= size
				}
			}
			if t.RStrip {
				for end < len(s) {
					r, size := utf8.DecodeRuneInString(s[end:])
					if !isWhitespace(r) {
						break
					}
					end += size
				}
			}
			if start > last {
				dst = append(dst, segment{text: s[last:start], id: -1})
			}
			dst = append(dst, segment{id: t.ID})
			last = end
			i = next
			break
		}
	}
	if last < len(s) || len(dst) == 0 {
		dst = append(dst, segment{text: s[last:], id: -1})
	}
	return dst
}

func isWordBoundary(s string, start, end int) bool {
	if start > 0 {
		r, _ := utf8.DecodeLastRuneInString(s[:start])
		if isWordChar(r) {
			return false
		}
	}
	if end < len(s) {
		r, _ := utf8.DecodeRuneInString(s[end:])
		if isWordChar(r) {
			return false
		}
	}
	return true
}
