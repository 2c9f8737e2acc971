// Package sqltext holds the few rules about SQL text that the DuckDB binding, the
// shell and the SQL test runner must apply alike: which statements are queries, and
// how DuckDB writes a float.
package sqltext

import (
	"math"
	"strconv"
	"strings"
	"unicode"
)

// queryKeywords start the statements DuckDB accepts as a subquery (FROM (...), query()).
var queryKeywords = map[string]bool{
	"SELECT": true, "FROM": true, "WITH": true, "VALUES": true, "TABLE": true,
	"DESCRIBE": true, "SHOW": true, "SUMMARIZE": true, "PIVOT": true, "UNPIVOT": true,
}

// FirstKeyword returns q's first word in upper case, after white space, comments and
// opening parentheses; "" when q starts with something else.
func FirstKeyword(q string) string {
	q, _ = skipLead(q)
	end := strings.IndexFunc(q, func(r rune) bool { return !(unicode.IsLetter(r) || r == '_') })
	if end < 0 {
		end = len(q)
	}
	return strings.ToUpper(q[:end])
}

// IsQuery reports whether q is a statement DuckDB accepts as a subquery: it starts
// (after white space and comments) with an opening parenthesis or a query keyword as a
// whole word, so a table named "selection" is not a query.
func IsQuery(q string) bool {
	rest, paren := skipLead(q)
	if paren {
		return true
	}
	end := strings.IndexFunc(rest, func(r rune) bool { return !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_') })
	if end < 0 {
		end = len(rest)
	}
	kw := strings.ToUpper(rest[:end])
	if kw == "VALUES" {
		// The only query keyword DuckDB also takes as a table or schema name
		// (CREATE TABLE values ...): a VALUES list is always followed by '('.
		_, paren := skipLead(rest[end:])
		return paren
	}
	return queryKeywords[kw]
}

// Balanced reports whether q's parentheses pair up outside string literals, quoted
// names and comments. The shell and the test runner wrap a query in
// SELECT ... FROM (q): an unbalanced ')' ... '(' in q would pair with the wrapper's
// own and turn text DuckDB rejects into another query that runs, so they run such
// text as written instead (and DuckDB reports it).
func Balanced(q string) bool {
	depth := 0
	for i := 0; i < len(q); i++ {
		switch c := q[i]; {
		case c == '\'' || c == '"':
			// A doubled quote inside is two quoted runs back to back.
			j := strings.IndexByte(q[i+1:], c)
			if j < 0 {
				return false
			}
			i += j + 1
		case c == '-' && strings.HasPrefix(q[i:], "--"):
			j := strings.IndexByte(q[i:], '\n')
			if j < 0 {
				return depth == 0
			}
			i += j
		case c == '/' && strings.HasPrefix(q[i:], "/*"):
			j := strings.Index(q[i+2:], "*/")
			if j < 0 {
				return false
			}
			i += j + 3
		case c == '$' && strings.HasPrefix(q[i:], "$$"):
			j := strings.Index(q[i+2:], "$$")
			if j < 0 {
				return false
			}
			i += j + 3
		case c == '(':
			depth++
		case c == ')':
			if depth--; depth < 0 {
				return false
			}
		}
	}
	return depth == 0
}

// skipLead drops leading white space, comments and opening parentheses; paren says
// whether there was a parenthesis.
func skipLead(q string) (rest string, paren bool) {
	for {
		q = strings.TrimLeftFunc(q, unicode.IsSpace)
		switch {
		case strings.HasPrefix(q, "--"):
			i := strings.IndexByte(q, '\n')
			if i < 0 {
				return "", paren
			}
			q = q[i+1:]
		case strings.HasPrefix(q, "/*"):
			i := strings.Index(q, "*/")
			if i < 0 {
				return "", paren
			}
			q = q[i+2:]
		case strings.HasPrefix(q, "("):
			q, paren = q[1:], true
		default:
			return q, paren
		}
	}
}

// FormatFloat writes f as DuckDB casts a float to text: the shortest round-trip digits,
// fixed-point with ".0" for whole numbers, exponent form for very large or small
// magnitudes, and "nan", "inf", "-inf". bits is 32 for FLOAT, 64 for DOUBLE.
func FormatFloat(f float64, bits int) string {
	switch {
	case math.IsNaN(f):
		return "nan"
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	}
	e := strconv.FormatFloat(f, 'e', -1, bits)
	exp, _ := strconv.Atoi(e[strings.IndexByte(e, 'e')+1:])
	if exp < -4 || exp >= 16 {
		return e
	}
	s := strconv.FormatFloat(f, 'f', -1, bits)
	if !strings.Contains(s, ".") {
		s += ".0"
	}
	return s
}
