package main

import (
	"github.com/duckinfer/duckinfer/internal/sqltext"

	"bufio"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/duckdb/duckdb-go/v2"
)

// quitError is returned by .exit/.quit to end the session with a status.
type quitError struct{ code int }

func (e *quitError) Error() string { return fmt.Sprintf("exit %d", e.code) }

// errQuit ends the session with status 0.
var errQuit error = &quitError{}

// quitCode reports whether err asks to end the session, and with which status.
func quitCode(err error) (int, bool) {
	var q *quitError
	if errors.As(err, &q) {
		return q.code, true
	}
	return 0, false
}

// errInterrupted reports a statement cancelled with Ctrl-C; see shell.interrupted.
var errInterrupted = errors.New("interrupted by Ctrl-C: the statement was cancelled")

// bailMode is .bail: on, off, or as the duckdb CLI does by default — stop at the
// first error in a file (-f, .read, the init file) and go on with piped input.
type bailMode int

const (
	bailAuto bailMode = iota
	bailOn
	bailOff
)

// maxLastCells bounds what .last keeps of the previous result.
const maxLastCells = 1 << 20

// shell holds one session: a single connection (so SET, temp tables and
// transactions persist between statements) and the output settings.
type shell struct {
	conn     *sql.Conn
	reopen   func(path string) error // .open: replaces conn (and the database)
	keywords map[string]bool         // DuckDB's keywords that must be quoted as names, once insert mode needs them
	stdout   io.Writer
	stderr   io.Writer
	out      io.Writer // stdout or the .output/.once file
	outFile  *os.File
	once     bool   // outFile is for the next command only
	onceOpen string // after the next command, open this file (.excel)
	onceMode string // the mode to go back to after .excel
	onceSep  [2]string
	mode     string
	ropts    renderOptions // separators, headers, null text, row limit
	maxWidth int           // .maxwidth; 0: the terminal's width
	timer    bool
	echo     bool
	bail     bailMode
	prompts  [2]string // main and continuation prompt
	outTerm  bool      // stdout is a terminal: fit tables to its width
	termSize func() int
	progress *progressBar

	last *lastResult // for .last

	mu     sync.Mutex
	cancel context.CancelFunc // cancels the running statement; nil when idle
}

type lastResult struct {
	cols []column
	rows [][]cell
}

func newShell(conn *sql.Conn, stdout, stderr io.Writer) *shell {
	return &shell{
		conn: conn, stdout: stdout, stderr: stderr, out: stdout,
		mode: modeDuckbox, ropts: defaultRenderOptions(),
		prompts:  [2]string{prompt, continuePrompt},
		termSize: func() int { return 80 },
	}
}

// interrupt cancels the running statement and reports whether there was one.
func (s *shell) interrupt() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cancel == nil {
		return false
	}
	s.cancel()
	return true
}

// renderOpts applies the duckdb CLI's limits: on a terminal, fit the width and
// add the readable line under large numbers; into a file, no limits at all.
func (s *shell) renderOpts() renderOptions {
	o := s.ropts
	switch {
	case s.maxWidth > 0:
		o.width = s.maxWidth
	case s.outFile != nil:
		o.maxRows = 0
	case s.outTerm:
		o.width = s.termSize()
	}
	o.largeNumbers = s.outFile == nil && s.outTerm
	if s.mode == modeInsert {
		if s.keywords == nil {
			s.keywords = s.loadKeywords(true)
		}
		o.keywords = s.keywords
	}
	return o
}

// runText runs one -c/-cmd argument: a dot command, or SQL statements, stopping
// at the first failure unless .bail off was given; then it returns how many
// statements failed (the exit status counts them, as for -f).
func (s *shell) runText(text string) (failed int, err error) {
	if isDotCommand(text) {
		return 0, s.dot(text)
	}
	return s.runScript(strings.NewReader(text), s.bail != bailOff)
}

// runFile runs a script file (-f, .read, the init file).
func (s *shell) runFile(path string) (failed int, err error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, fmt.Errorf("cannot read %s: %w; check the path", path, err)
	}
	defer f.Close()
	return s.runScript(f, s.bail != bailOff)
}

// runScript runs SQL and dot commands read from r. With stop (.bail on, or a
// file under the default), the first failure ends it and is returned; otherwise
// each failure is printed and the script goes on, and the count is returned.
// .exit always ends it. A statement is handed to DuckDB after as many line
// breaks as lines precede it, so that "LINE n" in an error counts from the top
// of the script, not from the statement.
func (s *shell) runScript(r io.Reader, stop bool) (failed int, err error) {
	fail := func(err error) error {
		// .bail may change inside the script, so it is read at each failure.
		if _, ok := quitCode(err); ok || s.bail == bailOn || stop && s.bail != bailOff {
			return err
		}
		failed++
		s.printError(err)
		return nil
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 64*1024*1024)
	var pending strings.Builder
	lineNo, pendingLine := 0, 1 // pendingLine: the line pending starts on
	run := func(stmt string, line int) error {
		if sqlIsBlank(stmt) {
			return nil
		}
		if s.echo {
			fmt.Fprintln(s.out, strings.TrimSpace(stmt))
		}
		return s.execute(strings.Repeat("\n", line-1) + stmt)
	}
	for sc.Scan() {
		line := sc.Text()
		lineNo++
		if sqlIsIdle(pending.String()) && isDotCommand(line) {
			pending.Reset()
			pendingLine = lineNo + 1
			if s.echo {
				fmt.Fprintln(s.out, strings.TrimSpace(line))
			}
			if err := s.dot(line); err != nil {
				if err := fail(err); err != nil {
					return failed, err
				}
			}
			continue
		}
		pending.WriteString(line)
		pending.WriteByte('\n')
		text := pending.String()
		stmts, rest := scanStatements(text)
		off := 0
		for _, st := range stmts {
			at := pendingLine + strings.Count(text[:off], "\n")
			off += len(st)
			if err := run(st, at); err != nil {
				if err := fail(err); err != nil {
					return failed, err
				}
			}
		}
		pendingLine += strings.Count(text[:off], "\n")
		pending.Reset()
		pending.WriteString(rest)
	}
	if err := sc.Err(); err != nil {
		return failed, fmt.Errorf("reading input: %w", err)
	}
	if rest := pending.String(); !sqlIsBlank(rest) {
		// A last statement without ';' still runs, as with the duckdb CLI.
		if err := run(rest, pendingLine); err != nil {
			if err := fail(err); err != nil {
				return failed, err
			}
		}
	}
	return failed, nil
}

// execute runs one SQL statement and prints its result.
func (s *shell) execute(stmt string) error {
	if sqlIsBlank(stmt) {
		return nil
	}
	defer s.endOnce()
	ctx, cancel := context.WithCancel(context.Background())
	s.mu.Lock()
	s.cancel = cancel
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.cancel = nil
		s.mu.Unlock()
		cancel()
	}()
	err := s.query(ctx, stmt)
	if err != nil && ctx.Err() != nil {
		// Asked only now that query has closed the result: a new statement on the
		// connection would end a result still being read.
		return s.interrupted()
	}
	return err
}

// interrupted is errInterrupted, with advice to ROLLBACK when the connection is
// inside an explicit transaction: there the cancelled statement leaves the
// transaction open (and aborted, if the statement had begun), and everything typed
// next would fail until it ends.
func (s *shell) interrupted() error {
	if s.inTransaction() {
		return fmt.Errorf("%w; it ran inside an explicit transaction: run ROLLBACK to end it", errInterrupted)
	}
	return errInterrupted
}

// inTransaction asks DuckDB whether the connection is inside an explicit
// transaction, rather than tracking BEGIN and COMMIT, which a failed COMMIT or a
// script would defeat. Outside one, every statement runs in a transaction of its
// own, so two statements see different transaction ids; inside one, both see the
// same id. An aborted transaction refuses any statement but ROLLBACK with a
// transaction error, which also means inside.
func (s *shell) inTransaction() bool {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var ids [2]uint64
	for i := range ids {
		err := s.conn.QueryRowContext(ctx, "SELECT current_transaction_id()").Scan(&ids[i])
		if err != nil {
			var de *duckdb.Error
			return errors.As(err, &de) && de.Type == duckdb.ErrorTypeTransaction
		}
	}
	return ids[0] == ids[1]
}

func (s *shell) jsonMode() bool { return s.mode == modeJSON || s.mode == modeJSONLines }

// query runs stmt and prints its result. A query is described first (names and
// DuckDB's type names, without running it) and then run wrapped in textQuery,
// so that every value is DuckDB's own text; any other statement is run as is.
func (s *shell) query(ctx context.Context, stmt string) error {
	began := time.Now()
	if sqltext.IsQuery(stmt) && sqltext.Balanced(stmt) {
		body := trimStatement(stmt)
		if cols, ok := s.describe(ctx, body); ok {
			return s.queryText(ctx, body, cols, began)
		}
		// Not describable (a syntax or binding error, most often): running it as
		// written reports the error against the text the user wrote.
	}
	return s.queryDirect(ctx, stmt, began)
}

// trimStatement drops the trailing ';' so that the statement fits in a subquery.
func trimStatement(q string) string {
	q = strings.TrimRightFunc(q, func(r rune) bool { return r == ';' || r == ' ' || r == '\t' || r == '\n' || r == '\r' })
	return q
}

// describe returns the result columns of the query body, with DuckDB's names for
// their types. DESCRIBE does not accept SHOW, DESCRIBE or SUMMARIZE directly, so
// those are described as a subquery.
func (s *shell) describe(ctx context.Context, body string) ([]column, bool) {
	for _, q := range []string{"DESCRIBE " + body, "DESCRIBE SELECT * FROM (" + body + "\n)"} {
		rows, err := s.conn.QueryContext(ctx, q)
		if err != nil {
			continue
		}
		var cols []column
		var name, typ string
		var rest [4]any
		for rows.Next() {
			if err := rows.Scan(&name, &typ, &rest[0], &rest[1], &rest[2], &rest[3]); err != nil {
				rows.Close()
				return nil, false
			}
			cols = append(cols, newColumn(name, typ))
		}
		err = rows.Err()
		rows.Close()
		if err != nil || len(cols) == 0 {
			return nil, false
		}
		return cols, true
	}
	return nil, false
}

// run starts a statement with the progress bar shown while DuckDB works on it.
func (s *shell) run(ctx context.Context, q string) (*sql.Rows, error) {
	stopProgress := func() {}
	if s.progress != nil {
		stopProgress = s.progress.start()
	}
	rows, err := s.conn.QueryContext(ctx, q)
	stopProgress()
	return rows, err
}

func (s *shell) queryText(ctx context.Context, body string, cols []column, began time.Time) error {
	rows, err := s.run(ctx, textQuery(body, cols, s.jsonMode()))
	if err != nil {
		return err
	}
	defer rows.Close()
	names, err := rows.Columns()
	if err != nil {
		return err
	}
	if len(names) != len(cols) {
		return fmt.Errorf("the query returned %d columns where DESCRIBE said %d: run it again", len(names), len(cols))
	}
	vals := make([]sql.NullString, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	next := func() ([]cell, error) {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if !rows.Next() {
			if err := rows.Err(); err != nil {
				return nil, err
			}
			return nil, io.EOF
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		row := make([]cell, len(vals))
		for i, v := range vals {
			row[i] = cell{text: v.String, null: !v.Valid}
		}
		return row, nil
	}
	return s.output(cols, next, began)
}

func (s *shell) queryDirect(ctx context.Context, stmt string, began time.Time) error {
	rows, err := s.run(ctx, stmt)
	if err != nil {
		return err
	}
	defer rows.Close()

	names, err := rows.Columns()
	if err != nil {
		return err
	}
	types, err := rows.ColumnTypes()
	if err != nil {
		return err
	}
	cols := make([]column, len(names))
	for i, n := range names {
		cols[i] = newColumn(n, types[i].DatabaseTypeName())
	}
	if err := s.prepareDirect(ctx, cols); err != nil {
		return err
	}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	jsonMode := s.jsonMode()
	next := func() ([]cell, error) {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if !rows.Next() {
			if err := rows.Err(); err != nil {
				return nil, err
			}
			return nil, io.EOF
		}
		clear(vals)
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		row := make([]cell, len(vals))
		for i, v := range vals {
			row[i] = directCell(v, cols[i], jsonMode)
		}
		return row, nil
	}

	switch {
	case len(cols) == 0 || isStatusResult(stmt, cols):
		// DDL, INSERT, SET ...: DuckDB answers with a Count or Success column that
		// the duckdb CLI does not print either.
		if err := eachRow(next, func([]cell) error { return nil }); err != nil {
			return err
		}
	case s.mode == modeDuckbox && len(cols) == 2 && cols[0].name == "explain_key" && cols[1].name == "explain_value":
		// EXPLAIN's plan is already drawn as boxes; print it as is.
		if err := eachRow(next, func(v []cell) error {
			_, err := fmt.Fprintln(s.out, v[1].text)
			return err
		}); err != nil {
			return err
		}
	default:
		return s.output(cols, next, began)
	}
	s.printTimer(began)
	return nil
}

// output renders a result in the current mode and keeps it for .last.
func (s *shell) output(cols []column, next nextRow, began time.Time) error {
	last := &lastResult{cols: cols}
	keep := true
	record := func() ([]cell, error) {
		row, err := next()
		if err == nil && keep {
			if (len(last.rows)+1)*max(len(cols), 1) > maxLastCells {
				keep, last.rows = false, nil
			} else {
				last.rows = append(last.rows, row)
			}
		}
		return row, err
	}
	if err := render(s.out, s.mode, cols, record, s.renderOpts()); err != nil {
		return err
	}
	if keep {
		s.last = last
	} else {
		s.last = nil
	}
	s.printTimer(began)
	return nil
}

func (s *shell) printTimer(began time.Time) {
	if s.timer {
		fmt.Fprintf(s.out, "Run Time (s): real %.3f\n", time.Since(began).Seconds())
	}
}

// isStatusResult tells a statement's status answer (rows changed, success) from a
// query result, by the statement's kind and the answer's single column.
func isStatusResult(stmt string, cols []column) bool {
	if len(cols) != 1 || (cols[0].name != "Count" && cols[0].name != "Success") {
		return false
	}
	// A RETURNING clause's rows are data, whatever its column is called.
	if sqltext.IsQuery(stmt) || hasKeyword(stmt, "RETURNING") {
		return false
	}
	switch firstWord(stmt) {
	case "EXPLAIN", "PRAGMA", "CALL":
		return false
	}
	return true
}

func isDotCommand(line string) bool {
	return strings.HasPrefix(strings.TrimSpace(line), ".")
}

func (s *shell) printError(err error) { printError(s.stderr, err) }

// driverAPIPrefix is how duckdb-go wraps an error returned by a scalar UDF
// callback; DuckDB then embeds it in its own message. It says nothing to the
// person reading the error, so it is dropped wherever it appears.
const driverAPIPrefix = "database/sql/driver: API error: "

// printError prints err the way every error of the shell is printed.
func printError(w io.Writer, err error) {
	fmt.Fprintf(w, "Error: %s\n", strings.ReplaceAll(err.Error(), driverAPIPrefix, ""))
}
