package sqltest

import (
	"fmt"
	"strings"
)

// maxDiffCells bounds the LCS table; larger results get a plain listing instead.
const maxDiffCells = 4_000_000

// maxDiffLines bounds the report so that a wrong 100k-row result stays readable.
const maxDiffLines = 200

// diffRows is a line diff of expected and actual rows: "  " common, "- " only
// expected, "+ " only actual. same decides equality so that numeric tolerance
// does not show up as a difference.
func diffRows(exp, act [][]string, same func(e, a []string) bool) string {
	n, m := len(exp), len(act)
	var out []string
	line := func(prefix string, r []string) { out = append(out, prefix+strings.Join(r, "\t")) }
	if (n+1)*(m+1) > maxDiffCells {
		for _, r := range exp {
			line("- ", r)
		}
		for _, r := range act {
			line("+ ", r)
		}
	} else {
		// lcs[i][j] is the LCS length of exp[i:] and act[j:].
		lcs := make([][]int, n+1)
		for i := range lcs {
			lcs[i] = make([]int, m+1)
		}
		for i := n - 1; i >= 0; i-- {
			for j := m - 1; j >= 0; j-- {
				if len(exp[i]) == len(act[j]) && same(exp[i], act[j]) {
					lcs[i][j] = lcs[i+1][j+1] + 1
				} else {
					lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
				}
			}
		}
		i, j := 0, 0
		for i < n || j < m {
			switch {
			case i < n && j < m && len(exp[i]) == len(act[j]) && same(exp[i], act[j]):
				line("  ", act[j])
				i, j = i+1, j+1
			case i < n && (j == m || lcs[i+1][j] >= lcs[i][j+1]):
				line("- ", exp[i])
				i++
			default:
				line("+ ", act[j])
				j++
			}
		}
	}
	if len(out) > maxDiffLines {
		out = append(out[:maxDiffLines], fmt.Sprintf("... %d more lines", len(out)-maxDiffLines))
	}
	return strings.Join(out, "\n")
}
