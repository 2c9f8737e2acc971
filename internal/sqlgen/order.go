package sqlgen

import (
	"strings"

	"github.com/duckinfer/duckinfer/internal/core"
)

// ArgPositions maps each input column to its argument position. The macro unpacks the
// columns with *COLUMNS([...]), which DuckDB expands in the input's column order, not
// the list's; so it also passes typeof(struct_pack(<the same columns>)), a constant
// STRUCT type that names them in the order they arrive. An empty order (a direct call)
// means the task's order.
func ArgPositions(order string, cols []string) ([]int, error) {
	pos := make([]int, len(cols))
	if order == "" {
		for i := range pos {
			pos[i] = i
		}
		return pos, nil
	}
	names, ok := StructFieldNames(order)
	if !ok || len(names) != len(cols) {
		return nil, core.ArgErrorf("ml_infer: cannot read the input columns' order from %q; call ml_predict instead", order)
	}
	for i, c := range cols {
		pos[i] = -1
		for j, n := range names {
			if core.SameName(n, c) {
				pos[i] = j
				break
			}
		}
		if pos[i] < 0 {
			return nil, core.ArgErrorf("ml_infer: input column %q is not among the columns passed (%s); call ml_predict instead", c, strings.Join(names, ", "))
		}
	}
	return pos, nil
}

// StructFieldNames reads the field names of a DuckDB STRUCT type as typeof() writes
// it: STRUCT(name TYPE, "quoted ""name""" TYPE(...), ...).
func StructFieldNames(t string) ([]string, bool) {
	rest, ok := strings.CutPrefix(t, "STRUCT(")
	if !ok || !strings.HasSuffix(rest, ")") {
		return nil, false
	}
	rest = rest[:len(rest)-1]
	var names []string
	for len(rest) > 0 {
		var name string
		if rest[0] == '"' {
			var b strings.Builder
			i := 1
			for ; i < len(rest); i++ {
				if rest[i] == '"' {
					if i+1 < len(rest) && rest[i+1] == '"' {
						b.WriteByte('"')
						i++
						continue
					}
					break
				}
				b.WriteByte(rest[i])
			}
			if i >= len(rest) {
				return nil, false
			}
			name, rest = b.String(), rest[i+1:]
		} else {
			sp := strings.IndexByte(rest, ' ')
			if sp < 0 {
				return nil, false
			}
			name, rest = rest[:sp], rest[sp:]
		}
		names = append(names, name)
		// Skip the type, up to the next comma outside parentheses and quotes: double
		// quotes around a nested field's name, single quotes around an ENUM's values
		// (ENUM('a)', 'b')). A doubled quote closes and reopens.
		depth, quote, i := 0, byte(0), 0
	scan:
		for ; i < len(rest); i++ {
			switch ch := rest[i]; {
			case quote != 0:
				if ch == quote {
					quote = 0
				}
			case ch == '"' || ch == '\'':
				quote = ch
			case ch == '(' || ch == '[':
				depth++
			case ch == ')' || ch == ']':
				depth--
			case ch == ',' && depth == 0:
				break scan
			}
		}
		if i >= len(rest) {
			break
		}
		rest = strings.TrimLeft(rest[i+1:], " ")
	}
	return names, true
}
