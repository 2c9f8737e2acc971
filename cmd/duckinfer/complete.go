package main

import (
	"context"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
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
	if pending == "" && strings.HasPrefix(strings.TrimLeft(before, " "), ".") && !strings.Contains(strings.TrimSpace(before), " ") {
		word := strings.TrimSpace(before)
		var out [][]rune
		for _, n := range dotNames() {
			if strings.HasPrefix(n, word) {
				out = append(out, []rune(n[len(word):]+" "))
			}
		}
		return out, utf8.RuneCountInString(word)
	}
	// A recalled statement's line-break marks are line breaks to DuckDB; the
	// word being completed is at the end, so its offsets are unaffected.
	before = decodeHistory(before)
	sugg, err := c.s.complete(pending + before)
	if err != nil || len(sugg) == 0 {
		return nil, 0
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
		return nil, 0
	}
	return out, length
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
