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
func scanStatements(text string) (stmts []string, rest string) {
	start := 0
	n := len(text)
	for i := 0; i < n; {
		c := text[i]
		switch {
		case c == '\'':
			i = skipQuoted(text, i+1, '\'', isEscapeString(text, i))
		case c == '"':
			i = skipQuoted(text, i+1, '"', false)
		case c == '-' && i+1 < n && text[i+1] == '-':
			if j := strings.IndexByte(text[i:], '\n'); j >= 0 {
				i += j + 1
			} else {
				i = n
			}
		case c == '/' && i+1 < n && text[i+1] == '*':
			i = skipBlockComment(text, i+2)
		case c == '$':
			if tag, ok := dollarTag(text, i); ok {
				if j := strings.Index(text[i+len(tag):], tag); j >= 0 {
					i += 2*len(tag) + j
				} else {
					i = n
				}
			} else {
				i++
			}
		case c == ';':
			stmts = append(stmts, text[start:i+1])
			i++
			start = i
		default:
			i++
		}
	}
	return stmts, text[start:]
}

// isEscapeString reports whether the quote at i opens an E'...' string, where a
// backslash escapes the next character (so \' does not end the string).
func isEscapeString(text string, i int) bool {
	if i == 0 || (text[i-1] != 'e' && text[i-1] != 'E') {
		return false
	}
	return i == 1 || !isIdentByte(text[i-2])
}

func isIdentByte(b byte) bool {
	return b == '_' || b >= 0x80 || unicode.IsLetter(rune(b)) || unicode.IsDigit(rune(b))
}

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
func skipBlockComment(text string, i int) int {
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
				return i
			}
		default:
			i++
		}
	}
	return len(text)
}

// dollarTag recognises $tag$ or $$ at i. A '$' followed by a digit is a
// prepared-statement parameter ($1), not a quote.
func dollarTag(text string, i int) (string, bool) {
	j := i + 1
	if j < len(text) && text[j] >= '0' && text[j] <= '9' {
		return "", false
	}
	for j < len(text) && isIdentByte(text[j]) {
		j++
	}
	if j < len(text) && text[j] == '$' {
		return text[i : j+1], true
	}
	return "", false
}

// sqlIsBlank reports whether text holds nothing but whitespace, comments and ';'.
func sqlIsBlank(text string) bool {
	return strings.Trim(stripComments(text), " \t\r\n;") == ""
}

// stripComments removes comments outside quotes; it is only used to inspect a
// statement, never to change what is executed.
func stripComments(text string) string {
	var b strings.Builder
	n := len(text)
	for i := 0; i < n; {
		c := text[i]
		switch {
		case c == '\'' || c == '"':
			j := skipQuoted(text, i+1, c, c == '\'' && isEscapeString(text, i))
			b.WriteString(text[i:j])
			i = j
		case c == '-' && i+1 < n && text[i+1] == '-':
			if j := strings.IndexByte(text[i:], '\n'); j >= 0 {
				i += j
			} else {
				i = n
			}
			b.WriteByte(' ')
		case c == '/' && i+1 < n && text[i+1] == '*':
			i = skipBlockComment(text, i+2)
			b.WriteByte(' ')
		default:
			b.WriteByte(c)
			i++
		}
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
