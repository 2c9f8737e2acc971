package tokenizer

import (
	"fmt"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// Hugging Face runs Replace patterns in Oniguruma, whose \s \d \w (and POSIX classes)
// are Unicode classes and whose ^ and $ match at every line; Go's RE2 reads the same
// syntax with ASCII classes and whole-text anchors. onigToRE2 rewrites a pattern so Go
// matches what Oniguruma does, and refuses what it cannot rewrite faithfully.

// Oniguruma's Unicode classes, as the inside of a Go bracket expression. Its \w is
// Alphabetic, Mark, Decimal_Number and Connector_Punctuation, and outside a bracket
// expression also ² ³ ¹ ¼ ½ ¾ (as the reference matches them: [\w] and [[:word:]]
// do not).
const (
	onigSpace  = `\t\n\v\f\r\x{85}\p{Z}` // 0009-000D, 0085, Zs, Zl, Zp
	onigDigit  = `\p{Nd}`
	latin1Word = `\x{B2}\x{B3}\x{B9}\x{BC}-\x{BE}`
)

// onigWord is [:word:]: Go's \p has no Alphabetic, so the Other_Alphabetic characters
// outside the listed categories (Ⓐ, 🄰, ...) are spelled out.
var onigWord = sync.OnceValue(func() string {
	var b strings.Builder
	b.WriteString(`\p{L}\p{Nl}\p{M}\p{Nd}\p{Pc}`)
	for _, r := range ranges(func(r rune) bool {
		return unicode.Is(unicode.Other_Alphabetic, r) && !unicode.In(r, unicode.L, unicode.Nl, unicode.M, unicode.Nd, unicode.Pc)
	}) {
		fmt.Fprintf(&b, `\x{%X}-\x{%X}`, r[0], r[1])
	}
	return b.String()
})

// ranges lists the runs of characters in, surrogates left out.
func ranges(in func(rune) bool) [][2]rune {
	var out [][2]rune
	lo := rune(-1)
	for r := rune(0); r <= unicode.MaxRune+1; r++ {
		if r <= unicode.MaxRune && in(r) && (r < 0xD800 || r > 0xDFFF) {
			if lo < 0 {
				lo = r
			}
			continue
		}
		if lo >= 0 {
			out = append(out, [2]rune{lo, r - 1})
			lo = -1
		}
	}
	return out
}

// notIn lists, as the inside of a Go bracket expression, the characters outside in:
// Go cannot negate a class inside another bracket expression ([\Sa]).
func notIn(in func(rune) bool) string {
	var b strings.Builder
	for _, r := range ranges(func(r rune) bool { return !in(r) }) {
		fmt.Fprintf(&b, `\x{%X}-\x{%X}`, r[0], r[1])
	}
	return b.String()
}

func isOnigSpace(r rune) bool {
	return (r >= '\t' && r <= '\r') || r == 0x85 || unicode.Is(unicode.Z, r)
}

func isOnigWord(r rune) bool {
	return unicode.In(r, unicode.L, unicode.Nl, unicode.Other_Alphabetic, unicode.M, unicode.Nd, unicode.Pc)
}

var (
	notSpace = sync.OnceValue(func() string { return notIn(isOnigSpace) })
	notWord  = sync.OnceValue(func() string { return notIn(isOnigWord) })
)

// class is the Go text for an Oniguruma class escape (s S d D w W) or POSIX class name
// ("space", "^space", ...), inside or outside a bracket expression; "" if unknown.
func class(name string, inBracket bool) string {
	var in string
	switch name {
	case "s", "space":
		in = onigSpace
	case "d", "digit":
		in = onigDigit
	case "w":
		if !inBracket {
			return "[" + onigWord() + latin1Word + "]"
		}
		in = onigWord()
	case "word":
		in = onigWord()
	case "blank":
		in = `\t\p{Zs}`
	case "h", "xdigit":
		in = `0-9A-Fa-f`
	case "D", "^digit":
		return `\P{Nd}`
	case "H", "^xdigit":
		if !inBracket {
			return `[^0-9A-Fa-f]`
		}
		return "\\x00-/:-@G-`g-\\x{10FFFF}"
	case "S", "^space":
		if !inBracket {
			return "[^" + onigSpace + "]"
		}
		return notSpace()
	case "W":
		if !inBracket {
			return "[^" + onigWord() + latin1Word + "]"
		}
		return notWord()
	case "^word":
		if !inBracket {
			return "[^" + onigWord() + "]"
		}
		return notWord()
	default:
		return ""
	}
	if inBracket {
		return in
	}
	return "[" + in + "]"
}

// onigToRE2 rewrites an Oniguruma pattern (as tokenizers compiles it) for Go's regexp;
// name is the pattern as errors name it (`Replace pattern "..."`).
func onigToRE2(name, pat string) (string, error) {
	refuse := func(what string) (string, error) {
		return "", fmt.Errorf("%w: %s uses %s, which Go's regular expressions cannot match as the reference's Oniguruma does; re-export the tokenizer without it or open an issue", ErrUnsupported, name, what)
	}
	var b strings.Builder
	b.WriteString("(?m)") // Oniguruma's ^ and $ are line anchors
	inBracket := false
	// Oniguruma's ^ never matches at the end of the text after a final newline, Go's
	// (?m)^ does: the same only where nothing before it in its alternative can have
	// consumed that newline. consumed says whether something before it may have (a
	// bracket expression, an escape such as \s or \n, a dot, a newline).
	consumed, depth := false, 0
	// Oniguruma's (?i) also folds across lengths (ß matches ss, ﬁ matches fi), Go's
	// only one character to one: ci says whether (?i) is used, runs holds the pattern's
	// runs of literal letters, checked at the end.
	ci, nonASCII := false, false
	var runs []string
	run := -1 // start of the current run of literal letters, -1 when none
	endRun := func(i int) {
		if run >= 0 {
			runs = append(runs, pat[run:i])
			run = -1
		}
	}
	for i := 0; i < len(pat); {
		c := pat[i]
		if !(c < utf8.RuneSelf && unicode.IsLetter(rune(c)) && !inBracket && (i == 0 || pat[i-1] != '\\')) {
			endRun(i)
		}
		switch {
		case c == '\\':
			if i+1 >= len(pat) {
				b.WriteByte(c) // Go reports the trailing backslash
				i++
				continue
			}
			_, n := utf8.DecodeRuneInString(pat[i+1:])
			e := pat[i+1 : i+1+n]
			if !strings.Contains("dwpAGzZbB", e) {
				consumed = true // \s, \n, \D, \P{L}, ... can match a newline
			}
			switch {
			case class(e, inBracket) != "":
				b.WriteString(class(e, inBracket))
			case !inBracket && (e == "b" || e == "B"):
				return refuse(`\` + e + " (a Unicode word boundary in Oniguruma, an ASCII one in Go)")
			default:
				b.WriteString(pat[i : i+1+n]) // an escaped backslash stays one: \\s is \ then s
			}
			i += 1 + n
		case c == '[' && !inBracket:
			inBracket, consumed = true, true
			b.WriteByte(c)
			i++
			if i < len(pat) && pat[i] == '^' {
				b.WriteByte('^')
				i++
			}
			if i < len(pat) && pat[i] == ']' { // a leading ] is literal in both
				b.WriteByte(']')
				i++
			}
		case c == '[' && inBracket:
			name, ok := strings.CutPrefix(pat[i:], "[:")
			end := strings.Index(name, ":]")
			if !ok || end < 0 {
				return refuse("a nested bracket expression")
			}
			cl := class(name[:end], true)
			if end < 2 || cl == "" {
				return refuse("the POSIX class [:" + name[:end] + ":] (Unicode in Oniguruma, ASCII in Go)")
			}
			b.WriteString(cl)
			i += 2 + end + 2
		case c == ']' && inBracket:
			inBracket = false
			b.WriteByte(c)
			i++
		case c == '&' && inBracket && strings.HasPrefix(pat[i:], "&&"):
			return refuse("a class intersection (&&)")
		case c == '(' && !inBracket && lookaround(pat[i:]) != "":
			return refuse(lookaround(pat[i:]))
		case c == '(' && !inBracket && strings.HasPrefix(pat[i:], "(?"):
			// Inline options: (?i) means the same in both, Oniguruma's (?m) (dot
			// matches newline) is Go's (?s), and the others have no Go form.
			j := i + 2
			for j < len(pat) && (pat[j] == '-' || (pat[j] >= 'a' && pat[j] <= 'z')) {
				j++
			}
			flags := pat[i+2 : j]
			if strings.Trim(flags, "im-") != "" {
				return refuse("the inline option (?" + flags + ")")
			}
			on, _, _ := strings.Cut(flags, "-")
			ci = ci || strings.Contains(on, "i")
			depth++
			b.WriteString("(?" + strings.ReplaceAll(flags, "m", "s"))
			i = j
		case c == '{' && !inBracket && strings.HasPrefix(pat[i:], "{,") && quantifierEnd(pat[i+2:]) > 0:
			// Oniguruma's {,n} is {0,n}; Go reads it as literal text.
			b.WriteString("{0,")
			i += 2
		case c == '^' && !inBracket:
			if consumed {
				return refuse("^ after other pattern text (Oniguruma's ^ does not match at the end of the text after a final newline, Go's does)")
			}
			b.WriteByte(c)
			i++
		default:
			switch {
			case inBracket:
			case c == '(':
				depth++
			case c == ')':
				depth--
			case c == '|':
				if depth == 0 {
					consumed = false
				}
			case c == '.' || c == '\n':
				// What can match a newline (other characters cannot).
				consumed = true
			}
			if c < utf8.RuneSelf && unicode.IsLetter(rune(c)) && !inBracket && run < 0 && (i == 0 || pat[i-1] != '\\') {
				run = i
			}
			if c >= utf8.RuneSelf {
				nonASCII = true
			}
			b.WriteByte(c)
			i++
		}
	}
	endRun(len(pat))
	if ci {
		if nonASCII {
			return refuse("(?i) with non-ASCII text (Oniguruma folds some characters to several, ß to ss; Go's (?i) does not)")
		}
		for _, r := range runs {
			r = strings.ToLower(r)
			for _, pair := range []string{"ss", "st", "ff", "fi", "fl"} {
				if strings.Contains(r, pair) {
					return refuse(fmt.Sprintf("(?i) with %q (Oniguruma's case folding matches it in one character such as ß or ﬁ; Go's (?i) does not)", pair))
				}
			}
		}
	}
	return b.String(), nil
}

// quantifierEnd is the length of "n}" at the start of s (digits then a brace), 0 when
// s does not start so.
func quantifierEnd(s string) int {
	n := 0
	for n < len(s) && s[n] >= '0' && s[n] <= '9' {
		n++
	}
	if n == 0 || n >= len(s) || s[n] != '}' {
		return 0
	}
	return n + 1
}

// lookaround names the Oniguruma group that s starts with when RE2 has no such group
// (lookahead, lookbehind, atomic, absent), "" otherwise.
func lookaround(s string) string {
	for _, g := range [...]struct{ open, name string }{
		{"(?=", "a lookahead (?=...)"}, {"(?!", "a negative lookahead (?!...)"},
		{"(?<=", "a lookbehind (?<=...)"}, {"(?<!", "a negative lookbehind (?<!...)"},
		{"(?>", "an atomic group (?>...)"}, {"(?~", "an absent operator (?~...)"},
	} {
		if strings.HasPrefix(s, g.open) {
			return g.name
		}
	}
	return ""
}
