package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Output modes accepted by .mode and the mode flags, defined as the duckdb CLI
// defines them (tools/shell/shell_renderer.cpp in DuckDB 1.5).
const (
	modeDuckbox   = "duckbox"
	modeBox       = "box"
	modeTable     = "table"
	modeMarkdown  = "markdown"
	modeColumn    = "column"
	modeLine      = "line"
	modeList      = "list"
	modeTabs      = "tabs"
	modeCSV       = "csv"
	modeJSON      = "json"
	modeJSONLines = "jsonlines"
	modeInsert    = "insert"
	modeQuote     = "quote"
	modeHTML      = "html"
	modeASCII     = "ascii"
	modeTrash     = "trash"
)

var modeNames = []string{modeASCII, modeBox, modeColumn, modeCSV, modeDuckbox, modeHTML, modeInsert,
	modeJSON, modeJSONLines, modeLine, modeList, modeMarkdown, modeQuote, modeTable, modeTabs, modeTrash}

// normalizeMode accepts a mode name, a unique prefix of one (as the duckdb CLI
// does: ".mode dup"), and the aliases "lines", "columns" and "md".
func normalizeMode(m string) (string, bool) {
	m = strings.ToLower(m)
	switch m {
	case "lines":
		return modeLine, true
	case "columns":
		return modeColumn, true
	case "md":
		return modeMarkdown, true
	}
	var found []string
	for _, n := range modeNames {
		if n == m {
			return n, true
		}
		if m != "" && strings.HasPrefix(n, m) {
			found = append(found, n)
		}
	}
	if len(found) == 1 {
		return found[0], true
	}
	return "", false
}

// cell is one value as text, exactly as DuckDB casts it to VARCHAR; null marks
// SQL NULL, whose text the renderer picks (.nullvalue).
type cell struct {
	text string
	null bool
}

// nextRow returns the next row, or io.EOF after the last one.
type nextRow func() ([]cell, error)

type renderOptions struct {
	width        int    // duckbox: terminal width to fit into; 0 means no limit
	maxRows      int    // duckbox: show at most this many rows (first and last halves); 0: all
	header       bool   // list, csv, column, html, quote, insert: print column names
	colSep       string // list, tabs, csv, quote, ascii
	rowSep       string
	nullValue    string          // text for NULL (.nullvalue), "NULL" by default
	table        string          // insert: the table name
	keywords     map[string]bool // insert: DuckDB's keywords that must be quoted as names
	columnwise   bool            // duckbox: one line per column (.columns)
	largeNumbers bool            // duckbox: "(1.23 million)" under a single large number
}

func defaultRenderOptions() renderOptions {
	return renderOptions{maxRows: 40, header: true, colSep: "|", rowSep: "\n", nullValue: "NULL", table: "table"}
}

func render(w io.Writer, mode string, cols []column, next nextRow, opts renderOptions) error {
	bw := bufio.NewWriter(w)
	var err error
	switch mode {
	case modeCSV:
		err = renderCSV(bw, cols, next, opts)
	case modeJSON:
		err = renderJSON(bw, cols, next, opts, true)
	case modeJSONLines:
		err = renderJSON(bw, cols, next, opts, false)
	case modeLine:
		err = renderLine(bw, cols, next, opts)
	case modeList, modeTabs, modeASCII:
		err = renderList(bw, cols, next, opts)
	case modeHTML:
		err = renderHTML(bw, cols, next, opts)
	case modeQuote:
		err = renderQuote(bw, cols, next, opts)
	case modeInsert:
		err = renderInsert(bw, cols, next, opts)
	case modeMarkdown, modeTable, modeBox, modeColumn:
		err = renderColumns(bw, mode, cols, next, opts)
	case modeTrash:
		err = eachRow(next, func([]cell) error { return nil })
	default:
		err = renderBox(bw, cols, next, opts)
	}
	if ferr := bw.Flush(); err == nil {
		err = ferr
	}
	return err
}

func eachRow(next nextRow, fn func([]cell) error) error {
	for {
		vals, err := next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := fn(vals); err != nil {
			return err
		}
	}
}

func (o renderOptions) text(c cell) string {
	if c.null {
		return o.nullValue
	}
	return c.text
}

func renderList(w *bufio.Writer, cols []column, next nextRow, o renderOptions) error {
	if o.header {
		for i, c := range cols {
			if i > 0 {
				w.WriteString(o.colSep)
			}
			w.WriteString(c.name)
		}
		w.WriteString(o.rowSep)
	}
	return eachRow(next, func(row []cell) error {
		for i, c := range row {
			if i > 0 {
				w.WriteString(o.colSep)
			}
			w.WriteString(o.text(c))
		}
		_, err := w.WriteString(o.rowSep)
		return err
	})
}

// csvField quotes a field as the duckdb CLI does: when it holds a control
// character, a quote, a non-ASCII byte or the separator.
func csvField(s, sep string) string {
	quote := sep != "" && strings.Contains(s, sep)
	for i := 0; i < len(s) && !quote; i++ {
		c := s[i]
		quote = c <= 31 || c == '"' || c == '\'' || c >= 127
	}
	if !quote {
		return s
	}
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

func renderCSV(w *bufio.Writer, cols []column, next nextRow, o renderOptions) error {
	if o.header {
		for i, c := range cols {
			if i > 0 {
				w.WriteString(o.colSep)
			}
			w.WriteString(csvField(c.name, o.colSep))
		}
		w.WriteString(o.rowSep)
	}
	return eachRow(next, func(row []cell) error {
		for i, c := range row {
			if i > 0 {
				w.WriteString(o.colSep)
			}
			w.WriteString(csvField(o.text(c), o.colSep))
		}
		_, err := w.WriteString(o.rowSep)
		return err
	})
}

// jsonString escapes s as the duckdb CLI's JSON modes do.
func jsonString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\' || c == '"':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c == '\b':
			b.WriteString(`\b`)
		case c == '\f':
			b.WriteString(`\f`)
		case c == '\n':
			b.WriteString(`\n`)
		case c == '\r':
			b.WriteString(`\r`)
		case c == '\t':
			b.WriteString(`\t`)
		case c <= 0x1f:
			fmt.Fprintf(&b, `\u%04x`, c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// renderJSON writes one JSON object per row: an array of them (json) or one per
// line (jsonlines). Nested values and floats arrive already cast to JSON by the
// query (see textQuery), so they are written as they are, like JSON columns.
func renderJSON(w *bufio.Writer, cols []column, next nextRow, _ renderOptions, array bool) error {
	keys := make([]string, len(cols))
	for i, c := range cols {
		keys[i] = jsonString(c.name)
	}
	if array {
		w.WriteString("[")
	}
	n := 0
	err := eachRow(next, func(row []cell) error {
		if n > 0 {
			if array {
				w.WriteString(",")
			}
			w.WriteString("\n")
		}
		n++
		w.WriteString("{")
		for i, c := range row {
			if i > 0 {
				w.WriteString(",")
			}
			w.WriteString(keys[i])
			w.WriteString(":")
			switch col := cols[i]; {
			case c.null:
				w.WriteString("null")
			case col.nested || col.json || !col.jsonQuoted():
				w.WriteString(c.text)
			default:
				w.WriteString(jsonString(c.text))
			}
		}
		_, err := w.WriteString("}")
		return err
	})
	if err != nil {
		return err
	}
	if array {
		_, err = w.WriteString("]\n")
	} else {
		_, err = w.WriteString("\n")
	}
	return err
}

func renderLine(w *bufio.Writer, cols []column, next nextRow, o renderOptions) error {
	width := 5
	for _, c := range cols {
		width = max(width, textWidth(c.name))
	}
	n := 0
	return eachRow(next, func(row []cell) error {
		if n > 0 {
			w.WriteString(o.rowSep)
		}
		n++
		for i, c := range row {
			w.WriteString(padLeft(cols[i].name, width))
			w.WriteString(" = ")
			w.WriteString(o.text(c))
			w.WriteString(o.rowSep)
		}
		return nil
	})
}

var htmlEscaper = strings.NewReplacer("<", "&lt;", "&", "&amp;", ">", "&gt;", `"`, "&quot;", "'", "&#39;")

func renderHTML(w *bufio.Writer, cols []column, next nextRow, o renderOptions) error {
	if o.header {
		w.WriteString("<tr>")
		for _, c := range cols {
			w.WriteString("<th>" + htmlEscaper.Replace(c.name) + "</th>\n")
		}
		w.WriteString("</tr>\n")
	}
	return eachRow(next, func(row []cell) error {
		w.WriteString("<tr>")
		for _, c := range row {
			w.WriteString("<td>" + htmlEscaper.Replace(o.text(c)) + "</td>\n")
		}
		_, err := w.WriteString("</tr>\n")
		return err
	})
}

func sqlQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

func renderQuote(w *bufio.Writer, cols []column, next nextRow, o renderOptions) error {
	if o.header {
		for i, c := range cols {
			if i > 0 {
				w.WriteString(o.colSep)
			}
			w.WriteString(sqlQuote(c.name))
		}
		w.WriteString(o.rowSep)
	}
	return eachRow(next, func(row []cell) error {
		for i, c := range row {
			if i > 0 {
				w.WriteString(o.colSep)
			}
			switch {
			case c.null:
				w.WriteString("NULL")
			case cols[i].numeric || cols[i].dbType == "BOOLEAN":
				w.WriteString(c.text)
			default:
				w.WriteString(sqlQuote(c.text))
			}
		}
		_, err := w.WriteString(o.rowSep)
		return err
	})
}

// insertLiteral writes s as a SQL string literal; line breaks and NUL become
// chr() calls so that each INSERT stays on one line.
func insertLiteral(s string) string {
	if !strings.ContainsAny(s, "\n\r\x00") {
		return sqlQuote(s)
	}
	r := strings.NewReplacer("'", "''", "\n", "', chr(10), '", "\r", "', chr(13), '", "\x00", "', chr(0), '")
	return "concat('" + r.Replace(s) + "')"
}

func renderInsert(w *bufio.Writer, cols []column, next nextRow, o renderOptions) error {
	prefix := "INSERT INTO " + quoteIdentIfNeeded(o.table, o.keywords)
	if o.header {
		names := make([]string, len(cols))
		for i, c := range cols {
			names[i] = quoteIdentIfNeeded(c.name, o.keywords)
		}
		prefix += "(" + strings.Join(names, ",") + ")"
	}
	return eachRow(next, func(row []cell) error {
		w.WriteString(prefix)
		for i, c := range row {
			if i == 0 {
				w.WriteString(" VALUES(")
			} else {
				w.WriteString(",")
			}
			switch {
			case c.null:
				w.WriteString("NULL")
			case cols[i].numeric:
				w.WriteString(c.text)
			default:
				w.WriteString(insertLiteral(c.text))
			}
		}
		_, err := w.WriteString(");\n")
		return err
	})
}

// quoteIdentIfNeeded leaves plain lower-case names bare and double-quotes the rest,
// keywords (order, select, the default table name "table") included, so that the
// output runs back.
func quoteIdentIfNeeded(s string, keywords map[string]bool) string {
	plain := s != "" && !keywords[s]
	for i, r := range s {
		if !(r == '_' || r >= 'a' && r <= 'z' || i > 0 && r >= '0' && r <= '9') {
			plain = false
			break
		}
	}
	if plain {
		return s
	}
	return sqlIdent(s)
}

// renderColumns draws the aligned modes (column, table, box, markdown), whose
// widths need every row first, as the duckdb CLI's do.
func renderColumns(w *bufio.Writer, mode string, cols []column, next nextRow, o renderOptions) error {
	names := make([]string, len(cols))
	widths := make([]int, len(cols))
	conv := func(s string) string { return s }
	switch mode {
	case modeMarkdown:
		conv = func(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
	case modeBox:
		conv = func(s string) string { return strings.ReplaceAll(s, "\n", `\n`) }
	}
	for i, c := range cols {
		names[i] = conv(c.name)
		widths[i] = textWidth(names[i])
	}
	var rows [][]string
	err := eachRow(next, func(row []cell) error {
		r := make([]string, len(row))
		for i, c := range row {
			if c.null {
				r[i] = o.nullValue
			} else {
				r[i] = conv(c.text)
			}
			widths[i] = max(widths[i], textWidth(r[i]))
		}
		rows = append(rows, r)
		return nil
	})
	if err != nil {
		return err
	}
	line := func(cells []string, start, sep, end string, align func(string, int) string) {
		w.WriteString(start)
		for i, s := range cells {
			if i > 0 {
				w.WriteString(sep)
			}
			w.WriteString(align(s, widths[i]))
		}
		w.WriteString(end)
	}
	rule := func(left, mid, right, dash string) {
		w.WriteString(left)
		for i, wd := range widths {
			if i > 0 {
				w.WriteString(mid)
			}
			w.WriteString(strings.Repeat(dash, wd+2))
		}
		w.WriteString(right + "\n")
	}
	switch mode {
	case modeColumn:
		if o.header {
			line(names, "", "  ", "\n", padRight)
			dashes := make([]string, len(widths))
			for i, wd := range widths {
				dashes[i] = strings.Repeat("-", wd)
			}
			line(dashes, "", "  ", "\n", padRight)
		}
		for _, r := range rows {
			line(r, "", "  ", "\n", padRight)
		}
	case modeTable:
		rule("+", "+", "+", "-")
		line(names, "| ", " | ", " |\n", padCenter)
		rule("+", "+", "+", "-")
		for _, r := range rows {
			line(r, "| ", " | ", " |\n", padRight)
		}
		rule("+", "+", "+", "-")
	case modeBox:
		rule("┌", "┬", "┐", "─")
		line(names, "│ ", " │ ", " │\n", padCenter)
		rule("├", "┼", "┤", "─")
		for _, r := range rows {
			line(r, "│ ", " │ ", " │\n", padRight)
		}
		rule("└", "┴", "┘", "─")
	case modeMarkdown:
		line(names, "| ", " | ", " |\n", padCenter)
		for i, wd := range widths {
			w.WriteString("|")
			if cols[i].numeric {
				w.WriteString(strings.Repeat("-", wd+1) + ":")
			} else {
				w.WriteString(strings.Repeat("-", wd+2))
			}
		}
		w.WriteString("|\n")
		for _, r := range rows {
			line(r, "| ", " | ", " |\n", padRight)
		}
	}
	return nil
}

func padRight(s string, width int) string {
	return s + strings.Repeat(" ", max(0, width-textWidth(s)))
}

func padLeft(s string, width int) string {
	return strings.Repeat(" ", max(0, width-textWidth(s))) + s
}

func padCenter(s string, width int) string {
	gap := max(0, width-textWidth(s))
	return strings.Repeat(" ", gap/2) + s + strings.Repeat(" ", gap-gap/2)
}
