package main

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/duckinfer/duckinfer/internal/sqltext"
)

// lineBreakMark stands for a line break inside the one-line buffer that
// chzyer/readline edits: a multi-line statement recalled from history shows its
// line breaks as this mark, so every line of it can be edited, and the marks are
// turned back into line breaks when the recalled line is run. The history file
// stores statements the same way, one entry per line.
const lineBreakMark = "↵"

// ANSI styles of the highlighter.
const (
	styleNone      = ""
	styleKeyword   = "\x1b[1;34m" // bold blue
	styleString    = "\x1b[32m"   // green
	styleNumber    = "\x1b[33m"   // yellow
	styleComment   = "\x1b[90m"   // grey
	styleUnmatched = "\x1b[1;37;41m"
	styleMark      = "\x1b[2m" // dim: the line-break mark
	styleReset     = "\x1b[0m"
)

// highlighter implements readline.Painter: it colours SQL as it is typed. It
// lexes with the statement splitter's lexer (sqltext.Lexer), so what it shows as a
// string or comment is what the splitter and DuckDB take as one.
type highlighter struct {
	keywords map[string]bool // DuckDB's own keyword list, lower case
	mu       sync.Mutex      // Paint runs on readline's goroutine
	pending  string          // earlier lines of the unfinished statement
}

func (h *highlighter) setPending(p string) {
	h.mu.Lock()
	h.pending = p
	h.mu.Unlock()
}

// loadKeywords asks DuckDB for its keywords rather than keeping a list here
// that would drift from the engine's; with onlyQuoted, only those that cannot be
// a bare name (every category but unreserved).
func (s *shell) loadKeywords(onlyQuoted bool) map[string]bool {
	kw := map[string]bool{}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	q := "SELECT keyword_name FROM duckdb_keywords()"
	if onlyQuoted {
		q += " WHERE keyword_category <> 'unreserved'"
	}
	rows, err := s.conn.QueryContext(ctx, q)
	if err != nil {
		return kw // no keyword colouring; strings, numbers and brackets still work
	}
	defer rows.Close()
	for rows.Next() {
		var k string
		if rows.Scan(&k) == nil {
			kw[strings.ToLower(k)] = true
		}
	}
	return kw
}

// Paint implements readline.Painter.
func (h *highlighter) Paint(line []rune, _ int) []rune {
	if len(line) == 0 {
		return line
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	return []rune(h.paint(string(line)))
}

// paint returns line with ANSI colours: keywords, strings, numbers, comments,
// and in a warning colour every bracket without its partner and the opening
// quote of a string (or /* of a comment) not yet closed. The earlier lines of
// the statement are lexed too, so a string opened on them is coloured here.
func (h *highlighter) paint(line string) string {
	orig := h.pending + line
	// The mark is three bytes; three bytes of whitespace in its place keep
	// offsets equal while the lexer sees a line break. The trailing space lets
	// a string or comment closed right at the end be told from one left open:
	// only an unclosed one runs past len(orig).
	lexText := strings.ReplaceAll(orig, lineBreakMark, "\n  ") + " "
	n := len(orig)
	style := make([]string, n)
	set := func(from, to int, s string) {
		for k := max(from, 0); k < min(to, n); k++ {
			style[k] = s
		}
	}
	var open []int // offsets of brackets not closed yet
	lx := sqltext.NewLexer(lexText)
	for i := 0; i < n; {
		end, kind, _ := lx.Token(i)
		c := lexText[i]
		switch {
		case kind == sqltext.Comment:
			set(i, end, styleComment)
			if c == '/' && end > n { // a line comment needs no closing
				set(i, i+2, styleUnmatched)
			}
		case kind != sqltext.Other:
		case c == '\'' || c == '"' || (c == 'e' || c == 'E') && end > i+1 && lexText[i+1] == '\'':
			if c != '"' {
				set(i, end, styleString)
			}
			if end > n {
				q := i + 1
				if c != '\'' && c != '"' {
					q = i + 2
				}
				set(i, q, styleUnmatched)
			}
		case c == '$' && end > i+1 && !sqltext.IsDigit(lexText[i+1]):
			set(i, end, styleString) // a dollar-quoted string
			if end > n {
				set(i, i+1, styleUnmatched)
			}
		case sqltext.IsDigit(c):
			set(i, end, styleNumber)
		case sqltext.IsIdentStart(c):
			if h.keywords[strings.ToLower(lexText[i:end])] {
				set(i, end, styleKeyword)
			}
		case c == '(' || c == '[' || c == '{':
			open = append(open, i)
		case c == ')' || c == ']' || c == '}':
			if k := len(open) - 1; k >= 0 && lexText[open[k]] == partner(c) {
				open = open[:k]
			} else {
				set(i, i+1, styleUnmatched)
			}
		}
		i = end
	}
	for _, k := range open {
		set(k, k+1, styleUnmatched)
	}

	var b strings.Builder
	cur := styleNone
	start := len(h.pending)
	for k, r := range orig[start:] {
		s := style[start+k]
		if string(r) == lineBreakMark {
			s = styleMark
		}
		if s != cur {
			if cur != styleNone {
				b.WriteString(styleReset)
			}
			b.WriteString(s)
			cur = s
		}
		b.WriteRune(r)
	}
	if cur != styleNone {
		b.WriteString(styleReset)
	}
	return b.String()
}

func partner(closer byte) byte {
	switch closer {
	case ')':
		return '('
	case ']':
		return '['
	}
	return '{'
}

// encodeHistory turns a statement's line breaks into marks, so that it is one
// line in the history file and in the line editor.
func encodeHistory(stmt string) string {
	stmt = strings.ReplaceAll(stmt, "\r\n", "\n")
	return strings.ReplaceAll(strings.TrimSpace(stmt), "\n", lineBreakMark)
}

// decodeHistory turns the marks of a recalled statement back into line breaks.
func decodeHistory(line string) string {
	return strings.ReplaceAll(line, lineBreakMark, "\n")
}
