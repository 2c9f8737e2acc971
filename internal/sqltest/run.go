package sqltest

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"regexp"
	"strings"
)

// Failure is one record whose outcome differed from the script.
type Failure struct {
	File     string
	Line     int
	Conn     string // connection label; "" is the default connection
	SQL      string // after ${var} substitution
	Message  string // what went wrong, one line
	Expected string // expected rows or error text, when there is one
	Actual   string // actual rows or error message, when there is one
	Diff     string // line diff of Expected and Actual rows (- expected, + actual)
}

func (f Failure) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s:%d: %s\n", f.File, f.Line, f.Message)
	con := ""
	if f.Conn != "" {
		con = " (" + f.Conn + ")"
	}
	fmt.Fprintf(&b, "  SQL%s:\n%s", con, indent(f.SQL))
	switch {
	case f.Diff != "":
		fmt.Fprintf(&b, "  diff (- expected, + actual):\n%s", indent(f.Diff))
	default:
		if f.Expected != "" {
			fmt.Fprintf(&b, "  expected:\n%s", indent(f.Expected))
		}
		if f.Actual != "" {
			fmt.Fprintf(&b, "  actual:\n%s", indent(f.Actual))
		}
	}
	return b.String()
}

func indent(s string) string {
	var b strings.Builder
	for _, l := range strings.Split(strings.TrimRight(s, "\n"), "\n") {
		b.WriteString("    ")
		b.WriteString(l)
		b.WriteByte('\n')
	}
	return b.String()
}

// Result is the outcome of running one script.
type Result struct {
	File       string
	Run        int    // statement and query records executed (each loop iteration counts)
	Skipped    int    // statement and query records not executed (mode skip, skipif/onlyif, halt, require)
	SkipReason string // set when a require skipped the rest of the file
	Halted     bool   // a halt ended the script early
	Failures   []Failure
}

// Failed reports whether any record failed.
func (r *Result) Failed() bool { return len(r.Failures) > 0 }

// Report renders the failures for people: one block per failure and a count line.
func (r *Result) Report() string {
	var b strings.Builder
	for _, f := range r.Failures {
		b.WriteString(f.String())
	}
	fmt.Fprintf(&b, "%s: %d run, %d failed, %d skipped", r.File, r.Run, len(r.Failures), r.Skipped)
	if r.SkipReason != "" {
		fmt.Fprintf(&b, " (%s)", r.SkipReason)
	}
	b.WriteByte('\n')
	return b.String()
}

// Run executes s against db. db should be fresh: scripts assume an empty catalog.
// Each connection label gets its own *sql.Conn, held until Run returns, so db must
// allow one open connection per label plus the default one. Run goes on after a
// failure so that one report shows every mismatch.
func Run(ctx context.Context, db *sql.DB, s *Script) Result {
	r := &runner{ctx: ctx, db: db, conns: map[string]*sql.Conn{}, res: Result{File: s.Path}}
	defer r.close()
	r.exec(s.Records, nil)
	return r.res
}

type runner struct {
	ctx     context.Context
	db      *sql.DB
	conns   map[string]*sql.Conn
	res     Result
	skip    int  // depth of mode skip
	stopped bool // halt, require or cancellation ended the script
	testDir string
	env     []binding // ${VAR} from require-env, for the rest of the file
}

func (r *runner) close() {
	for _, c := range r.conns {
		_ = c.Close()
	}
	if r.testDir != "" {
		_ = os.RemoveAll(r.testDir)
	}
}

type binding struct{ name, value string }

func countRecords(recs []Record) int {
	n := 0
	for _, rec := range recs {
		switch rec.Kind {
		case KindStatement, KindQuery:
			n++
		case KindLoop:
			n += len(rec.Values) * countRecords(rec.Body)
		}
	}
	return n
}

func (r *runner) exec(recs []Record, vars []binding) {
	for i, rec := range recs {
		if r.stopped {
			r.res.Skipped += countRecords(recs[i:])
			return
		}
		if r.skip > 0 && rec.Kind != KindMode {
			r.res.Skipped += countRecords(recs[i : i+1])
			continue
		}
		if rec.SkipReason != "" && rec.Kind != KindStatement && rec.Kind != KindQuery {
			r.res.Skipped += countRecords(recs[i : i+1])
			continue
		}
		switch rec.Kind {
		case KindMode:
			switch rec.Args[0] {
			case "skip":
				r.skip++
			case "unskip":
				if r.skip > 0 {
					r.skip--
				}
			}
		case KindHalt:
			r.res.Halted = true
			r.stopped = true
		case KindRequire:
			if !r.loaded(rec.Args[0]) {
				r.res.SkipReason = "require " + strings.Join(rec.Args, " ")
				r.stopped = true
			}
		case KindRequireEnv:
			v, ok := os.LookupEnv(rec.Args[0])
			if !ok || (len(rec.Args) > 1 && v != rec.Args[1]) {
				r.res.SkipReason = "require-env " + strings.Join(rec.Args, " ")
				r.stopped = true
				break
			}
			r.env = append(r.env, binding{rec.Args[0], v})
		case KindLoop:
			names := strings.Split(rec.Var, ",")
			for _, v := range rec.Values {
				iter := vars[:len(vars):len(vars)]
				if len(names) == 1 {
					iter = append(iter, binding{rec.Var, v})
				} else {
					// foreach a,b 1,x 2,y: the parser checked the part counts.
					for i, part := range strings.Split(v, ",") {
						iter = append(iter, binding{names[i], part})
					}
				}
				r.exec(rec.Body, iter)
			}
		case KindStatement, KindQuery:
			if rec.SkipReason != "" {
				r.res.Skipped++
				continue
			}
			if err := r.ctx.Err(); err != nil {
				r.fail(rec, rec.SQL, fmt.Sprintf("not run: %v", err), "", "")
				r.stopped = true
				r.res.Skipped += countRecords(recs[i+1:])
				return
			}
			r.res.Run++
			if rec.Kind == KindStatement {
				r.statement(rec, vars)
			} else {
				r.query(rec, vars)
			}
		}
	}
}

// loaded reports whether a require is met: duckinfer itself, or an extension the
// database has loaded already (json, parquet and icu are built into duckdb-go). It
// never loads or installs one, so that a file cannot change what it tests.
func (r *runner) loaded(name string) bool {
	if name == "duckinfer" {
		return true
	}
	c, err := r.conn("")
	if err != nil {
		return false
	}
	var ok bool
	err = c.QueryRowContext(r.ctx, "SELECT loaded FROM duckdb_extensions() WHERE extension_name = lower(?)", name).Scan(&ok)
	return err == nil && ok
}

// subst replaces ${var} (innermost loop wins, then require-env variables) and
// __TEST_DIR__ as DuckDB's runner does.
func (r *runner) subst(s string, vars []binding) string {
	for i := len(vars) - 1; i >= 0; i-- {
		s = strings.ReplaceAll(s, "${"+vars[i].name+"}", vars[i].value)
	}
	for _, v := range r.env {
		s = strings.ReplaceAll(s, "${"+v.name+"}", v.value)
	}
	if strings.Contains(s, "__TEST_DIR__") {
		if r.testDir == "" {
			d, err := os.MkdirTemp("", "sqltest-")
			if err == nil {
				r.testDir = d
			}
		}
		s = strings.ReplaceAll(s, "__TEST_DIR__", r.testDir)
	}
	return s
}

func (r *runner) conn(label string) (*sql.Conn, error) {
	if c, ok := r.conns[label]; ok {
		return c, nil
	}
	c, err := r.db.Conn(r.ctx)
	if err != nil {
		return nil, fmt.Errorf("opening connection %q: %w", label, err)
	}
	r.conns[label] = c
	return c, nil
}

func (r *runner) fail(rec Record, sqlText, msg, expected, actual string) {
	r.res.Failures = append(r.res.Failures, Failure{
		File: r.res.File, Line: rec.Line, Conn: rec.Conn, SQL: sqlText,
		Message: msg, Expected: expected, Actual: actual,
	})
}

// internalError mirrors DuckDB's runner: an INTERNAL error is a bug, never an
// expected outcome.
func internalError(err error) bool { return strings.Contains(err.Error(), "INTERNAL Error") }

// matchText checks a message against an expected text: a substring, or a regular
// expression after <REGEX>: (must match) or <!REGEX>: (must not match).
func matchText(actual, expected string) bool {
	if strings.Contains(actual, expected) {
		return true
	}
	neg := false
	pat, ok := strings.CutPrefix(expected, "<REGEX>:")
	if !ok {
		if pat, ok = strings.CutPrefix(expected, "<!REGEX>:"); !ok {
			return false
		}
		neg = true
	}
	// DuckDB's runner matches the whole text (RE2 FullMatch); (?s) lets . cross lines.
	re, err := regexp.Compile(`(?s)^(?:` + pat + `)$`)
	if err != nil {
		return false
	}
	return re.MatchString(actual) != neg
}

func (r *runner) statement(rec Record, vars []binding) {
	q := r.subst(rec.SQL, vars)
	c, err := r.conn(rec.Conn)
	if err != nil {
		r.fail(rec, q, err.Error(), "", "")
		return
	}
	// ExecContext materialises the whole result, so errors raised while producing
	// rows surface here too.
	_, err = c.ExecContext(r.ctx, q)
	want := r.subst(rec.ErrorText, vars)
	switch {
	case err == nil && rec.Expect == ExpectError:
		r.fail(rec, q, "statement succeeded but an error was expected", want, "")
	case err == nil:
	case rec.Expect == ExpectOK:
		r.fail(rec, q, "statement failed", "", err.Error())
	case internalError(err):
		r.fail(rec, q, "statement raised an internal error", want, err.Error())
	case want != "" && !matchText(err.Error(), want):
		r.fail(rec, q, "statement failed with an unexpected error message", want, err.Error())
	}
}

func (r *runner) query(rec Record, vars []binding) {
	q := r.subst(rec.SQL, vars)
	c, err := r.conn(rec.Conn)
	if err != nil {
		r.fail(rec, q, err.Error(), "", "")
		return
	}
	res, err := runQuery(r.ctx, c, q)
	if err != nil {
		r.fail(rec, q, "query failed", "", err.Error())
		return
	}
	expected := make([]string, len(rec.Expected))
	for i, l := range rec.Expected {
		expected[i] = r.subst(l, vars)
	}
	if f := compare(rec, expected, res); f != nil {
		f.File, f.Line, f.Conn, f.SQL = r.res.File, rec.Line, rec.Conn, q
		r.res.Failures = append(r.res.Failures, *f)
	}
}
