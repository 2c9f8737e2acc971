package core

import "testing"

// SameName compares as DuckDB compares identifiers: ASCII letters without regard to
// case, every other character exactly.
func TestSameName(t *testing.T) {
	for _, c := range []struct {
		a, b string
		same bool
	}{
		{"Text", "tEXT", true}, {"a_1", "A_1", true}, {"", "", true},
		{"é", "É", false}, {"s", "ſ", false}, {"k", "\u212a", false}, {"ab", "abc", false}, {"a", "b", false},
	} {
		if got := SameName(c.a, c.b); got != c.same {
			t.Errorf("SameName(%q, %q) = %v", c.a, c.b, got)
		}
	}
}
