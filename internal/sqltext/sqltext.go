// Package sqltext holds the few rules about SQL text that the DuckDB binding, the
// shell and the SQL test runner must apply alike: where DuckDB's lexer puts strings,
// comments and statement ends (Lexer), which statements are queries and may be
// wrapped as a subquery, and how DuckDB writes a float. It is plain Go and must not
// import DuckDB; its tests ask a real DuckDB for the truth.
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
// names and comments, and whether every string, quoted name and comment is closed,
// all as DuckDB's lexer reads them (Lexer). The shell and the test runner wrap a
// query in SELECT ... FROM (q): an unbalanced ')' ... '(' in q would pair with the
// wrapper's own and turn text DuckDB rejects into another query that runs, so they
// run such text as written instead (and DuckDB reports it).
func Balanced(q string) bool {
	lx := NewLexer(q)
	depth := 0
	for i := 0; i < len(q); {
		end, kind, open := lx.Token(i)
		if open {
			return false
		}
		if kind == Other && end == i+1 {
			switch q[i] {
			case '(':
				depth++
			case ')':
				if depth--; depth < 0 {
					return false
				}
			}
		}
		i = end
	}
	return depth == 0
}

// skipLead drops leading white space, comments and opening parentheses, as
// DuckDB's lexer reads them (a nested /* /* */ */ is one comment); paren says
// whether there was a parenthesis.
func skipLead(q string) (rest string, paren bool) {
	lx := NewLexer(q)
	for i := 0; i < len(q); {
		end, kind, _ := lx.Token(i)
		switch {
		case kind == Space || kind == Comment:
		case q[i] == '(':
			paren = true
		default:
			return q[i:], paren
		}
		i = end
	}
	return "", paren
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

// Parameter returns the first prepared-statement parameter in q written outside
// strings, quoted names, dollar quotes and comments, as DuckDB's lexer reads them
// (Lexer): "?", "$1" or "$name"; "" when q has none. ml_predict's input is text that
// query() parses on its own, so such a parameter is never the caller's and cannot be
// bound.
func Parameter(q string) string {
	lx := NewLexer(q)
	for i := 0; i < len(q); {
		end, kind, _ := lx.Token(i)
		if kind == Other {
			switch {
			case q[i] == '?':
				return "?"
			case q[i] == '$' && end > i+1 && IsDigit(q[i+1]):
				return q[i:end] // $1 (the lexer reads $$ and $tag$ as dollar quotes)
			case q[i] == '$' && end == i+1 && end < len(q) && IsIdentStart(q[end]):
				// A lone '$' before a name is $name: the lexer ends it there,
				// since a dollar quote would have closed with another '$'.
				nameEnd, _, _ := lx.Token(end)
				return q[i:nameEnd]
			}
		}
		i = end
	}
	return ""
}

// statementKeywords start the statements that are not queries (query() refuses them):
// as ml_predict's input they were read as a table name ("Table with name EXPLAIN
// does not exist!").
var statementKeywords = map[string]bool{
	"EXPLAIN": true, "PRAGMA": true, "COPY": true, "SET": true, "RESET": true, "INSERT": true,
	"UPDATE": true, "DELETE": true, "MERGE": true, "CREATE": true, "DROP": true, "ALTER": true,
	"ATTACH": true, "DETACH": true, "USE": true, "CALL": true, "EXPORT": true, "IMPORT": true,
	"LOAD": true, "INSTALL": true, "FORCE": true, "BEGIN": true, "START": true, "COMMIT": true,
	"ROLLBACK": true, "ABORT": true, "CHECKPOINT": true, "VACUUM": true, "ANALYZE": true,
	"PREPARE": true, "EXECUTE": true, "DEALLOCATE": true, "TRUNCATE": true, "COMMENT": true,
	"UNINSTALL": true, "UPDATE_EXTENSIONS": true,
}

// Statement returns the keyword (upper case) that starts q when q is a statement
// other than a query, such as EXPLAIN SELECT 1 or PRAGMA table_info('t'): a statement
// keyword followed by more text. A keyword alone ("explain"), or followed by '.'
// ("copy.t") or a clause ("insert WHERE id = 1"), names a table and gives "". A table
// named so and given an alias ("set s") is taken for the statement; ml_predict's
// message says to quote the name.
func Statement(q string) string {
	rest, paren := skipLead(q)
	if paren {
		return ""
	}
	kw := FirstKeyword(rest)
	if !statementKeywords[kw] || len(rest) > len(kw) && (isIdentCont(rest[len(kw)]) || rest[len(kw)] == '"') {
		return ""
	}
	after, _ := skipLead(rest[len(kw):])
	next := FirstKeyword(after)
	if after == "" || strings.ContainsRune(".;,", rune(after[0])) || tableClauses[next] || fromFirst[next] && kw != "EXPLAIN" {
		return "" // a table of that name (most of these keywords are unreserved)
	}
	return kw
}

// fromFirst may follow a table name in DuckDB's FROM-first query ("comment SELECT id,
// text" reads the table comment); of the statement keywords, only EXPLAIN takes one
// of them next, and "EXPLAIN SELECT …" is far likelier than a table named explain.
var fromFirst = map[string]bool{"SELECT": true, "PIVOT": true, "UNPIVOT": true, "LATERAL": true, "AT": true, "FETCH": true}

// tableClauses may follow a table name in FROM and start no statement's second word.
var tableClauses = map[string]bool{
	"AS": true, "WHERE": true, "JOIN": true, "INNER": true, "LEFT": true, "RIGHT": true, "FULL": true,
	"CROSS": true, "NATURAL": true, "POSITIONAL": true, "ASOF": true, "ANTI": true, "SEMI": true,
	"ORDER": true, "GROUP": true, "LIMIT": true, "OFFSET": true, "UNION": true, "EXCEPT": true,
	"INTERSECT": true, "QUALIFY": true, "HAVING": true, "WINDOW": true, "USING": true, "TABLESAMPLE": true,
}

// IsPath reports whether q, read as a table name, is rather a file path: it starts
// with '/', './', '../' or '~/', or holds "://" (s3://, https://). A table name never
// does, so the check has no false positives; a relative path such as data.csv reads
// as the table csv in the schema data, and is not flagged.
func IsPath(q string) bool {
	q = strings.TrimSpace(q)
	if strings.HasPrefix(q, "/*") {
		return false // a comment ahead of a name
	}
	for _, p := range []string{"/", "./", "../", "~/"} {
		if strings.HasPrefix(q, p) {
			return true
		}
	}
	return strings.Contains(q, "://") && !strings.ContainsAny(q, "'\"")
}
