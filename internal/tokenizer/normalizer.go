package tokenizer

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// normalizer rewrites a text before it is split into words.
type normalizer interface {
	normalize(s string) string
	// normalizeLead is normalize that also carries lead: how many leading bytes of the
	// text the reference aligns with offset 0 of the input (0: the start was removed).
	// Metaspace's "first" scheme needs it; it is computed for the first segment only.
	normalizeLead(s string, lead int) (string, int)
}

// localLead is normalizeLead for a normalizer that rewrites each character on its own:
// the characters from the first lead bytes are those at offset 0.
func localLead(n normalizer, s string, lead int) (string, int) {
	out := n.normalize(s)
	lead = min(len(n.normalize(s[:min(lead, len(s))])), len(out))
	for lead > 0 && lead < len(out) && !utf8.RuneStart(out[lead]) {
		lead++ // a composition (NFC) can join the next character to the lead
	}
	return out, lead
}

var normalizerTypes = map[string]func(json.RawMessage) (normalizer, error){
	"BertNormalizer": parseBertNormalizer,
	"Lowercase":      func(json.RawMessage) (normalizer, error) { return lowercase{}, nil },
	"NFC":            func(json.RawMessage) (normalizer, error) { return unicodeForm{norm.NFC}, nil },
	"NFD":            func(json.RawMessage) (normalizer, error) { return unicodeForm{norm.NFD}, nil },
	"NFKC":           func(json.RawMessage) (normalizer, error) { return unicodeForm{norm.NFKC}, nil },
	"NFKD":           func(json.RawMessage) (normalizer, error) { return unicodeForm{norm.NFKD}, nil },
	"StripAccents":   func(json.RawMessage) (normalizer, error) { return stripAccents{}, nil },
	"Strip":          parseStrip,
	"Replace":        parseReplace,
	"Prepend":        parsePrepend,
}

func parseNormalizer(raw json.RawMessage) (normalizer, error) {
	if isNull(raw) {
		return nil, nil
	}
	typ, err := typeOf(raw)
	if err != nil {
		return nil, err
	}
	parse, ok := normalizerTypes[typ]
	if !ok {
		return nil, unsupported("normalizer", typ, names(normalizerTypes))
	}
	return parse(raw)
}

type normalizerSequence []normalizer

func parseNormalizerSequence(raw json.RawMessage) (normalizer, error) {
	var c struct {
		Normalizers []json.RawMessage `json:"normalizers"`
	}
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, err
	}
	var seq normalizerSequence
	for _, r := range c.Normalizers {
		n, err := parseNormalizer(r)
		if err != nil {
			return nil, err
		}
		if n != nil {
			seq = append(seq, n)
		}
	}
	return seq, nil
}

func (q normalizerSequence) normalize(s string) string {
	for _, n := range q {
		s = n.normalize(s)
	}
	return s
}

func (q normalizerSequence) normalizeLead(s string, lead int) (string, int) {
	for _, n := range q {
		s, lead = n.normalizeLead(s, lead)
	}
	return s, lead
}

// bertNormalizer is BERT's: drop control characters and turn whitespace into spaces,
// put spaces around CJK ideographs, strip accents (NFD, then drop nonspacing marks),
// lowercase. strip_accents null means "as lowercase" (bert-base-uncased relies on it).
type bertNormalizer struct {
	clean, chinese, strip, lower bool
	stripUnset                   bool // strip_accents null or absent: strip follows lower
}

func parseBertNormalizer(raw json.RawMessage) (normalizer, error) {
	var c struct {
		CleanText          *bool `json:"clean_text"`
		HandleChineseChars *bool `json:"handle_chinese_chars"`
		StripAccents       *bool `json:"strip_accents"`
		Lowercase          *bool `json:"lowercase"`
	}
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, err
	}
	or := func(p *bool, d bool) bool {
		if p == nil {
			return d
		}
		return *p
	}
	n := bertNormalizer{clean: or(c.CleanText, true), chinese: or(c.HandleChineseChars, true), lower: or(c.Lowercase, true)}
	n.strip = or(c.StripAccents, n.lower)
	n.stripUnset = c.StripAccents == nil
	return n, nil
}

func (n bertNormalizer) normalize(s string) string {
	// ASCII fast path: only control characters, whitespace and case change anything.
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		b := make([]byte, 0, len(s))
		for i := 0; i < len(s); i++ {
			c := s[i]
			switch {
			case c == '\t' || c == '\n' || c == '\r' || c == ' ':
				if n.clean {
					c = ' '
				}
			case c < 0x20 || c == 0x7f:
				if n.clean {
					continue
				}
			case n.lower && 'A' <= c && c <= 'Z':
				c += 'a' - 'A'
			}
			b = append(b, c)
		}
		return string(b)
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for _, r := range s {
		if n.clean {
			if r == 0 || r == utf8.RuneError || isBertControl(r) {
				continue
			}
			if isWhitespace(r) {
				r = ' '
			}
		}
		if n.chinese && isChinese(r) {
			b.WriteByte(' ')
			b.WriteRune(r)
			b.WriteByte(' ')
			continue
		}
		b.WriteRune(r)
	}
	out := b.String()
	if n.strip {
		out = stripAccents{nonspacingOnly: true}.normalize(out)
	}
	if n.lower {
		out = lowercase{}.normalize(out)
	}
	return out
}

func (n bertNormalizer) normalizeLead(s string, lead int) (string, int) {
	return localLead(n, s, lead)
}

// isBertControl is Hugging Face's is_control: tab, newline and carriage return are
// whitespace; any other character of category Cc, Cf, Co or Cs is dropped. The
// categories are the reference's, older than Go's (bert_tables.go).
func isBertControl(r rune) bool { return unicode.Is(bertControl, r) }

// isWhitespace is Rust's char::is_whitespace (the White_Space property), which
// Go's unicode.IsSpace also implements.
func isWhitespace(r rune) bool { return unicode.IsSpace(r) }

// isChinese is the reference's is_chinese_char: its ranges as they are, including
// the one that starts at U+2B920 rather than at Extension E's U+2B820.
func isChinese(r rune) bool {
	return (r >= 0x4E00 && r <= 0x9FFF) || (r >= 0x3400 && r <= 0x4DBF) || (r >= 0x20000 && r <= 0x2A6DF) ||
		(r >= 0x2A700 && r <= 0x2B73F) || (r >= 0x2B740 && r <= 0x2B81F) || (r >= 0x2B920 && r <= 0x2CEAF) ||
		(r >= 0xF900 && r <= 0xFAFF) || (r >= 0x2F800 && r <= 0x2FA1F)
}

// lowercase maps each character to its full lowercase, one character at a time as
// Rust's char::to_lowercase does (no final-sigma rule); U+0130 is the one character
// whose lowercase is two.
type lowercase struct{}

func (lowercase) normalize(s string) string { return Lower(s) }

// Lower is the Lowercase normalizer's mapping: each character's full lowercase, as
// Rust's char::to_lowercase gives it (U+0130 to "i\u0307"), with no final-sigma rule.
func Lower(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			b.WriteByte(c)
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		if r == 0x130 {
			b.WriteString("i\u0307")
			continue
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

func (l lowercase) normalizeLead(s string, lead int) (string, int) { return localLead(l, s, lead) }

// stripAccents drops combining marks after NFD. BertNormalizer drops nonspacing marks
// (Mn) only; the StripAccents normalizer drops every mark (Mn, Mc, Me) and, like
// Hugging Face's, expects the text to be decomposed already. Both take the categories
// from the reference's tables, older than Go's (bert_tables.go).
type stripAccents struct{ nonspacingOnly bool }

func (a stripAccents) normalize(s string) string {
	if a.nonspacingOnly {
		s = unicodeForm{norm.NFD}.normalize(s)
	}
	return strings.Map(func(r rune) rune {
		if a.nonspacingOnly && unicode.Is(bertNonspacing, r) || !a.nonspacingOnly && unicode.Is(combiningMark, r) {
			return -1
		}
		return r
	}, s)
}

func (a stripAccents) normalizeLead(s string, lead int) (string, int) { return localLead(a, s, lead) }

type strip struct{ left, right bool }

func parseStrip(raw json.RawMessage) (normalizer, error) {
	c := struct {
		Left  *bool `json:"strip_left"`
		Right *bool `json:"strip_right"`
	}{}
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, err
	}
	s := strip{left: true, right: true}
	if c.Left != nil {
		s.left = *c.Left
	}
	if c.Right != nil {
		s.right = *c.Right
	}
	return s, nil
}

func (st strip) normalize(s string) string {
	if st.left {
		s = strings.TrimLeftFunc(s, isWhitespace)
	}
	if st.right {
		s = strings.TrimRightFunc(s, isWhitespace)
	}
	return s
}

func (st strip) normalizeLead(s string, lead int) (string, int) {
	out := st.normalize(s)
	if st.left {
		// The stripped spaces were the start: what is left starts after them.
		lead = max(lead-(len(s)-len(strings.TrimLeftFunc(s, isWhitespace))), 0)
	}
	return out, min(lead, len(out))
}

// pattern is a tokenizer.json pattern (Replace's, Split's): a literal string or an
// Oniguruma regular expression.
type pattern struct {
	String *string `json:"String"`
	Regex  *string `json:"Regex"`
}

// replace is the Replace normalizer: a literal string or a regular expression (in the
// syntax both Oniguruma and Go's RE2 read, rewritten by onigToRE2 to match as
// Oniguruma does; one RE2 rejects or onigToRE2 refuses is an error at Parse).
type replace struct {
	lit     string
	re      *regexp.Regexp
	content string
}

func parseReplace(raw json.RawMessage) (normalizer, error) {
	var c struct {
		Pattern pattern `json:"pattern"`
		Content string  `json:"content"`
	}
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, err
	}
	return newReplace(c.Pattern.String, c.Pattern.Regex, c.Content)
}

func newReplace(lit, re *string, content string) (replace, error) {
	switch {
	case lit != nil:
		return replace{lit: *lit, content: content}, nil
	case re != nil:
		pat, err := onigToRE2(fmt.Sprintf("Replace pattern %q", *re), *re)
		if err != nil {
			return replace{}, err
		}
		r, err := regexp.Compile(pat)
		if err != nil {
			return replace{}, fmt.Errorf("%w: Replace pattern %q is not a regular expression Go can run: %v", ErrUnsupported, *re, err)
		}
		// The reference replaces an empty match inconsistently (twice at the start of
		// a line for $, a crash for ^): no Go rewrite can follow it.
		if r.MatchString("") {
			return replace{}, fmt.Errorf("%w: Replace pattern %q can match an empty string, which the reference replaces inconsistently; use a pattern that matches at least one character", ErrUnsupported, *re)
		}
		return replace{re: r, content: content}, nil
	}
	return replace{}, fmt.Errorf("Replace has no pattern (String or Regex)")
}

func (r replace) normalize(s string) string {
	if r.re != nil {
		return r.re.ReplaceAllLiteralString(s, r.content)
	}
	if r.lit == "" {
		return s
	}
	return strings.ReplaceAll(s, r.lit, r.content)
}

// normalizeLead follows the reference's alignments: text outside the matches keeps its
// own, and a match's replacement takes that of the match's last character (of the
// start of the input for an empty match at 0), so deleting the start moves it.
func (r replace) normalizeLead(s string, lead int) (string, int) {
	var locs [][]int
	if r.re != nil {
		locs = r.re.FindAllStringIndex(s, -1)
	} else if r.lit != "" {
		for off := 0; ; {
			k := strings.Index(s[off:], r.lit)
			if k < 0 {
				break
			}
			locs = append(locs, []int{off + k, off + k + len(r.lit)})
			off += k + len(r.lit)
		}
	}
	out, n, prev := r.normalize(s), 0, 0
	for _, m := range locs {
		a, b := m[0], m[1]
		if lead < a {
			break
		}
		n += a - prev
		if b > 0 && b-1 >= lead {
			return out, n
		}
		n += len(r.content)
		prev = b
	}
	return out, n + max(lead-prev, 0)
}

type prepend struct{ s string }

func parsePrepend(raw json.RawMessage) (normalizer, error) {
	var c struct {
		Prepend string `json:"prepend"`
	}
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, err
	}
	return prepend{c.Prepend}, nil
}

// normalize prepends to a non-empty text only, as Hugging Face's does.
func (p prepend) normalize(s string) string {
	if s == "" {
		return s
	}
	return p.s + s
}

// normalizeLead: the prepended text takes the alignment of the text's first character.
func (p prepend) normalizeLead(s string, lead int) (string, int) {
	if s == "" || lead == 0 {
		return p.normalize(s), 0
	}
	return p.s + s, lead + len(p.s)
}

// Sequence refers back to the table, so it joins it at init.
func init() { normalizerTypes["Sequence"] = parseNormalizerSequence }
