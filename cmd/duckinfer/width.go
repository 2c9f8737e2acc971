package main

import (
	"strings"

	"github.com/rivo/uniseg"
)

// textWidth is the number of terminal cells s occupies, counted per grapheme
// cluster as DuckDB's own renderer does (utf8proc there, uniseg here): 🚀 and ✅
// take two cells, a ZWJ family emoji two, a letter with combining marks one.
func textWidth(s string) int { return uniseg.StringWidth(s) }

// truncate cuts s to at most width cells, marking the cut with "…"; it never
// splits a grapheme cluster, so no emoji or accented letter is cut in half.
func truncate(s string, width int) string {
	if textWidth(s) <= width {
		return s
	}
	var b strings.Builder
	n := 0
	g := uniseg.NewGraphemes(s)
	for g.Next() {
		w := g.Width()
		if n+w > width-1 {
			break
		}
		b.WriteString(g.Str())
		n += w
	}
	return b.String() + "…"
}
