package sqltest

import (
	"fmt"
	"strings"
)

// maxDiffCells bounds the LCS table; a larger differing middle is listed instead.
const maxDiffCells = 4_000_000

// maxDiffLines bounds the report so that a wrong 100k-row result stays readable.
const maxDiffLines = 200

// diffContext is how many unchanged rows are shown around each change.
const diffContext = 3

// diffRows is a line diff of expected and actual rows: "  " common, "- " only
// expected, "+ " only actual. same decides equality so that numeric tolerance
// does not show up as a difference. Only the changes and diffContext unchanged
// rows around each are shown; "... N unchanged rows" stands for the others, so
// that one wrong row in a large result is in the report.
func diffRows(exp, act [][]string, same func(e, a []string) bool) string {
	eq := func(e, a []string) bool { return len(e) == len(a) && same(e, a) }
	n, m := len(exp), len(act)
	// The common head and tail are unchanged whatever the middle holds; trimming
	// them keeps the LCS table small when a few rows of a large result differ.
	pre := 0
	for pre < n && pre < m && eq(exp[pre], act[pre]) {
		pre++
	}
	suf := 0
	for suf < n-pre && suf < m-pre && eq(exp[n-1-suf], act[m-1-suf]) {
		suf++
	}
	type op struct {
		prefix string
		row    []string
	}
	var ops []op
	for _, r := range act[:pre] {
		ops = append(ops, op{"  ", r})
	}
	e, a := exp[pre:n-suf], act[pre:m-suf]
	if (len(e)+1)*(len(a)+1) > maxDiffCells {
		for _, r := range e {
			ops = append(ops, op{"- ", r})
		}
		for _, r := range a {
			ops = append(ops, op{"+ ", r})
		}
	} else {
		// lcs[i][j] is the LCS length of e[i:] and a[j:].
		lcs := make([][]int, len(e)+1)
		for i := range lcs {
			lcs[i] = make([]int, len(a)+1)
		}
		for i := len(e) - 1; i >= 0; i-- {
			for j := len(a) - 1; j >= 0; j-- {
				if eq(e[i], a[j]) {
					lcs[i][j] = lcs[i+1][j+1] + 1
				} else {
					lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
				}
			}
		}
		i, j := 0, 0
		for i < len(e) || j < len(a) {
			switch {
			case i < len(e) && j < len(a) && eq(e[i], a[j]):
				ops = append(ops, op{"  ", a[j]})
				i, j = i+1, j+1
			case i < len(e) && (j == len(a) || lcs[i+1][j] >= lcs[i][j+1]):
				ops = append(ops, op{"- ", e[i]})
				i++
			default:
				ops = append(ops, op{"+ ", a[j]})
				j++
			}
		}
	}
	for _, r := range act[m-suf:] {
		ops = append(ops, op{"  ", r})
	}
	// Keep the changes and the unchanged rows within diffContext of one.
	keep := make([]bool, len(ops))
	for k, o := range ops {
		if o.prefix != "  " {
			for c := max(0, k-diffContext); c <= min(len(ops)-1, k+diffContext); c++ {
				keep[c] = true
			}
		}
	}
	var out []string
	for k := 0; k < len(ops); {
		if keep[k] {
			out = append(out, ops[k].prefix+strings.Join(ops[k].row, "\t"))
			k++
			continue
		}
		skip := k
		for k < len(ops) && !keep[k] {
			k++
		}
		if k-skip == 1 {
			// A marker would take the row's place anyway.
			out = append(out, ops[skip].prefix+strings.Join(ops[skip].row, "\t"))
			continue
		}
		out = append(out, fmt.Sprintf("... %d unchanged rows", k-skip))
	}
	if len(out) > maxDiffLines {
		out = append(out[:maxDiffLines], fmt.Sprintf("... %d more lines", len(out)-maxDiffLines))
	}
	return strings.Join(out, "\n")
}
