package main

import (
	"context"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/duckinfer/duckinfer/internal/sqltext"
)

// completer gives readline its Tab completions. SQL is completed by DuckDB's own
// engine, the sql_auto_complete table function of the autocomplete extension
// that the bundled DuckDB library includes: keywords, tables, columns,
// functions and file names, from the statement typed so far (all its lines).
// Dot commands are completed here.
type completer struct {
	s       *shell
	mu      sync.Mutex // Do runs on readline's goroutine
	pending string     // the earlier lines of an unfinished statement
	// quoted: DuckDB's keywords that a name must be quoted to be, loaded on
	// first use (the completer's own: the shell's is set on another goroutine).
	quoted map[string]bool
	// pasted reports whether the tab being handled came with more input after
	// it in one read of the terminal; nil when no terminal drives Do.
	pasted func() bool
}

func (c *completer) setPending(p string) {
	c.mu.Lock()
	c.pending = p
	c.mu.Unlock()
}

// Do implements readline.AutoCompleter: candidates are the text to insert after
// the cursor, and length is how many runes before the cursor they complete.
func (c *completer) Do(line []rune, pos int) ([][]rune, int) {
	c.mu.Lock()
	pending := c.pending
	c.mu.Unlock()
	before := string(line[:pos])
	// A recalled statement's line-break marks are line breaks to DuckDB; the
	// word being completed is at the end, so its offsets are unaffected.
	decoded := decodeHistory(before)
	// A tab with more input right after it was pasted (the duckdb CLI's
	// linenoise decides the same way): part of the text, a string's value or
	// indentation, not a request to complete.
	if c.pasted != nil && c.pasted() || literalTab(pending+decoded) {
		return tab(), 0
	}
	if pending == "" && strings.HasPrefix(strings.TrimLeft(before, " "), ".") && !strings.Contains(strings.TrimSpace(before), " ") {
		word := strings.TrimSpace(before)
		var out [][]rune
		for _, n := range dotNames() {
			if strings.HasPrefix(n, word) {
				out = append(out, []rune(n[len(word):]+" "))
			}
		}
		if len(out) == 0 {
			return tab(), 0
		}
		return out, utf8.RuneCountInString(word)
	}
	before = decoded
	sugg, err := c.s.complete(pending + before)
	if err != nil || len(sugg) == 0 {
		return tab(), 0
	}
	lineStart := len(pending)
	var out [][]rune
	length := -1
	for _, sg := range sugg {
		if sg.start < lineStart || sg.start > lineStart+len(before) {
			continue // the word began on an earlier line: readline cannot replace it
		}
		typed := before[sg.start-lineStart:]
		text := sg.text
		if !strings.HasPrefix(typed, `"`) {
			// DuckDB quotes every name that is not plain lower-case ASCII ("café",
			// "日本"); typed without its quote, the name is matched and completed
			// bare where it may stand bare.
			text = c.unquoted(text)
		}
		if sg.kind == "keyword" && typed == strings.ToLower(typed) {
			text = strings.ToLower(text) // keep the case the user types keywords in
		}
		if !strings.HasPrefix(text, typed) {
			if !strings.HasPrefix(strings.ToLower(text), strings.ToLower(typed)) {
				continue
			}
			text = typed + text[len(typed):]
		}
		n := utf8.RuneCountInString(typed)
		if length >= 0 && n != length {
			continue
		}
		length = n
		out = append(out, []rune(text[len(typed):]))
	}
	if length < 0 {
		return tab(), 0
	}
	return out, length
}

// tab is the candidate that inserts the Tab key's own character: readline
// writes a single candidate into the line as it is.
func tab() [][]rune { return [][]rune{{'\t'}} }

// literalTab reports whether Tab at the end of text (the statement up to the
// cursor) is a character rather than a request to complete: at the start of a
// line and after white space, where it indents, and inside a comment. Inside a
// string or quoted identifier DuckDB completes file names and quoted names;
// where it has none, Do inserts the tab as it does wherever nothing completes.
func literalTab(text string) bool {
	if text == "" {
		return true
	}
	lx := sqltext.NewLexer(text)
	var kind sqltext.Kind
	for i := 0; i < len(text); {
		end, k, _ := lx.Token(i)
		kind = k
		i = end
	}
	// The last token runs to the cursor: a -- comment to the end of its line,
	// an open /* comment to the end of the text; a closed one ends at "*/",
	// where a tab separates like white space.
	return kind == sqltext.Space || kind == sqltext.Comment
}

// unquoted returns a suggestion that is a double-quoted name as the bare name
// (with what follows it, such as a schema's '.') when the name may be written
// bare: identifier characters only, and not a keyword that must be quoted.
// Anything else is returned as it is.
func (c *completer) unquoted(text string) string {
	if !strings.HasPrefix(text, `"`) {
		return text
	}
	end, _, open := sqltext.NewLexer(text).Token(0)
	if open {
		return text
	}
	name := text[1 : end-1]
	if name == "" || !sqltext.IsIdentStart(name[0]) || len(sqltext.UnicodeSpaces(name)) > 0 {
		return text
	}
	for i := 1; i < len(name); i++ {
		if b := name[i]; !sqltext.IsIdentStart(b) && !sqltext.IsDigit(b) && b != '$' {
			return text // a quote, a space, punctuation
		}
	}
	c.mu.Lock()
	if c.quoted == nil {
		c.quoted = c.s.loadKeywords(true)
	}
	reserved := c.quoted[strings.ToLower(name)]
	c.mu.Unlock()
	if reserved {
		return text
	}
	return name + text[end:]
}

type suggestion struct {
	text  string
	start int // byte offset in the text where the completed word begins
	kind  string
}

// complete asks DuckDB for completions of text (the statement up to the cursor).
func (s *shell) complete(text string) ([]suggestion, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	rows, err := s.conn.QueryContext(ctx,
		"SELECT suggestion, suggestion_start, suggestion_type FROM sql_auto_complete(?) LIMIT 50", text)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []suggestion
	for rows.Next() {
		var sg suggestion
		if err := rows.Scan(&sg.text, &sg.start, &sg.kind); err != nil {
			return nil, err
		}
		out = append(out, sg)
	}
	return out, rows.Err()
}
