package sqltest

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
)

// Kind says what a Record does.
type Kind int

// Record kinds.
const (
	KindStatement  Kind = iota // statement ok|error|maybe
	KindQuery                  // query <types> ...
	KindRequire                // require <what>
	KindRequireEnv             // require-env <var> [value]
	KindMode                   // mode skip|unskip
	KindHalt                   // halt
	KindLoop                   // loop/foreach ... endloop
)

// Expect is the outcome a statement record expects.
type Expect int

// Statement expectations.
const (
	ExpectOK    Expect = iota
	ExpectError        // must fail; ErrorText, when set, must be in the message
	ExpectMaybe        // either outcome; ErrorText, when set, must match a failure
)

// SortMode is how a query's rows are ordered before comparison.
type SortMode int

// Sort modes of a query record.
const (
	NoSort SortMode = iota
	RowSort
	ValueSort
)

// Record is one parsed command of a script; which fields matter depends on Kind.
type Record struct {
	Kind Kind
	Line int    // 1-based line of the command
	Conn string // connection label; "" is the default connection

	SQL       string // statement and query
	Expect    Expect // statement
	ErrorText string // statement: expected error substring (or <REGEX>:...)

	Types    string   // query: one of I, T, R per column
	Sort     SortMode // query
	Expected []string // query: result lines as written

	Args []string // require, require-env, mode

	Var    string   // loop variable
	Values []string // loop values, in order
	Body   []Record // loop body

	// SkipReason is set when skipif/onlyif excludes the record: a statement or query,
	// or a command (halt, mode, require, a loop and its body), as DuckDB's runner
	// skips whatever command follows the condition.
	SkipReason string
}

// Script is a parsed .test file.
type Script struct {
	Path        string
	Name        string // "# name:" header
	Description string // "# description:" header
	Group       string // "# group:" header
	Records     []Record
}

// ParseError is a syntax error at a line of a script.
type ParseError struct {
	Path string
	Line int
	Msg  string
}

func (e *ParseError) Error() string { return fmt.Sprintf("%s:%d: %s", e.Path, e.Line, e.Msg) }

// ParseFile reads and parses the .test file at path.
func ParseFile(path string) (*Script, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("sqltest: %w", err)
	}
	defer f.Close()
	return Parse(path, f)
}

// Parse parses a script read from r; path only names it in errors and reports.
func Parse(path string, r io.Reader) (*Script, error) {
	var lines []string
	sc := bufio.NewScanner(r)
	// SQL lines (inline data, long IN lists) can exceed bufio's 64 KiB default.
	sc.Buffer(make([]byte, 0, 64*1024), 16*1024*1024)
	for sc.Scan() {
		lines = append(lines, strings.TrimRight(sc.Text(), "\r"))
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("sqltest: reading %s: %w", path, err)
	}
	p := &parser{path: path, lines: lines, s: &Script{Path: path}}
	if err := p.parse(); err != nil {
		return nil, err
	}
	return p.s, nil
}

type parser struct {
	path  string
	lines []string
	i     int // index of the current line
	s     *Script
}

func (p *parser) fail(line int, format string, args ...any) error {
	return &ParseError{Path: p.path, Line: line, Msg: fmt.Sprintf(format, args...)}
}

func isBreak(line string) bool { return line == "" || strings.HasPrefix(line, "#") }

func (p *parser) header(line string) {
	body := strings.TrimSpace(strings.TrimPrefix(line, "#"))
	for _, h := range []struct {
		key string
		dst *string
	}{{"name:", &p.s.Name}, {"description:", &p.s.Description}, {"group:", &p.s.Group}} {
		if v, ok := strings.CutPrefix(body, h.key); ok && *h.dst == "" {
			*h.dst = strings.TrimSpace(v)
		}
	}
}

// frame is an open loop; records are appended to the innermost frame.
type frame struct {
	rec  Record
	body []Record
}

func (p *parser) parse() error {
	var stack []*frame
	emit := func(r Record) {
		if n := len(stack); n > 0 {
			stack[n-1].body = append(stack[n-1].body, r)
			return
		}
		p.s.Records = append(p.s.Records, r)
	}
	for p.i < len(p.lines) {
		line := p.lines[p.i]
		if line == "" {
			p.i++
			continue
		}
		if strings.HasPrefix(line, "#") {
			p.header(line)
			p.i++
			continue
		}
		skip := ""
		tok := strings.Fields(line)
		if len(tok) == 0 {
			return p.fail(p.i+1, blankCommand)
		}
		// skipif/onlyif prefix the record they guard, one condition per line.
		for tok[0] == "skipif" || tok[0] == "onlyif" {
			if len(tok) < 2 {
				return p.fail(p.i+1, "%s needs a system name", tok[0])
			}
			ours := tok[1] == "duckdb" || tok[1] == "duckinfer"
			if (tok[0] == "skipif") == ours && skip == "" {
				skip = line
			}
			p.i++
			if p.i >= len(p.lines) || isBreak(p.lines[p.i]) {
				return p.fail(p.i, "%s must be followed by a statement or query", tok[0])
			}
			line = p.lines[p.i]
			tok = strings.Fields(line)
			if len(tok) == 0 {
				return p.fail(p.i+1, blankCommand)
			}
		}
		lineNo := p.i + 1
		switch tok[0] {
		case "statement":
			r, err := p.statement(tok, lineNo)
			if err != nil {
				return err
			}
			r.SkipReason = skip
			emit(r)
		case "query":
			r, err := p.query(tok, lineNo)
			if err != nil {
				return err
			}
			r.SkipReason = skip
			emit(r)
		case "require", "require-env", "mode":
			if len(tok) < 2 {
				return p.fail(lineNo, "%s needs an argument", tok[0])
			}
			k := map[string]Kind{"require": KindRequire, "require-env": KindRequireEnv, "mode": KindMode}[tok[0]]
			emit(Record{Kind: k, Line: lineNo, Args: tok[1:], SkipReason: skip})
			p.i++
		case "halt":
			emit(Record{Kind: KindHalt, Line: lineNo, SkipReason: skip})
			p.i++
		case "hash-threshold", "tags":
			// Hashing only happens when the expected result is a hash; tags are metadata.
			p.i++
		case "loop", "concurrentloop":
			if len(tok) != 4 {
				return p.fail(lineNo, "expected %s <var> <start> <end>", tok[0])
			}
			start, err1 := strconv.Atoi(tok[2])
			end, err2 := strconv.Atoi(tok[3])
			if err1 != nil || err2 != nil {
				return p.fail(lineNo, "loop start and end must be integers")
			}
			r := Record{Kind: KindLoop, Line: lineNo, Var: tok[1], SkipReason: skip}
			for v := start; v < end; v++ {
				r.Values = append(r.Values, strconv.Itoa(v))
			}
			stack = append(stack, &frame{rec: r})
			p.i++
		case "foreach", "concurrentforeach":
			if len(tok) < 3 {
				return p.fail(lineNo, "expected %s <var> <value>...", tok[0])
			}
			values, err := foreachValues(tok[1], tok[2:])
			if err != nil {
				return p.fail(lineNo, "%s: %v", tok[0], err)
			}
			stack = append(stack, &frame{rec: Record{Kind: KindLoop, Line: lineNo, Var: tok[1], Values: values, SkipReason: skip}})
			p.i++
		case "endloop":
			if len(stack) == 0 {
				return p.fail(lineNo, "endloop without loop")
			}
			f := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			f.rec.Body = f.body
			emit(f.rec)
			p.i++
		default:
			return p.fail(lineNo, "unknown or unsupported command %q", tok[0])
		}
	}
	if n := len(stack); n > 0 {
		return p.fail(stack[n-1].rec.Line, "loop is missing its endloop")
	}
	return nil
}

// blankCommand is the error for a line of only spaces or tabs where a command is
// expected; DuckDB's runner rejects it too ("Empty line!?").
const blankCommand = "line holds only spaces or tabs where a command is expected: make it empty (a blank line separates records)"

// foreachCollections are the named value lists of DuckDB's runner
// (ForEachTokenReplace) whose contents do not depend on its build; each also
// includes the ones listed after it, as there.
var foreachCollections = map[string][]string{
	"<signed>":   {"tinyint", "smallint", "integer", "bigint", "hugeint"},
	"<unsigned>": {"utinyint", "usmallint", "uinteger", "ubigint", "uhugeint"},
	"<integral>": {"<signed>", "<unsigned>"},
	"<numeric>":  {"<integral>", "float", "double"},
	"<alltypes>": {"<numeric>", "bool", "interval", "varchar"},
}

// foreachValues expands a foreach's values as DuckDB's runner does: a collection
// (<signed>, ...) stands for its types, !value removes an earlier value (and is a
// value itself when there is none), anything else is taken as written. A
// collection this runner does not define is refused: run literally, "${type}"
// would become "<compression>" and, say, a statement error would pass on the
// parser error every time. With several names (foreach a,b 1,x 2,y) every value
// must have as many comma-separated parts.
func foreachValues(names string, tokens []string) ([]string, error) {
	var out []string
	var expand func(tok string) error
	expand = func(tok string) error {
		low := strings.ToLower(tok)
		if list, ok := foreachCollections[low]; ok {
			for _, v := range list {
				if err := expand(v); err != nil {
					return err
				}
			}
			return nil
		}
		if strings.HasPrefix(low, "<") && strings.HasSuffix(low, ">") {
			return fmt.Errorf("unsupported value collection %s (this runner expands <signed>, <unsigned>, <integral>, <numeric> and <alltypes>): list the values instead", tok)
		}
		if rest, ok := strings.CutPrefix(tok, "!"); ok {
			if i := slices.Index(out, rest); i >= 0 {
				out = slices.Delete(out, i, i+1)
				return nil
			}
		}
		out = append(out, tok)
		return nil
	}
	for _, tok := range tokens {
		if err := expand(tok); err != nil {
			return nil, err
		}
	}
	if n := strings.Count(names, ","); n > 0 {
		for _, v := range out {
			if strings.Count(v, ",") != n {
				return nil, fmt.Errorf("value %q does not have one comma-separated part per name in %q", v, names)
			}
		}
	}
	return out, nil
}

// sqlText consumes SQL lines up to a blank line, a comment or "----".
func (p *parser) sqlText(lineNo int) (string, error) {
	var b []string
	for p.i < len(p.lines) && !isBreak(p.lines[p.i]) && p.lines[p.i] != "----" {
		b = append(b, p.lines[p.i])
		p.i++
	}
	if len(b) == 0 {
		return "", p.fail(lineNo, "record has no SQL")
	}
	return strings.Join(b, "\n"), nil
}

// section consumes "----" and the lines after it up to a blank line; ok is false
// when there is no "----".
func (p *parser) section() (lines []string, ok bool) {
	if p.i >= len(p.lines) || p.lines[p.i] != "----" {
		return nil, false
	}
	p.i++
	for p.i < len(p.lines) && p.lines[p.i] != "" {
		lines = append(lines, p.lines[p.i])
		p.i++
	}
	return lines, true
}

func (p *parser) statement(tok []string, lineNo int) (Record, error) {
	r := Record{Kind: KindStatement, Line: lineNo}
	if len(tok) < 2 || len(tok) > 3 {
		return r, p.fail(lineNo, "expected statement ok|error|maybe [connection]")
	}
	switch tok[1] {
	case "ok":
		r.Expect = ExpectOK
	case "error":
		r.Expect = ExpectError
	case "maybe":
		r.Expect = ExpectMaybe
	default:
		return r, p.fail(lineNo, "statement must be ok, error or maybe, not %q", tok[1])
	}
	if len(tok) == 3 {
		r.Conn = tok[2]
	}
	p.i++
	var err error
	if r.SQL, err = p.sqlText(lineNo); err != nil {
		return r, err
	}
	if msg, ok := p.section(); ok {
		if r.Expect == ExpectOK {
			return r, p.fail(lineNo, "statement ok cannot have an expected error (----)")
		}
		r.ErrorText = strings.Join(msg, "\n")
	}
	return r, nil
}

func (p *parser) query(tok []string, lineNo int) (Record, error) {
	r := Record{Kind: KindQuery, Line: lineNo}
	if len(tok) < 2 {
		return r, p.fail(lineNo, "query needs a type string (e.g. query II)")
	}
	r.Types = tok[1]
	for _, c := range r.Types {
		if c != 'I' && c != 'T' && c != 'R' {
			return r, p.fail(lineNo, "unknown type character %q in %q: expected I, T or R", c, r.Types)
		}
	}
	sorted := false
	for _, t := range tok[2:] {
		switch t {
		case "nosort", "rowsort", "sort", "valuesort":
			if sorted {
				return r, p.fail(lineNo, "query has more than one sort mode")
			}
			sorted = true
			r.Sort = map[string]SortMode{"nosort": NoSort, "rowsort": RowSort, "sort": RowSort, "valuesort": ValueSort}[t]
		default:
			if r.Conn != "" {
				// DuckDB would treat this as a hash label; this runner has none.
				return r, p.fail(lineNo, "query has two connection labels (%q and %q)", r.Conn, t)
			}
			r.Conn = t
		}
	}
	p.i++
	var err error
	if r.SQL, err = p.sqlText(lineNo); err != nil {
		return r, err
	}
	r.Expected, _ = p.section()
	return r, nil
}
