package main

import (
	"strings"
	"unicode"

	"github.com/duckinfer/duckinfer/internal/sqltext"
)

// scanStatements cuts text into complete statements, each ending at a ';' that is
// outside quotes, dollar-quoted strings and comments, and returns what is left over.
// The shell needs this itself (rather than handing DuckDB the whole text) so that
// each statement's result is printed, and so that it knows when a multi-line
// statement typed at the prompt is finished.
//
// It cuts where DuckDB's own parser does, checked by FuzzSplitMatchesDuckDB: a
// different cut runs something other than what was typed, silently. The lexing is
// sqltext.Lexer's, shared with the wrappers' sqltext.Balanced; only the
// line-by-line handling of statements is the shell's own.
func scanStatements(text string) (stmts []string, rest string) {
	lx := sqltext.NewLexer(text)
	start := 0
	for i := 0; i < len(text); {
		end, kind, _ := lx.Token(i)
		if kind == sqltext.Semicolon {
			stmts = append(stmts, text[start:end])
			start = end
		}
		i = end
	}
	return stmts, text[start:]
}

// sqlIsBlank reports whether text holds nothing but whitespace, comments and ';'.
func sqlIsBlank(text string) bool {
	lx := sqltext.NewLexer(text)
	for i := 0; i < len(text); {
		end, kind, _ := lx.Token(i)
		if kind == sqltext.Other {
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
	lx := sqltext.NewLexer(text)
	for i := 0; i < len(text); {
		end, kind, open := lx.Token(i)
		if kind == sqltext.Other || open {
			return false
		}
		i = end
	}
	return true
}

// hasKeyword reports whether text has the bare word kw (any case) outside strings,
// quoted identifiers and comments.
func hasKeyword(text, kw string) bool {
	lx := sqltext.NewLexer(text)
	for i := 0; i < len(text); {
		end, kind, _ := lx.Token(i)
		if kind == sqltext.Other && strings.EqualFold(text[i:end], kw) {
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
	lx := sqltext.NewLexer(text)
	for i := 0; i < len(text); {
		end, kind, _ := lx.Token(i)
		if kind == sqltext.Comment {
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
