package main

import (
	"strings"
	"testing"
)

// TestHighlightPaint checks each colour the prompt gives, on the text as typed.
func TestHighlightPaint(t *testing.T) {
	h := &highlighter{keywords: map[string]bool{"select": true, "as": true}}
	kw := func(s string) string { return styleKeyword + s + styleReset }
	cases := []struct{ pending, line, want string }{
		{"", "select 'a''b' AS x -- note",
			kw("select") + " " + styleString + "'a''b'" + styleReset + " " + kw("AS") + " x " + styleComment + "-- note" + styleReset},
		{"", "SELECT 12.5e3, x1",
			kw("SELECT") + " " + styleNumber + "12.5e3" + styleReset + ", x1"},
		// An unclosed quote is flagged, the rest of the string still a string.
		{"", "SELECT 'abc",
			kw("SELECT") + " " + styleUnmatched + "'" + styleReset + styleString + "abc" + styleReset},
		// Unmatched brackets are flagged; matched ones are not.
		{"", "SELECT ((1) + [2)",
			kw("SELECT") + " " + styleUnmatched + "(" + styleReset + "(" + styleNumber + "1" + styleReset + ") + " +
				styleUnmatched + "[" + styleReset + styleNumber + "2" + styleReset + styleUnmatched + ")" + styleReset},
		{"", "/* open", styleUnmatched + "/*" + styleReset + styleComment + " open" + styleReset},
		// A string opened on an earlier line colours this line up to its end.
		{"SELECT 'a\n", "b' AS x;", styleString + "b'" + styleReset + " " + kw("AS") + " x;"},
		// A recalled statement's line-break mark is dimmed and lexed as a break.
		{"", "SELECT 1" + lineBreakMark + "AS x",
			kw("SELECT") + " " + styleNumber + "1" + styleReset + styleMark + lineBreakMark + styleReset + kw("AS") + " x"},
		// A keyword inside a string or quoted identifier is not a keyword.
		{"", `SELECT "select", 'as'`, kw("SELECT") + ` "select", ` + styleString + "'as'" + styleReset},
	}
	for _, c := range cases {
		h.pending = c.pending
		if got := h.paint(c.line); got != c.want {
			t.Errorf("paint(%q after %q)\n got %q\nwant %q", c.line, c.pending, got, c.want)
		}
	}
}

func TestHistoryEncoding(t *testing.T) {
	stmt := "SELECT 'a\r\nb' AS x,\n  2 AS y;"
	enc := encodeHistory(stmt + "\n")
	if strings.ContainsAny(enc, "\r\n") {
		t.Fatalf("encoded entry %q spans lines", enc)
	}
	if got, want := decodeHistory(enc), "SELECT 'a\nb' AS x,\n  2 AS y;"; got != want {
		t.Errorf("round trip gave %q, want %q", got, want)
	}
}
