package main

import (
	"strings"
	"unicode"
)

// scanStatements cuts text into complete statements, each ending at a ';' that is
// outside quotes, dollar-quoted strings and comments, and returns what is left over.
// The shell needs this itself (rather than handing DuckDB the whole text) so that
// each statement's result is printed, and so that it knows when a multi-line
// statement typed at the prompt is finished.
//
// It cuts where DuckDB's own parser does, checked by FuzzSplitMatchesDuckDB: a
// different cut runs something other than what was typed, silently.
func scanStatements(text string) (stmts []string, rest string) {
	lx := newLexer(text)
	start := 0
	for i := 0; i < len(text); {
		end, kind := lx.token(i)
		if kind == tokSemicolon {
			stmts = append(stmts, text[start:end])
			start = end
		}
		i = end
	}
	return stmts, text[start:]
}

// sqlIsBlank reports whether text holds nothing but whitespace, comments and ';'.
func sqlIsBlank(text string) bool {
	lx := newLexer(text)
	for i := 0; i < len(text); {
		end, kind := lx.token(i)
		if kind == tokOther {
			return false
		}
		i = end
	}
	return true
}

// sqlIsIdle reports whether text is blank (sqlIsBlank) and not inside a block
// comment left open: only then does a new line start a command of its own. Lines
// inside an open /* … */ belong to the comment, dot commands included.
func sqlIsIdle(text string) bool {
	lx := newLexer(text)
	for i := 0; i < len(text); {
		end, kind := lx.token(i)
		if kind == tokOther {
			return false
		}
		if end == len(text) && kind == tokComment && strings.HasPrefix(text[i:], "/*") {
			_, closed := skipBlockComment(text, i+2)
			return closed
		}
		i = end
	}
	return true
}

// hasKeyword reports whether text has the bare word kw (any case) outside strings,
// quoted identifiers and comments.
func hasKeyword(text, kw string) bool {
	lx := newLexer(text)
	for i := 0; i < len(text); {
		end, kind := lx.token(i)
		if kind == tokOther && strings.EqualFold(text[i:end], kw) {
			return true
		}
		i = end
	}
	return false
}

// stripComments replaces each comment outside quotes by a space; it is only used
// to inspect a statement, never to change what is executed.
func stripComments(text string) string {
	var b strings.Builder
	lx := newLexer(text)
	for i := 0; i < len(text); {
		end, kind := lx.token(i)
		if kind == tokComment {
			b.WriteByte(' ')
		} else {
			b.WriteString(text[i:end])
		}
		i = end
	}
	return b.String()
}

// firstWord returns the statement's leading keyword in upper case, skipping
// comments, whitespace, ';' and opening parentheses.
func firstWord(text string) string {
	s := strings.TrimLeft(stripComments(text), " \t\r\n;(")
	end := strings.IndexFunc(s, func(r rune) bool { return !(unicode.IsLetter(r) || r == '_') })
	if end < 0 {
		end = len(s)
	}
	return strings.ToUpper(s[:end])
}

type tokenKind int

const (
	tokSpace tokenKind = iota
	tokComment
	tokSemicolon
	tokOther // everything that is part of a statement
)

// lexer follows DuckDB's lexer (third_party/libpg_query/scan.l, from PostgreSQL)
// as far as telling statements apart needs: where strings, quoted identifiers,
// dollar quotes and comments begin and end, and so which ';' end a statement.
// Tokens that cannot hide a ';' (operators, keywords) need not be told apart.
type lexer struct {
	text string
	// uspace[i] > 0: a Unicode space of that many bytes starts at i, which DuckDB
	// replaces by a plain space before lexing (see unicodeSpaces).
	uspace map[int]int
}

func newLexer(text string) *lexer {
	return &lexer{text: text, uspace: unicodeSpaces(text)}
}

// token returns the end of the token that starts at i, and its kind. A string,
// quoted identifier or comment left open runs to the end of the text.
func (lx *lexer) token(i int) (int, tokenKind) {
	t := lx.text
	n := len(t)
	if w := lx.uspace[i]; w > 0 {
		return i + w, tokSpace
	}
	c := t[i]
	switch {
	case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f':
		return i + 1, tokSpace
	case c == ';':
		return i + 1, tokSemicolon
	case c == '-' && i+1 < n && t[i+1] == '-':
		// A comment runs to the end of the line; the lexer takes '\r' as one too.
		if j := strings.IndexAny(t[i:], "\n\r"); j >= 0 {
			return i + j, tokComment
		}
		return n, tokComment
	case c == '/' && i+1 < n && t[i+1] == '*':
		end, _ := skipBlockComment(t, i+2)
		return end, tokComment
	case c == '\'':
		return skipQuoted(t, i+1, '\'', false), tokOther
	case c == '"':
		return skipQuoted(t, i+1, '"', false), tokOther
	case (c == 'e' || c == 'E') && i+1 < n && t[i+1] == '\'':
		// E'...' (only where a token starts: "somee'x'" is an identifier and a
		// string), where a backslash escapes the next byte, so \' does not end it.
		// B'...', X'...', N'...' and U&'...' need nothing of their own: to find
		// their end they are an identifier, maybe '&', and a plain string.
		return skipQuoted(t, i+2, '\'', true), tokOther
	case isIdentStart(c):
		// Identifiers and keywords; '$' may continue one, so "a$b$c" is a single
		// identifier and opens no dollar quote.
		j := i + 1
		for j < n && isIdentCont(t[j]) && lx.uspace[j] == 0 {
			j++
		}
		return j, tokOther
	case isDigit(c):
		return lx.number(i), tokOther
	case c == '$':
		return lx.dollar(i), tokOther
	}
	return i + 1, tokOther
}

// number returns the end of the number at i: 1, 1_000, 1.5, 1., 1e-3, 1.5E+3.
// Where the number ends matters: after it a new token starts, so in 1$$x$$ the
// $$ opens a dollar quote, and in 1e'x' the e opens an E'...' string.
func (lx *lexer) number(i int) int {
	t := lx.text
	j := lx.integer(i)
	if j < len(t) && t[j] == '.' && !(j+1 < len(t) && t[j+1] == '.') { // 1..2 is a range
		j++
		if j < len(t) && isDigit(t[j]) {
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
		if k < len(t) && isDigit(t[k]) {
			return lx.integer(k)
		}
	}
	return j
}

// integer returns the end of the digits at i, which may be grouped by single
// underscores (1_000); an underscore not followed by a digit starts an identifier.
func (lx *lexer) integer(i int) int {
	t := lx.text
	j := i + 1
	for j < len(t) {
		if isDigit(t[j]) {
			j++
		} else if t[j] == '_' && j+1 < len(t) && isDigit(t[j+1]) {
			j += 2
		} else {
			break
		}
	}
	return j
}

// dollar handles a '$' where a token starts: $1 is a parameter, $$ and $tag$ open
// a dollar quote that ends at the same $tag$, and any other '$' stands alone (in
// $name, "name" is then an identifier).
func (lx *lexer) dollar(i int) int {
	t := lx.text
	n := len(t)
	if i+1 < n && isDigit(t[i+1]) {
		return lx.integer(i + 1)
	}
	j := i + 1
	if j < n && isIdentStart(t[j]) {
		j++
		for j < n && (isIdentStart(t[j]) || isDigit(t[j])) {
			j++
		}
	}
	if j >= n || t[j] != '$' {
		return i + 1
	}
	tag := t[i : j+1]
	if k := strings.Index(t[j+1:], tag); k >= 0 {
		return j + 1 + k + len(tag)
	}
	return n
}

// isIdentStart is scan.l's ident_start (and dolq_start): letters, '_', and every
// byte of a multi-byte UTF-8 character.
func isIdentStart(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b == '_' || b >= 0x80
}

// isIdentCont is scan.l's ident_cont, which unlike dolq_cont includes '$'.
func isIdentCont(b byte) bool { return isIdentStart(b) || isDigit(b) || b == '$' }

func isDigit(b byte) bool { return b >= '0' && b <= '9' }

// skipQuoted returns the index just past the closing quote (a doubled quote is an
// escaped quote), or len(text) when the string is not closed yet.
func skipQuoted(text string, i int, q byte, backslash bool) int {
	for i < len(text) {
		switch {
		case backslash && text[i] == '\\':
			i += 2
		case text[i] == q:
			if i+1 < len(text) && text[i+1] == q {
				i += 2
				continue
			}
			return i + 1
		default:
			i++
		}
	}
	return len(text)
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

// unicodeSpaces finds the Unicode spaces (U+00A0, U+2000 to U+200B, U+202F,
// U+205F, U+2060, U+3000, U+FEFF) that DuckDB's parser turns into plain spaces
// before its lexer runs (Parser::StripUnicodeSpaces), keyed by offset, valued by
// length. DuckDB skips quotes, dollar quotes and -- comments with a simpler scan
// of its own, which is followed here step by step, quirks included (it misses
// spaces in the last two bytes, and does not know /* */ or E'...' strings), because
// its verdict decides what the lexer sees: after "SELECT" a no-break space is a
// space, and without it would continue the identifier.
func unicodeSpaces(q string) map[int]int {
	if !strings.ContainsAny(q, "\u00a0\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u200b\u202f\u205f\u2060\u3000\ufeff") {
		return nil // the common case, and the scan below is only needed for these
	}
	spaces := map[int]int{}
	n := len(q)
	validFirst := isIdentStart
	validNext := func(b byte) bool { return isIdentStart(b) || isDigit(b) }
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
