package main

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode"
)

// Output modes accepted by .mode and the -csv/-json flags.
const (
	modeDuckbox  = "duckbox"
	modeCSV      = "csv"
	modeJSON     = "json"
	modeLine     = "line"
	modeMarkdown = "markdown"
)

var modeNames = []string{modeDuckbox, modeCSV, modeJSON, modeLine, modeMarkdown}

// normalizeMode accepts the names and aliases the duckdb CLI users know.
func normalizeMode(m string) (string, bool) {
	switch strings.ToLower(m) {
	case "duckbox", "box", "table":
		return modeDuckbox, true
	case "csv":
		return modeCSV, true
	case "json":
		return modeJSON, true
	case "line":
		return modeLine, true
	case "markdown", "md":
		return modeMarkdown, true
	}
	return "", false
}

// nextRow returns the next row's scanned values, or io.EOF after the last one.
type nextRow func() ([]any, error)

type renderOptions struct {
	width   int // terminal width to fit tables into; 0 means no limit
	maxRows int // duckbox shows at most this many rows (first and last halves)
}

func render(w io.Writer, mode string, cols []column, next nextRow, opts renderOptions) error {
	bw := bufio.NewWriter(w)
	var err error
	switch mode {
	case modeCSV:
		err = renderCSV(bw, cols, next)
	case modeJSON:
		err = renderJSON(bw, cols, next)
	case modeLine:
		err = renderLine(bw, cols, next)
	case modeMarkdown:
		err = renderMarkdown(bw, cols, next)
	default:
		err = renderBox(bw, cols, next, opts)
	}
	if ferr := bw.Flush(); err == nil {
		err = ferr
	}
	return err
}

func eachRow(next nextRow, fn func([]any) error) error {
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

func renderCSV(w io.Writer, cols []column, next nextRow) error {
	cw := csv.NewWriter(w)
	rec := make([]string, len(cols))
	for i, c := range cols {
		rec[i] = c.name
	}
	if err := cw.Write(rec); err != nil {
		return err
	}
	err := eachRow(next, func(vals []any) error {
		for i, v := range vals {
			s, ok := formatValue(v, cols[i].dbType)
			if !ok {
				s = "" // NULL is an empty field, as DuckDB's csv mode writes it
			}
			rec[i] = s
		}
		return cw.Write(rec)
	})
	cw.Flush()
	if err != nil {
		return err
	}
	return cw.Error()
}

// renderJSON writes one JSON array of objects per statement, one row per line,
// keeping the column order (which a Go map would lose).
func renderJSON(w io.Writer, cols []column, next nextRow) error {
	keys := make([][]byte, len(cols))
	for i, c := range cols {
		keys[i], _ = json.Marshal(c.name)
	}
	n := 0
	err := eachRow(next, func(vals []any) error {
		var b strings.Builder
		if n == 0 {
			b.WriteString("[{")
		} else {
			b.WriteString(",\n{")
		}
		for i, v := range vals {
			if i > 0 {
				b.WriteByte(',')
			}
			b.Write(keys[i])
			b.WriteByte(':')
			enc, err := json.Marshal(jsonValue(v, cols[i].dbType))
			if err != nil {
				return fmt.Errorf("encoding column %q as JSON: %w", cols[i].name, err)
			}
			b.Write(enc)
		}
		b.WriteByte('}')
		n++
		_, err := io.WriteString(w, b.String())
		return err
	})
	if err != nil {
		return err
	}
	if n == 0 {
		_, err = io.WriteString(w, "[]\n")
	} else {
		_, err = io.WriteString(w, "]\n")
	}
	return err
}

func renderLine(w io.Writer, cols []column, next nextRow) error {
	width := 0
	for _, c := range cols {
		width = max(width, textWidth(c.name))
	}
	n := 0
	return eachRow(next, func(vals []any) error {
		if n > 0 {
			if _, err := io.WriteString(w, "\n"); err != nil {
				return err
			}
		}
		n++
		for i, v := range vals {
			s, _ := formatValue(v, cols[i].dbType)
			if _, err := fmt.Fprintf(w, "%s = %s\n", padLeft(cols[i].name, width), s); err != nil {
				return err
			}
		}
		return nil
	})
}

func renderMarkdown(w io.Writer, cols []column, next nextRow) error {
	var rows [][]string
	widths := make([]int, len(cols))
	for i, c := range cols {
		widths[i] = max(3, textWidth(mdEscape(c.name)))
	}
	err := eachRow(next, func(vals []any) error {
		row := make([]string, len(vals))
		for i, v := range vals {
			s, _ := formatValue(v, cols[i].dbType)
			row[i] = mdEscape(s)
			widths[i] = max(widths[i], textWidth(row[i]))
		}
		rows = append(rows, row)
		return nil
	})
	if err != nil {
		return err
	}
	line := func(cells []string) string {
		var b strings.Builder
		b.WriteString("|")
		for i, s := range cells {
			b.WriteString(" ")
			if cols[i].numeric {
				b.WriteString(padLeft(s, widths[i]))
			} else {
				b.WriteString(padRight(s, widths[i]))
			}
			b.WriteString(" |")
		}
		b.WriteString("\n")
		return b.String()
	}
	names := make([]string, len(cols))
	seps := make([]string, len(cols))
	for i, c := range cols {
		names[i] = mdEscape(c.name)
		if c.numeric {
			seps[i] = strings.Repeat("-", widths[i]-1) + ":"
		} else {
			seps[i] = strings.Repeat("-", widths[i])
		}
	}
	out := line(names)
	var b strings.Builder
	b.WriteString("|")
	for i := range cols {
		b.WriteString(" " + seps[i] + " |")
	}
	out += b.String() + "\n"
	for _, r := range rows {
		out += line(r)
	}
	_, err = io.WriteString(w, out)
	return err
}

func mdEscape(s string) string {
	s = strings.ReplaceAll(s, "|", `\|`)
	return strings.ReplaceAll(s, "\n", "<br>")
}

// boxCell is one rendered value of the boxed table.
type boxCell struct {
	text string
	null bool
}

// renderBox draws the duckdb CLI's "duckbox": names and types in the header, numbers
// right-aligned, a footer with the row count, and — to stay readable on a terminal —
// only the first and last rows of long results and values cut to fit the width.
func renderBox(w io.Writer, cols []column, next nextRow, opts renderOptions) error {
	half := max(opts.maxRows/2, 1)
	var head, tail [][]boxCell
	total := 0
	err := eachRow(next, func(vals []any) error {
		row := make([]boxCell, len(vals))
		for i, v := range vals {
			s, ok := formatValue(v, cols[i].dbType)
			row[i] = boxCell{text: boxEscape(s), null: !ok}
		}
		total++
		if len(head) < half {
			head = append(head, row)
			return nil
		}
		tail = append(tail, row)
		if len(tail) > 2*half { // keep memory bounded on huge results
			tail = append(tail[:0:0], tail[len(tail)-half:]...)
		}
		return nil
	})
	if err != nil {
		return err
	}
	elided := total > 2*half
	if elided {
		tail = tail[len(tail)-half:]
	}
	shown := append(append([][]boxCell{}, head...), tail...)

	// Natural widths, then fit to the terminal.
	type boxCol struct {
		column
		idx   int // index into the row, -1 for the "…" placeholder of hidden columns
		width int
	}
	bcs := make([]boxCol, len(cols))
	for i, c := range cols {
		wd := max(textWidth(c.name), textWidth(displayType(c.dbType)), 1)
		for _, r := range shown {
			wd = max(wd, textWidth(r[i].text))
		}
		bcs[i] = boxCol{column: c, idx: i, width: wd}
	}
	tableWidth := func() int {
		t := 1
		for _, c := range bcs {
			t += c.width + 3
		}
		return t
	}
	hidden := 0
	if opts.width > 0 {
		// Shrink the widest columns first; long values lose their tails, not whole
		// columns. A column keeps room for its name (up to 20 cells) while others
		// can still give.
		floor := func(c boxCol) int { return max(8, min(textWidth(c.name), 20)) }
		for tableWidth() > opts.width {
			wi := -1
			for i := range bcs {
				if bcs[i].width > floor(bcs[i]) && (wi < 0 || bcs[i].width > bcs[wi].width) {
					wi = i
				}
			}
			if wi < 0 {
				break
			}
			bcs[wi].width = max(floor(bcs[wi]), bcs[wi].width-(tableWidth()-opts.width))
		}
		// Still too wide: hide columns from the middle, as the duckdb CLI does, keeping
		// the first and last ones, with a "…" column where the hidden ones were.
		if tableWidth() > opts.width && len(bcs) > 1 {
			orig := bcs
			placeholder := boxCol{column: column{name: "…"}, idx: -1, width: 1}
			for k := len(orig) - 1; k >= 1; k-- {
				left := (k + 1) / 2
				bcs = append(append(append([]boxCol{}, orig[:left]...), placeholder), orig[len(orig)-(k-left):]...)
				hidden = len(orig) - k
				if tableWidth() <= opts.width {
					break
				}
			}
		}
	}

	footer := fmt.Sprintf("%d rows", total)
	if total == 1 {
		footer = "1 row"
	}
	if elided {
		footer += fmt.Sprintf(" (%d shown)", len(shown))
	}
	if hidden > 0 {
		footer += fmt.Sprintf("  %d columns (%d shown)", len(cols), len(cols)-hidden)
	}
	if inner := tableWidth() - 2; textWidth(footer)+2 > inner && len(bcs) > 0 {
		bcs[len(bcs)-1].width += textWidth(footer) + 2 - inner
	}

	var b strings.Builder
	rule := func(left, mid, right string) {
		b.WriteString(left)
		for i, c := range bcs {
			if i > 0 {
				b.WriteString(mid)
			}
			b.WriteString(strings.Repeat("─", c.width+2))
		}
		b.WriteString(right + "\n")
	}
	cellLine := func(texts []string, align func(i int) func(string, int) string) {
		b.WriteString("│")
		for i, c := range bcs {
			b.WriteString(" " + align(i)(truncate(texts[i], c.width), c.width) + " │")
		}
		b.WriteString("\n")
	}
	center := func(int) func(string, int) string { return padCenter }
	rule("┌", "┬", "┐")
	names := make([]string, len(bcs))
	types := make([]string, len(bcs))
	for i, c := range bcs {
		names[i], types[i] = c.name, displayType(c.dbType)
	}
	cellLine(names, center)
	cellLine(types, center)
	rule("├", "┼", "┤")
	byType := func(i int) func(string, int) string {
		if bcs[i].numeric {
			return padLeft
		}
		return padRight
	}
	emit := func(r []boxCell) {
		texts := make([]string, len(bcs))
		for i, c := range bcs {
			if c.idx < 0 {
				texts[i] = "…"
			} else {
				texts[i] = r[c.idx].text
			}
		}
		cellLine(texts, byType)
	}
	for _, r := range head {
		emit(r)
	}
	if elided {
		dots := make([]string, len(bcs))
		for i := range dots {
			dots[i] = "·"
		}
		for range 3 {
			cellLine(dots, center)
		}
	}
	for _, r := range tail {
		emit(r)
	}
	rule("├", "┴", "┤")
	b.WriteString("│ " + padRight(footer, tableWidth()-4) + " │\n")
	b.WriteString("└" + strings.Repeat("─", tableWidth()-2) + "┘\n")
	_, err = io.WriteString(w, b.String())
	return err
}

// boxEscape keeps each value on one table line: control characters would break the box.
func boxEscape(s string) string {
	if !strings.ContainsFunc(s, unicode.IsControl) {
		return s
	}
	r := strings.NewReplacer("\n", `\n`, "\r", `\r`, "\t", `\t`)
	s = r.Replace(s)
	return strings.Map(func(c rune) rune {
		if unicode.IsControl(c) {
			return '?'
		}
		return c
	}, s)
}

// textWidth is the number of terminal cells s occupies: wide East Asian characters
// and emoji take two, combining marks none.
func textWidth(s string) int {
	n := 0
	for _, r := range s {
		n += runeWidth(r)
	}
	return n
}

func runeWidth(r rune) int {
	switch {
	case r == 0, unicode.Is(unicode.Mn, r), unicode.Is(unicode.Me, r), unicode.Is(unicode.Cf, r):
		return 0
	case r >= 0x1100 && r <= 0x115F, r >= 0x2E80 && r <= 0xA4CF, r >= 0xAC00 && r <= 0xD7A3,
		r >= 0xF900 && r <= 0xFAFF, r >= 0xFE30 && r <= 0xFE4F, r >= 0xFF00 && r <= 0xFF60,
		r >= 0xFFE0 && r <= 0xFFE6, r >= 0x1F300 && r <= 0x1F64F, r >= 0x1F900 && r <= 0x1F9FF,
		r >= 0x20000 && r <= 0x3FFFD:
		return 2
	}
	return 1
}

// truncate cuts s to at most width cells, marking the cut with "…".
func truncate(s string, width int) string {
	if textWidth(s) <= width {
		return s
	}
	var b strings.Builder
	n := 0
	for _, r := range s {
		rw := runeWidth(r)
		if n+rw > width-1 {
			break
		}
		b.WriteRune(r)
		n += rw
	}
	return b.String() + "…"
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
