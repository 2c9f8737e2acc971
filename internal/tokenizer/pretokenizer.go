package tokenizer

import (
	"encoding/json"
	"strings"
	"unicode"
	"unicode/utf8"
	"unsafe"
)

// preTokenizer splits a normalized text into words; the model tokenizes each word on
// its own. lead is how many leading bytes of s the reference aligns with offset 0 of
// the input: s starts the input when lead > 0 (Metaspace's "first" scheme).
type preTokenizer interface {
	split(dst []string, s string, lead int) []string
}

// usesLead tells whether p reads lead (a Metaspace with the "first" scheme).
func usesLead(p preTokenizer) bool {
	switch p := p.(type) {
	case metaspace:
		return p.prepend == "first"
	case preSequence:
		for _, q := range p {
			if usesLead(q) {
				return true
			}
		}
	}
	return false
}

var preTokenizerTypes = map[string]func(json.RawMessage) (preTokenizer, error){
	"BertPreTokenizer": func(json.RawMessage) (preTokenizer, error) { return bertPre{}, nil },
	"ByteLevel":        parseByteLevel,
	"Metaspace":        parseMetaspace,
	"Split":            parseSplit,
	"Digits":           parseDigits,
	"Punctuation":      parsePunctuation,
	"WhitespaceSplit":  func(json.RawMessage) (preTokenizer, error) { return whitespaceSplit{}, nil },
	"Whitespace":       func(json.RawMessage) (preTokenizer, error) { return whitespace{}, nil },
}

func parsePreTokenizer(raw json.RawMessage) (preTokenizer, error) {
	if isNull(raw) {
		return nil, nil
	}
	typ, err := typeOf(raw)
	if err != nil {
		return nil, err
	}
	parse, ok := preTokenizerTypes[typ]
	if !ok {
		return nil, unsupported("pre_tokenizer", typ, names(preTokenizerTypes))
	}
	return parse(raw)
}

type preSequence []preTokenizer

func parsePreSequence(raw json.RawMessage) (preTokenizer, error) {
	var c struct {
		PreTokenizers []json.RawMessage `json:"pretokenizers"`
	}
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, err
	}
	var seq preSequence
	for _, r := range c.PreTokenizers {
		p, err := parsePreTokenizer(r)
		if err != nil {
			return nil, err
		}
		if p != nil {
			seq = append(seq, p)
		}
	}
	return seq, nil
}

// split runs each pre-tokenizer over the words of the one before, carrying each word's
// lead (Metaspace's "first" scheme): a piece gets the part of its word's lead that it
// begins within, as the reference tracks by offsets. After WhitespaceSplit " hello"
// gives "hello" at offset 1, which must not get the prefix, while NFKC's U+FDFA (four
// words, all at offset 0 of the input) gives four words that each get it.
func (q preSequence) split(dst []string, s string, lead int) []string {
	words := []string{s}
	var leads []int // each word's lead; nil while none has one (no allocation then)
	if lead > 0 {
		leads = []int{lead}
	}
	for _, p := range q {
		var next []string
		var nextLeads []int
		for i, w := range words {
			wl := 0
			if leads != nil {
				wl = leads[i]
			}
			n := len(next)
			next = p.split(next, w, wl)
			if leads == nil {
				continue
			}
			for k := n; k < len(next); k++ {
				l := 0
				if wl > 0 {
					if off, ok := offsetIn(w, next[k]); ok {
						l = max(wl-off, 0)
					} else if k == n {
						l = wl // a rewritten piece: only the first one starts the word
					}
				}
				nextLeads = append(nextLeads, l)
			}
		}
		words, leads = next, nextLeads
	}
	return append(dst, words...)
}

// offsetIn is where piece, a piece a pre-tokenizer cut from w, begins in w, found by
// its address; ok is false for a piece that is not a part of w (one the pre-tokenizer
// rewrote).
func offsetIn(w, piece string) (off int, ok bool) {
	if len(w) == 0 || len(piece) == 0 {
		return 0, false
	}
	base, p := uintptr(unsafe.Pointer(unsafe.StringData(w))), uintptr(unsafe.Pointer(unsafe.StringData(piece)))
	if p >= base && p < base+uintptr(len(w)) {
		return int(p - base), true
	}
	return 0, false
}

// bertPre splits on whitespace (dropped) and around every punctuation character
// (each its own word): ASCII punctuation, which includes symbols such as $ + < = > ^
// ` | ~, and Unicode's P categories as the reference's tables, older than Go's, have
// them (bert_tables.go).
type bertPre struct{}

func isBertPunct(r rune) bool {
	if r < utf8.RuneSelf {
		return (r >= '!' && r <= '/') || (r >= ':' && r <= '@') || (r >= '[' && r <= '`') || (r >= '{' && r <= '~')
	}
	return unicode.Is(bertPunct, r)
}

func (bertPre) split(dst []string, s string, _ int) []string {
	start := -1 // start of the current word, -1 when between words
	for i := 0; i < len(s); {
		c := s[i]
		var r rune
		size := 1
		if c < utf8.RuneSelf {
			r = rune(c)
		} else {
			r, size = utf8.DecodeRuneInString(s[i:])
		}
		switch {
		case (c < utf8.RuneSelf && (c == ' ' || (c >= '\t' && c <= '\r'))) || (c >= utf8.RuneSelf && isWhitespace(r)):
			if start >= 0 {
				dst = append(dst, s[start:i])
				start = -1
			}
		case isBertPunct(r):
			if start >= 0 {
				dst = append(dst, s[start:i])
				start = -1
			}
			dst = append(dst, s[i:i+size])
		default:
			if start < 0 {
				start = i
			}
		}
		i += size
	}
	if start >= 0 {
		dst = append(dst, s[start:])
	}
	return dst
}

// whitespaceSplit splits on whitespace.
type whitespaceSplit struct{}

func (whitespaceSplit) split(dst []string, s string, _ int) []string {
	return append(dst, strings.FieldsFunc(s, isWhitespace)...)
}

// whitespace is the Whitespace pre-tokenizer, the regular expression \w+|[^\w\s]+.
type whitespace struct{}

// isWordChar is the reference's Rust-regex \w (UTS #18): Alphabetic (letters, Nl such
// as Ⅻ, Other_Alphabetic such as Ⓐ), marks, Nd, Pc and Join_Control (U+200C, U+200D,
// which joins every emoji ZWJ sequence into one word).
func isWordChar(r rune) bool {
	if r < utf8.RuneSelf {
		return r == '_' || ('0' <= r && r <= '9') || ('a' <= r && r <= 'z') || ('A' <= r && r <= 'Z')
	}
	return unicode.IsLetter(r) || unicode.In(r, unicode.Nl, unicode.Other_Alphabetic, unicode.M, unicode.Nd, unicode.Pc, unicode.Join_Control)
}

func (whitespace) split(dst []string, s string, _ int) []string {
	start, cls := -1, 0 // cls: 1 word characters, 2 others
	for i, r := range s {
		c := 2
		switch {
		case isWhitespace(r):
			c = 0
		case isWordChar(r):
			c = 1
		}
		if c != cls {
			if start >= 0 && cls != 0 {
				dst = append(dst, s[start:i])
			}
			start, cls = i, c
		}
	}
	if start >= 0 && cls != 0 {
		dst = append(dst, s[start:])
	}
	return dst
}

// byteLevel is GPT-2's pre-tokenizer: optionally a space in front, then the words of
// GPT-2's regular expression
//
//	's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
//
// (scanned by hand: Go's regexp has no lookahead), each word's bytes then written as
// the printable characters GPT-2's vocabulary uses for them.
type byteLevel struct {
	addPrefixSpace, useRegex bool
}

func parseByteLevel(raw json.RawMessage) (preTokenizer, error) {
	c := struct {
		AddPrefixSpace *bool `json:"add_prefix_space"`
		UseRegex       *bool `json:"use_regex"`
	}{}
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, err
	}
	b := byteLevel{addPrefixSpace: true, useRegex: true}
	if c.AddPrefixSpace != nil {
		b.addPrefixSpace = *c.AddPrefixSpace
	}
	if c.UseRegex != nil {
		b.useRegex = *c.UseRegex
	}
	return b, nil
}

// byteChars maps each byte to GPT-2's character for it: printable Latin-1 bytes to
// themselves, the rest to U+0100 onwards.
var byteChars = func() (t [256]string) {
	n := 0
	for b := range 256 {
		if (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF) {
			t[b] = string(rune(b))
		} else {
			t[b] = string(rune(256 + n))
			n++
		}
	}
	return t
}()

func (b byteLevel) split(dst []string, s string, _ int) []string {
	if b.addPrefixSpace && !strings.HasPrefix(s, " ") && s != "" {
		s = " " + s
	}
	start := len(dst)
	if b.useRegex {
		dst = gpt2Split(dst, s)
	} else if s != "" {
		dst = append(dst, s)
	}
	for i := start; i < len(dst); i++ {
		dst[i] = mapBytes(dst[i])
	}
	return dst
}

func mapBytes(w string) string {
	var sb strings.Builder
	sb.Grow(len(w) * 2)
	for i := 0; i < len(w); i++ {
		sb.WriteString(byteChars[w[i]])
	}
	return sb.String()
}

// runeClass: 'L' letter, 'N' number, 's' whitespace, 'o' anything else.
func runeClass(r rune) byte {
	switch {
	case isWhitespace(r):
		return 's'
	case unicode.IsLetter(r):
		return 'L'
	case unicode.IsNumber(r):
		return 'N'
	}
	return 'o'
}

func gpt2Split(dst []string, s string) []string {
	at := func(i int) (rune, int, byte) {
		if i >= len(s) {
			return 0, 0, 0
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		return r, n, runeClass(r)
	}
	// run returns the end of the run of class cls starting at i.
	run := func(i int, cls byte) int {
		for i < len(s) {
			_, n, c := at(i)
			if c != cls {
				break
			}
			i += n
		}
		return i
	}
	for i := 0; i < len(s); {
		if s[i] == '\'' {
			matched := false
			for _, c := range [...]string{"'s", "'t", "'re", "'ve", "'m", "'ll", "'d"} {
				if strings.HasPrefix(s[i:], c) {
					dst = append(dst, s[i:i+len(c)])
					i += len(c)
					matched = true
					break
				}
			}
			if matched {
				continue
			}
		}
		_, n, cls := at(i)
		j := i
		if s[i] == ' ' {
			if _, _, next := at(i + 1); next != 's' && next != 0 {
				j, cls = i+1, next
			}
		}
		if cls != 's' {
			end := run(j, cls)
			dst = append(dst, s[i:end])
			i = end
			continue
		}
		// Whitespace: a run up to the end is one word; a run before a non-space leaves
		// its last character to the next word (\s+(?!\S)), which is then a word of its
		// own unless it is a space that prefixes the next word.
		end := run(i, 's')
		if end == len(s) {
			dst = append(dst, s[i:end])
			i = end
			continue
		}
		_, last := utf8.DecodeLastRuneInString(s[i:end])
		if end-last > i {
			dst = append(dst, s[i:end-last])
			i = end - last
			continue
		}
		dst = append(dst, s[i:i+n])
		i += n
	}
	return dst
}

// metaspace replaces spaces by the replacement character (▁), prepends one by the
// prepend scheme, and splits before each replacement character.
type metaspace struct {
	repl    string
	prepend string // "always", "first" or "never"
	splits  bool
}

func parseMetaspace(raw json.RawMessage) (preTokenizer, error) {
	c := struct {
		Replacement    string `json:"replacement"`
		PrependScheme  string `json:"prepend_scheme"`
		AddPrefixSpace *bool  `json:"add_prefix_space"` // files written before prepend_scheme
		Split          *bool  `json:"split"`
	}{Replacement: "▁"}
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, err
	}
	m := metaspace{repl: c.Replacement, prepend: strings.ToLower(c.PrependScheme), splits: true}
	if m.prepend == "" {
		m.prepend = "always"
		if c.AddPrefixSpace != nil && !*c.AddPrefixSpace {
			m.prepend = "never"
		}
	}
	switch m.prepend {
	case "always", "first", "never":
	default:
		return nil, unsupported("Metaspace prepend_scheme", c.PrependScheme, "always, first, never")
	}
	if c.Split != nil {
		m.splits = *c.Split
	}
	return m, nil
}

func (m metaspace) split(dst []string, s string, lead int) []string {
	if s == "" {
		return dst
	}
	s = strings.ReplaceAll(s, " ", m.repl)
	if (m.prepend == "always" || (m.prepend == "first" && lead > 0)) && !strings.HasPrefix(s, m.repl) {
		s = m.repl + s
	}
	if !m.splits {
		return append(dst, s)
	}
	for s != "" {
		next := strings.Index(s[len(m.repl)*b2i(strings.HasPrefix(s, m.repl)):], m.repl)
		if next < 0 {
			return append(dst, s)
		}
		if strings.HasPrefix(s, m.repl) {
			next += len(m.repl)
		}
		dst = append(dst, s[:next])
		s = s[next:]
	}
	return dst
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// Sequence refers back to the table, so it joins it at init.
func init() { preTokenizerTypes["Sequence"] = parsePreSequence }
