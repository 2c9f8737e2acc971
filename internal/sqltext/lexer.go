package sqltext

import "strings"

// Kind is what a token is, as far as cutting statements and pairing parentheses
// need to know.
type Kind int

const (
	Space     Kind = iota // white space, Unicode spaces included
	Comment               // a -- or /* */ comment
	Semicolon             // a ';' outside quotes and comments
	Other                 // everything that is part of a statement
)

// Lexer follows DuckDB's lexer (third_party/libpg_query/scan.l, from PostgreSQL)
// as far as the shell and the wrappers need: where strings, quoted identifiers,
// dollar quotes and comments begin and end, and so which ';' end a statement and
// which parentheses pair up. Tokens that cannot hide a ';' or a parenthesis
// (operators, keywords) need not be told apart. It is the only SQL lexer here:
// the shell's splitter and highlighter, Balanced and IsQuery all use it, so
// they cannot disagree about where a string or comment ends.
type Lexer struct {
	text string
	// uspace[i] > 0: a Unicode space of that many bytes starts at i, which DuckDB
	// replaces by a plain space before lexing (see UnicodeSpaces).
	uspace map[int]int
}

// NewLexer returns a lexer for text.
func NewLexer(text string) *Lexer {
	return &Lexer{text: text, uspace: UnicodeSpaces(text)}
}

// Token returns the end of the token that starts at i and its kind. A string,
// quoted identifier, dollar quote or block comment left open runs to the end of
// the text and has open set (DuckDB rejects it; a line comment needs no closing).
func (lx *Lexer) Token(i int) (end int, kind Kind, open bool) {
	t := lx.text
	n := len(t)
	if w := lx.uspace[i]; w > 0 {
		return i + w, Space, false
	}
	c := t[i]
	switch {
	case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f':
		return i + 1, Space, false
	case c == ';':
		return i + 1, Semicolon, false
	case c == '-' && i+1 < n && t[i+1] == '-':
		// A comment runs to the end of the line; the lexer takes '\r' as one too.
		if j := strings.IndexAny(t[i:], "\n\r"); j >= 0 {
			return i + j, Comment, false
		}
		return n, Comment, false
	case c == '/' && i+1 < n && t[i+1] == '*':
		end, closed := skipBlockComment(t, i+2)
		return end, Comment, !closed
	case c == '\'' || c == '"':
		end, closed := skipQuoted(t, i+1, c, false)
		return end, Other, !closed
	case (c == 'e' || c == 'E') && i+1 < n && t[i+1] == '\'':
		// E'...' (only where a token starts: "somee'x'" is an identifier and a
		// string), where a backslash escapes the next byte, so \' does not end it.
		// B'...', X'...', N'...' and U&'...' need nothing of their own: to find
		// their end they are an identifier, maybe '&', and a plain string.
		end, closed := skipQuoted(t, i+2, '\'', true)
		return end, Other, !closed
	case IsIdentStart(c):
		// Identifiers and keywords; '$' may continue one, so "a$b$c" is a single
		// identifier and opens no dollar quote.
		j := i + 1
		for j < n && isIdentCont(t[j]) && lx.uspace[j] == 0 {
			j++
		}
		return j, Other, false
	case IsDigit(c):
		return lx.number(i), Other, false
	case c == '$':
		end, closed := lx.dollar(i)
		return end, Other, !closed
	}
	return i + 1, Other, false
}

// number returns the end of the number at i: 1, 1_000, 1.5, 1., 1e-3, 1.5E+3.
// Where the number ends matters: after it a new token starts, so in 1$$x$$ the
// $$ opens a dollar quote, and in 1e'x' the e opens an E'...' string.
func (lx *Lexer) number(i int) int {
	t := lx.text
	j := lx.integer(i)
	if j < len(t) && t[j] == '.' && !(j+1 < len(t) && t[j+1] == '.') { // 1..2 is a range
		j++
		if j < len(t) && IsDigit(t[j]) {
			j = lx.integer(j)
		}
	}
	// An exponent only counts when digits follow; otherwise the e starts a token.
	k := j
	if k < len(t) && (t[k] == 'e' || t[k] == 'E') {
		k++
		if k < len(t) && (t[k] == '+' || t[k] == '-') {
			k++
		}
		if k < len(t) && IsDigit(t[k]) {
			return lx.integer(k)
		}
	}
	return j
}

// integer returns the end of the digits at i, which may be grouped by single
// underscores (1_000); an underscore not followed by a digit starts an identifier.
func (lx *Lexer) integer(i int) int {
	t := lx.text
	j := i + 1
	for j < len(t) {
		if IsDigit(t[j]) {
			j++
		} else if t[j] == '_' && j+1 < len(t) && IsDigit(t[j+1]) {
			j += 2
		} else {
			break
		}
	}
	return j
}

// dollar handles a '$' where a token starts: $1 is a parameter, $$ and $tag$ open
// a dollar quote that ends at the same $tag$, and any other '$' stands alone (in
// $name, "name" is then an identifier). closed is false for a dollar quote left
// open.
func (lx *Lexer) dollar(i int) (end int, closed bool) {
	t := lx.text
	n := len(t)
	if i+1 < n && IsDigit(t[i+1]) {
		return lx.integer(i + 1), true
	}
	j := i + 1
	if j < n && IsIdentStart(t[j]) {
		j++
		for j < n && (IsIdentStart(t[j]) || IsDigit(t[j])) {
			j++
		}
	}
	if j >= n || t[j] != '$' {
		return i + 1, true
	}
	tag := t[i : j+1]
	if k := strings.Index(t[j+1:], tag); k >= 0 {
		return j + 1 + k + len(tag), true
	}
	return n, false
}

// IsIdentStart is scan.l's ident_start (and dolq_start): letters, '_', and every
// byte of a multi-byte UTF-8 character.
func IsIdentStart(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b == '_' || b >= 0x80
}

// isIdentCont is scan.l's ident_cont, which unlike dolq_cont includes '$'.
func isIdentCont(b byte) bool { return IsIdentStart(b) || IsDigit(b) || b == '$' }

// IsDigit reports whether b is an ASCII digit.
func IsDigit(b byte) bool { return b >= '0' && b <= '9' }

// skipQuoted returns the index just past the closing quote (a doubled quote is an
// escaped quote), or len(text) and closed false when the string is not closed.
func skipQuoted(text string, i int, q byte, backslash bool) (end int, closed bool) {
	for i < len(text) {
		switch {
		case backslash && text[i] == '\\':
			i += 2
		case text[i] == q:
			if i+1 < len(text) && text[i+1] == q {
				i += 2
				continue
			}
			return i + 1, true
		default:
			i++
		}
	}
	return len(text), false
}

// skipBlockComment handles nested /* */ comments, as DuckDB's Postgres-derived parser does.
// It returns the comment's end, and whether the comment is closed there.
func skipBlockComment(text string, i int) (int, bool) {
	depth := 1
	for i < len(text) {
		switch {
		case strings.HasPrefix(text[i:], "/*"):
			depth++
			i += 2
		case strings.HasPrefix(text[i:], "*/"):
			depth--
			i += 2
			if depth == 0 {
				return i, true
			}
		default:
			i++
		}
	}
	return len(text), false
}

// UnicodeSpaces finds the Unicode spaces (U+00A0, U+2000 to U+200B, U+202F,
// U+205F, U+2060, U+3000, U+FEFF) that DuckDB's parser turns into plain spaces
// before its lexer runs (Parser::StripUnicodeSpaces), keyed by offset, valued by
// length. DuckDB skips quotes, dollar quotes and -- comments with a simpler scan
// of its own, which is followed here step by step, quirks included (it misses
// spaces in the last two bytes, and does not know /* */ or E'...' strings), because
// its verdict decides what the lexer sees: after "SELECT" a no-break space is a
// space, and without it would continue the identifier.
func UnicodeSpaces(q string) map[int]int {
	if !strings.ContainsAny(q, "\u00a0\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u200b\u202f\u205f\u2060\u3000\ufeff") {
		return nil // the common case, and the scan below is only needed for these
	}
	spaces := map[int]int{}
	n := len(q)
	validFirst := IsIdentStart
	validNext := func(b byte) bool { return IsIdentStart(b) || IsDigit(b) }
	pos := 0
regular:
	for ; pos+2 < n; pos++ {
		switch {
		case q[pos] == 0xC2 && q[pos+1] == 0xA0:
			spaces[pos] = 2
		case q[pos] == 0xE2 && q[pos+1] == 0x80 && (q[pos+2] >= 0x80 && q[pos+2] <= 0x8B || q[pos+2] == 0xAF),
			q[pos] == 0xE2 && q[pos+1] == 0x81 && (q[pos+2] == 0x9F || q[pos+2] == 0xA0),
			q[pos] == 0xE3 && q[pos+1] == 0x80 && q[pos+2] == 0x80,
			q[pos] == 0xEF && q[pos+1] == 0xBB && q[pos+2] == 0xBF:
			spaces[pos] = 3
		case q[pos] == '"' || q[pos] == '\'':
			quote := q[pos]
			for pos++; pos+1 < n; pos++ {
				if q[pos] == quote {
					if q[pos+1] == quote {
						pos++
						continue
					}
					pos++
					goto regular
				}
			}
			return spaces
		case q[pos] == '$' && (q[pos+1] == '$' || validFirst(q[pos+1])):
			pos++
			start := pos
			for ; pos+2 < n; pos++ {
				if q[pos] == '$' {
					tag := q[start:pos]
					for ; pos+2 < n; pos++ {
						if q[pos] == '$' && n-(pos+1) >= len(tag)+1 && q[pos+len(tag)+1] == '$' &&
							q[pos+1:pos+1+len(tag)] == tag {
							pos += len(tag) + 1
							goto regular
						}
					}
					return spaces
				}
				if !validNext(q[pos]) {
					goto regular
				}
			}
			return spaces
		case q[pos] == '-' && q[pos+1] == '-':
			for ; pos < n; pos++ {
				if q[pos] == '\n' || q[pos] == '\r' {
					goto regular
				}
			}
			return spaces
		}
	}
	return spaces
}
