package main

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode"
)

// boxCell is one rendered value of the duckbox table.
type boxCell struct {
	text string
	null bool
}

// renderBox draws the duckdb CLI's "duckbox": names and types in the header, numbers
// right-aligned, a footer with the row count, and — to stay readable on a terminal —
// only the first and last rows of long results and values cut to fit the width.
func renderBox(w io.Writer, cols []column, next nextRow, opts renderOptions) error {
	if opts.columnwise {
		return renderBoxColumnwise(w, cols, next, opts)
	}
	half := opts.maxRows / 2
	if opts.maxRows <= 0 {
		half = -1 // no limit
	} else {
		half = max(half, 1)
	}
	var head, tail [][]boxCell
	total := 0
	err := eachRow(next, func(vals []cell) error {
		row := make([]boxCell, len(vals))
		for i, v := range vals {
			if v.null {
				row[i] = boxCell{text: opts.nullValue, null: true}
			} else {
				row[i] = boxCell{text: boxEscape(v.text)}
			}
		}
		total++
		if half < 0 || len(head) < half {
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
	elided := half >= 0 && total > 2*half
	if elided {
		tail = tail[len(tail)-half:]
	}
	shown := append(append([][]boxCell{}, head...), tail...)

	// A single row of numbers of a million or more gets a readable line under
	// it, "(1.23 million)", as the duckdb CLI prints on a terminal.
	var readable []string
	if opts.largeNumbers && total == 1 && len(cols) > 0 {
		readable = make([]string, len(cols))
		for i, c := range cols {
			if !c.numeric || shown[0][i].null {
				readable = nil
				break
			}
			r := readableNumber(shown[0][i].text)
			if r == "" {
				readable = nil
				break
			}
			readable[i] = "(" + r + ")"
		}
	}

	type boxCol struct {
		column
		idx   int // index into the row, -1 for the "…" placeholder of hidden columns
		width int
	}
	bcs := make([]boxCol, len(cols))
	for i, c := range cols {
		wd := max(textWidth(boxEscape(c.name)), textWidth(boxEscape(displayType(c.dbType))), 1)
		for _, r := range shown {
			wd = max(wd, textWidth(r[i].text))
		}
		if readable != nil {
			wd = max(wd, textWidth(readable[i]))
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

	footer := boxFooter(total, len(shown), elided, len(cols), hidden, opts.width, tableWidth())
	widest := 0
	for _, l := range footer {
		widest = max(widest, textWidth(l))
	}
	if inner := tableWidth() - 2; widest+2 > inner && len(bcs) > 0 {
		bcs[len(bcs)-1].width += widest + 2 - inner
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
		// Names come from the data too (a CSV header, a Parquet schema): escaped as
		// values are, so a newline or an escape sequence cannot break the box or
		// reach the terminal.
		names[i], types[i] = boxEscape(c.name), boxEscape(displayType(c.dbType))
	}
	cellLine(names, center)
	cellLine(types, center)
	if total == 0 {
		// No rows: one rule between the header and the footer, not two.
		rule("├", "┴", "┤")
	} else {
		rule("├", "┼", "┤")
	}
	byType := func(i int) func(string, int) string {
		if bcs[i].numeric {
			return padLeft
		}
		return padRight
	}
	pick := func(texts func(i int) string) []string {
		out := make([]string, len(bcs))
		for i, c := range bcs {
			if c.idx < 0 {
				out[i] = "…"
			} else {
				out[i] = texts(c.idx)
			}
		}
		return out
	}
	emit := func(r []boxCell) { cellLine(pick(func(i int) string { return r[i].text }), byType) }
	for _, r := range head {
		emit(r)
	}
	if readable != nil {
		cellLine(pick(func(i int) string { return readable[i] }), byType)
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
	if total > 0 {
		rule("├", "┴", "┤")
	}
	for _, l := range footer {
		b.WriteString("│ " + padRight(l, tableWidth()-4) + " │\n")
	}
	b.WriteString("└" + strings.Repeat("─", tableWidth()-2) + "┘\n")
	_, err = io.WriteString(w, b.String())
	return err
}

// boxFooter returns the footer's lines: the row count and, with hidden columns,
// the column count, each with how many are shown. The table widens to fit them,
// but with a width (the terminal's) never past it: the counts then go on lines
// of their own, then lose their "(N shown)", then are cut.
func boxFooter(total, shown int, elided bool, cols, hidden, width, tableWidth int) []string {
	rows, rowsShown := fmt.Sprintf("%d rows", total), ""
	if total == 1 {
		rows = "1 row"
	}
	if elided {
		rowsShown = fmt.Sprintf(" (%d shown)", shown)
	}
	choices := [][]string{{rows + rowsShown}, {rows}}
	if hidden > 0 {
		columns, columnsShown := fmt.Sprintf("%d columns", cols), fmt.Sprintf(" (%d shown)", cols-hidden)
		choices = [][]string{
			{rows + rowsShown + "  " + columns + columnsShown},
			{rows + rowsShown, columns + columnsShown},
			{rows, columns},
		}
	}
	if width <= 0 {
		return choices[0]
	}
	room := max(width, tableWidth) - 4 // within "│ " and " │"
	for _, lines := range choices {
		fits := true
		for _, l := range lines {
			fits = fits && textWidth(l) <= room
		}
		if fits {
			return lines
		}
	}
	last := choices[len(choices)-1]
	for i, l := range last {
		last[i] = truncate(l, room)
	}
	return last
}

// renderBoxColumnwise is duckbox turned on its side (.columns): one line per
// column with its name and type, then the first rows' values side by side.
func renderBoxColumnwise(w io.Writer, cols []column, next nextRow, opts renderOptions) error {
	limit := opts.maxRows
	var rows [][]cell
	total := 0
	err := eachRow(next, func(vals []cell) error {
		total++
		if limit <= 0 || len(rows) < limit {
			rows = append(rows, append([]cell(nil), vals...))
		}
		return nil
	})
	if err != nil {
		return err
	}
	tcols := []column{{name: "column"}, {name: "type"}}
	for i := range rows {
		tcols = append(tcols, column{name: "row " + strconv.Itoa(i+1)})
	}
	i := 0
	return renderBox(w, tcols, func() ([]cell, error) {
		if i >= len(cols) {
			return nil, io.EOF
		}
		c := cols[i]
		out := []cell{{text: c.name}, {text: displayType(c.dbType)}}
		for _, r := range rows {
			out = append(out, r[i])
		}
		i++
		return out, nil
	}, renderOptions{width: opts.width, nullValue: opts.nullValue})
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

// readableNumber writes a number of a million or more as "1.23 million", the
// way DuckDB's box renderer does (BoxRenderer::TryFormatLargeNumber); "" for
// smaller numbers and for anything that is not plain digits.
func readableNumber(numeric string) string {
	if len(numeric) <= 5 {
		return ""
	}
	var number uint64
	negative := false
	i := 0
	if numeric[0] == '-' {
		negative = true
		i++
	}
	for ; i < len(numeric); i++ {
		c := numeric[i]
		if c == '.' {
			break
		}
		if c < '0' || c > '9' || number >= 1e18 {
			return ""
		}
		number = number*10 + uint64(c-'0')
	}
	bases := []struct {
		base uint64
		name string
	}{{1e6, "million"}, {1e9, "billion"}, {1e12, "trillion"}, {1e15, "quadrillion"}, {1e18, "quintillion"}}
	var base uint64
	unit := ""
	for _, b := range bases {
		if number+b.base/100/2 >= b.base {
			base, unit = b.base, b.name
		}
	}
	if unit == "" {
		return ""
	}
	number += base / 100 / 2
	dec := strconv.FormatUint(number/(base/100), 10)
	s := dec[:len(dec)-2] + "." + dec[len(dec)-2:] + " " + unit
	if negative {
		s = "-" + s
	}
	return s
}
