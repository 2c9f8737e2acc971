package tokenizer

import (
	"encoding/json"
	"fmt"
	"regexp"
	"regexp/syntax"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Split, Digits and Punctuation cut a text at the matches of a pattern and drop, keep
// or attach the matches by a behavior, as the reference's NormalizedString::split does.

type splitBehavior uint8

const (
	removed splitBehavior = iota
	isolated
	mergedWithPrevious
	mergedWithNext
	contiguous
)

var splitBehaviors = map[string]splitBehavior{
	"Removed": removed, "Isolated": isolated, "MergedWithPrevious": mergedWithPrevious,
	"MergedWithNext": mergedWithNext, "Contiguous": contiguous,
}

func parseBehavior(what, name string) (splitBehavior, error) {
	b, ok := splitBehaviors[name]
	if !ok {
		return 0, unsupported(what+" behavior", name, names(splitBehaviors))
	}
	return b, nil
}

// span is a part of a text: a match of the pattern or the text between two.
type span struct {
	a, b  int
	match bool
}

// cut appends to dst the pieces of s that spans (covering s in order) give under how,
// the empty ones left out as the reference drops them.
func cut(dst []string, s string, spans []span, how splitBehavior) []string {
	// A text's spans fit the stack mostly: no allocation per text.
	var buf [splitStack]span
	out := buf[:0]
	switch how {
	case removed:
		for _, sp := range spans {
			if !sp.match {
				out = append(out, sp)
			}
		}
	case isolated:
		out = spans
	case contiguous:
		prev := false
		for _, sp := range spans {
			if len(out) > 0 && sp.match == prev {
				out[len(out)-1].b = sp.b
			} else {
				out = append(out, sp)
			}
			prev = sp.match
		}
	case mergedWithPrevious:
		prev := false
		for _, sp := range spans {
			if len(out) > 0 && sp.match && !prev {
				out[len(out)-1].b = sp.b
			} else {
				out = append(out, sp)
			}
			prev = sp.match
		}
	case mergedWithNext:
		// The reference folds from the end: a match joins the piece after it.
		prev := false
		for i := len(spans) - 1; i >= 0; i-- {
			sp := spans[i]
			if len(out) > 0 && sp.match && !prev {
				out[len(out)-1].a = sp.a
			} else {
				out = append(out, sp)
			}
			prev = sp.match
		}
		for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
			out[i], out[j] = out[j], out[i]
		}
	}
	for _, sp := range out {
		if sp.b > sp.a {
			dst = append(dst, s[sp.a:sp.b])
		}
	}
	return dst
}

// splitStack is how many matches, spans and pieces a split keeps on the stack before
// it allocates: more than the words of most texts.
const splitStack = 128

// spansOf appends to spans the spans covering s that the matches give.
func spansOf(spans []span, s string, matches [][2]int, invert bool) []span {
	prev := 0
	for _, m := range matches {
		if m[0] > prev {
			spans = append(spans, span{prev, m[0], invert})
		}
		spans = append(spans, span{m[0], m[1], !invert})
		prev = m[1]
	}
	if prev < len(s) {
		spans = append(spans, span{prev, len(s), invert})
	}
	return spans
}

// splitPre is the Split pre-tokenizer.
type splitPre struct {
	re     *splitRegex
	how    splitBehavior
	invert bool
}

func parseSplit(raw json.RawMessage) (preTokenizer, error) {
	var c struct {
		Pattern  pattern `json:"pattern"`
		Behavior string  `json:"behavior"`
		Invert   bool    `json:"invert"`
	}
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, err
	}
	how, err := parseBehavior("Split", c.Behavior)
	if err != nil {
		return nil, err
	}
	var re *splitRegex
	switch {
	case c.Pattern.String != nil:
		re = &splitRegex{re: regexp.MustCompile(regexp.QuoteMeta(*c.Pattern.String))}
	case c.Pattern.Regex != nil:
		if re, err = newSplitRegex(*c.Pattern.Regex); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("Split has no pattern (String or Regex)")
	}
	return splitPre{re: re, how: how, invert: c.Invert}, nil
}

func (p splitPre) split(dst []string, s string, _ int) []string {
	if s == "" {
		return dst
	}
	var mb [splitStack][2]int
	var sb [splitStack]span
	return cut(dst, s, spansOf(sb[:0], s, p.re.find(mb[:0], s), p.invert), p.how)
}

// splitRegex finds a Split pattern's matches as the reference's Oniguruma does. A
// pattern RE2 can run as it is runs in Go's regexp. One that ends in GPT-2's
// whitespace idiom, P|\s+(?!\S)|\s+ (Llama-3, Qwen2 and most byte-level exports),
// has a lookahead RE2 lacks: it is matched position by position as Oniguruma does,
// P anchored first, then the whitespace rules by hand.
type splitRegex struct {
	re   *regexp.Regexp // the whole pattern; nil for the idiom
	head *regexp.Regexp // \A(?:P) for the idiom; nil when P is empty
}

const wsIdiom = `\s+(?!\S)|\s+`

func newSplitRegex(pat string) (*splitRegex, error) {
	name := fmt.Sprintf("Split pattern %q", pat)
	head, idiom := strings.CutSuffix(pat, "|"+wsIdiom)
	if pat == wsIdiom {
		return &splitRegex{}, nil
	}
	if !idiom {
		t, err := onigToRE2(name, pat)
		if err != nil {
			return nil, err
		}
		re, err := regexp.Compile(t)
		if err != nil {
			return nil, fmt.Errorf("%w: %s is not a regular expression Go can run: %v; re-export the tokenizer without it or open an issue", ErrUnsupported, name, err)
		}
		return &splitRegex{re: re}, nil
	}
	t, err := onigToRE2(name, head)
	if err != nil {
		return nil, err
	}
	// P compiling on its own also shows that the idiom's | is a top-level alternation,
	// not one inside a group or bracket expression that P leaves open.
	re, err := regexp.Compile(`\A(?:` + t + `)`)
	if err != nil {
		return nil, fmt.Errorf("%w: %s is not a regular expression Go can run before its %s ending: %v; re-export the tokenizer without it or open an issue", ErrUnsupported, name, wsIdiom, err)
	}
	// P runs on the text from each position on, so it must not look behind that
	// position.
	tree, err := syntax.Parse(t, syntax.Perl)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrUnsupported, name, err)
	}
	if what := looksBehind(tree); what != "" {
		return nil, fmt.Errorf("%w: %s uses %s before its %s ending, which Go cannot match there as the reference's Oniguruma does; re-export the tokenizer without it or open an issue", ErrUnsupported, name, what, wsIdiom)
	}
	return &splitRegex{head: re}, nil
}

// looksBehind names an assertion in re that reads the text before the match position.
func looksBehind(re *syntax.Regexp) string {
	switch re.Op {
	case syntax.OpBeginLine:
		return "^ (a line start)"
	case syntax.OpBeginText:
		return `\A (the text start)`
	case syntax.OpWordBoundary, syntax.OpNoWordBoundary:
		return "a word boundary"
	}
	for _, sub := range re.Sub {
		if what := looksBehind(sub); what != "" {
			return what
		}
	}
	return ""
}

// find appends the matches in s as Oniguruma's find_iter gives them: leftmost,
// non-overlapping, an empty match right after the previous match left out.
func (m *splitRegex) find(dst [][2]int, s string) [][2]int {
	if m.re != nil {
		for _, loc := range m.re.FindAllStringIndex(s, -1) {
			dst = append(dst, [2]int{loc[0], loc[1]})
		}
		return dst
	}
	prevEnd := -1
	for pos := 0; pos <= len(s); {
		a, b, ok := m.next(s, pos)
		if !ok {
			break
		}
		if a < b {
			dst = append(dst, [2]int{a, b})
			prevEnd, pos = b, b
			continue
		}
		if a != prevEnd {
			dst = append(dst, [2]int{a, b})
			prevEnd = b
		}
		if a == len(s) {
			break
		}
		_, n := utf8.DecodeRuneInString(s[a:])
		pos = a + n
	}
	return dst
}

// next is the idiom's leftmost match starting at pos or after: at each position P
// first, then \s+(?!\S) (a whitespace run up to the end, or up to its last character
// before a non-space), then \s+ (a single space before a non-space).
func (m *splitRegex) next(s string, pos int) (int, int, bool) {
	for i := pos; i <= len(s); {
		if m.head != nil {
			if loc := m.head.FindStringIndex(s[i:]); loc != nil {
				return i, i + loc[1], true
			}
		}
		if i == len(s) {
			break
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if isOnigSpace(r) {
			end, last := i+n, n
			for end < len(s) {
				r, k := utf8.DecodeRuneInString(s[end:])
				if !isOnigSpace(r) {
					break
				}
				end, last = end+k, k
			}
			if end == len(s) || end-last == i {
				return i, end, true
			}
			return i, end - last, true
		}
		i += n
	}
	return 0, 0, false
}

// charSplit is a pre-tokenizer whose matches are single characters: Digits
// (char::is_numeric, contiguous or one by one) and Punctuation.
type charSplit struct {
	in  func(rune) bool
	how splitBehavior
}

func parseDigits(raw json.RawMessage) (preTokenizer, error) {
	var c struct {
		IndividualDigits bool `json:"individual_digits"`
	}
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, err
	}
	how := contiguous
	if c.IndividualDigits {
		how = isolated
	}
	return charSplit{in: unicode.IsNumber, how: how}, nil
}

func parsePunctuation(raw json.RawMessage) (preTokenizer, error) {
	c := struct {
		Behavior string `json:"behavior"`
	}{Behavior: "Isolated"}
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, err
	}
	how, err := parseBehavior("Punctuation", c.Behavior)
	if err != nil {
		return nil, err
	}
	return charSplit{in: isBertPunct, how: how}, nil
}

func (p charSplit) split(dst []string, s string, _ int) []string {
	if s == "" {
		return dst
	}
	var mb [splitStack][2]int
	matches := mb[:0]
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if p.in(r) {
			matches = append(matches, [2]int{i, i + n})
		}
		i += n
	}
	var sb [splitStack]span
	return cut(dst, s, spansOf(sb[:0], s, matches, false), p.how)
}
