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

// errQuit is returned by .exit/.quit to end the session normally.
var errQuit = errors.New("quit")

// errInterrupted reports a statement cancelled with Ctrl-C; see shell.interrupted.
var errInterrupted = errors.New("interrupted by Ctrl-C: the statement was cancelled")

// shell holds one session: a single connection (so SET, temp tables and
// transactions persist between statements) and the output settings.
type shell struct {
	conn     *sql.Conn
	stdout   io.Writer
	stderr   io.Writer
	out      io.Writer // stdout or the .output file
	outFile  *os.File
	mode     string
	timer    bool
	outTerm  bool       // stdout is a terminal: fit tables to its width
	termSize func() int // current terminal width
	progress *progressBar

	mu     sync.Mutex
	cancel context.CancelFunc // cancels the running statement; nil when idle
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

func (s *shell) renderOpts() renderOptions {
	opts := renderOptions{maxRows: 40}
	if s.outFile == nil && s.outTerm {
		opts.width = s.termSize()
	}
	return opts
}

// runText runs one -c argument: a dot command, or SQL statements.
func (s *shell) runText(text string) error {
	if isDotCommand(text) {
		return s.dot(text)
	}
	stmts, rest := scanStatements(text)
	if !sqlIsBlank(rest) {
		stmts = append(stmts, rest)
	}
	for _, st := range stmts {
		if err := s.execute(st); err != nil {
			return err
		}
	}
	return nil
}

// runScript runs SQL and dot commands read from r (a file, piped stdin, .read),
// stopping at the first failure so that scripts do not run on after a broken step.
func (s *shell) runScript(r io.Reader) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 64*1024*1024)
	var pending strings.Builder
	for sc.Scan() {
		line := sc.Text()
		if sqlIsBlank(pending.String()) && isDotCommand(line) {
			pending.Reset()
			if err := s.dot(line); err != nil {
				return err
			}
			continue
		}
		pending.WriteString(line)
		pending.WriteByte('\n')
		stmts, rest := scanStatements(pending.String())
		for _, st := range stmts {
			if sqlIsBlank(st) {
				continue
			}
			if err := s.execute(st); err != nil {
				return err
			}
		}
		pending.Reset()
		pending.WriteString(rest)
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("reading input: %w", err)
	}
	if rest := pending.String(); !sqlIsBlank(rest) {
		// A last statement without ';' still runs, as with the duckdb CLI.
		return s.execute(rest)
	}
	return nil
}

// execute runs one SQL statement and prints its result.
func (s *shell) execute(stmt string) error {
	if sqlIsBlank(stmt) {
		return nil
	}
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

// query runs stmt and prints its result.
func (s *shell) query(ctx context.Context, stmt string) error {
	began := time.Now()
	stopProgress := func() {}
	if s.progress != nil {
		stopProgress = s.progress.start()
	}
	rows, err := s.conn.QueryContext(ctx, stmt)
	stopProgress()
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
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	next := func() ([]any, error) {
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
		return vals, nil
	}

	switch {
	case len(cols) == 0 || isStatusResult(stmt, cols):
		// DDL, INSERT, SET ...: DuckDB answers with a Count or Success column that
		// the duckdb CLI does not print either.
		for {
			if _, err := next(); err != nil {
				if !errors.Is(err, io.EOF) {
					return err
				}
				break
			}
		}
	case s.mode == modeDuckbox && len(cols) == 2 && cols[0].name == "explain_key" && cols[1].name == "explain_value":
		// EXPLAIN's plan is already drawn as boxes; print it as is.
		if err := eachRow(next, func(v []any) error {
			txt, _ := formatValue(v[1], "")
			_, err := fmt.Fprintln(s.out, txt)
			return err
		}); err != nil {
			return err
		}
	default:
		if err := render(s.out, s.mode, cols, next, s.renderOpts()); err != nil {
			return err
		}
	}
	if s.timer {
		fmt.Fprintf(s.out, "Run Time (s): real %.3f\n", time.Since(began).Seconds())
	}
	return nil
}

// isStatusResult tells a statement's status answer (rows changed, success) from a
// query result, by the statement's kind and the answer's single column.
func isStatusResult(stmt string, cols []column) bool {
	if len(cols) != 1 || (cols[0].name != "Count" && cols[0].name != "Success") {
		return false
	}
	if sqltext.IsQuery(stmt) {
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

const helpText = `.exit, .quit             Exit this program
.help                    Show this message
.mode MODE               Set output mode: duckbox (default), csv, json, line, markdown
.output [FILE]           Send output to FILE, or back to stdout without FILE
.read FILE               Run SQL and dot commands from FILE
.schema [TABLE]          Show CREATE statements, of TABLE or of everything
.tables                  List tables and views
.timer on|off            Print the run time of each statement

SQL statements end with ';' and may span lines. Ctrl-C cancels a running
statement or clears the line; Ctrl-D exits.
ml_predict('task', 'table') runs a task's ONNX model over a table.
`

// dot runs a dot command.
func (s *shell) dot(line string) error {
	fields := strings.Fields(strings.TrimSpace(line))
	cmd, args := fields[0], fields[1:]
	switch cmd {
	case ".exit", ".quit", ".q":
		return errQuit
	case ".help", ".h":
		_, err := io.WriteString(s.out, helpText)
		return err
	case ".mode":
		if len(args) == 0 {
			_, err := fmt.Fprintf(s.out, "current output mode: %s\n", s.mode)
			return err
		}
		m, ok := normalizeMode(args[0])
		if !ok {
			return fmt.Errorf("unknown mode %q: use one of %s", args[0], strings.Join(modeNames, ", "))
		}
		s.mode = m
		return nil
	case ".timer":
		if len(args) != 1 || (args[0] != "on" && args[0] != "off") {
			return errors.New("usage: .timer on|off")
		}
		s.timer = args[0] == "on"
		return nil
	case ".tables":
		return s.listTables(args)
	case ".schema":
		return s.schema(args)
	case ".read":
		if len(args) != 1 {
			return errors.New("usage: .read FILE")
		}
		f, err := os.Open(args[0])
		if err != nil {
			return fmt.Errorf("cannot read %s: %w; check the path", args[0], err)
		}
		defer f.Close()
		return s.runScript(f)
	case ".output", ".o":
		return s.setOutput(args)
	}
	return fmt.Errorf("unknown command %q: enter .help for the list", cmd)
}

func (s *shell) setOutput(args []string) error {
	if len(args) > 1 {
		return errors.New("usage: .output [FILE]")
	}
	if s.outFile != nil {
		err := s.outFile.Close()
		s.outFile, s.out = nil, s.stdout
		if err != nil {
			return fmt.Errorf("closing output file: %w", err)
		}
	}
	if len(args) == 0 || args[0] == "stdout" {
		return nil
	}
	f, err := os.Create(args[0])
	if err != nil {
		return fmt.Errorf("cannot write %s: %w; check the folder exists and is writable", args[0], err)
	}
	s.outFile, s.out = f, f
	return nil
}

// listTables prints table and view names in columns, like the duckdb CLI.
func (s *shell) listTables(args []string) error {
	q := `SELECT CASE WHEN schema_name = 'main' THEN name ELSE schema_name || '.' || name END FROM (
		SELECT schema_name, table_name AS name FROM duckdb_tables() WHERE NOT internal
		UNION ALL SELECT schema_name, view_name FROM duckdb_views() WHERE NOT internal
	) WHERE ? = '' OR name LIKE ? ORDER BY 1`
	pattern := ""
	if len(args) > 0 {
		pattern = args[0]
	}
	names, err := s.queryStrings(q, pattern, pattern)
	if err != nil {
		return err
	}
	if len(names) == 0 {
		return nil
	}
	width := 0
	for _, n := range names {
		width = max(width, textWidth(n))
	}
	perLine := 1
	if tw := s.renderOpts().width; tw > 0 {
		perLine = max(1, tw/(width+2))
	} else {
		perLine = max(1, 80/(width+2))
	}
	var b strings.Builder
	for i, n := range names {
		b.WriteString(padRight(n, width))
		if (i+1)%perLine == 0 || i == len(names)-1 {
			b.WriteString("\n")
		} else {
			b.WriteString("  ")
		}
	}
	// Trailing pad spaces would only clutter copied output.
	lines := strings.Split(b.String(), "\n")
	for i := range lines {
		lines[i] = strings.TrimRight(lines[i], " ")
	}
	_, err = io.WriteString(s.out, strings.Join(lines, "\n"))
	return err
}

// schema prints the CREATE statements of tables, views, indexes and sequences.
func (s *shell) schema(args []string) error {
	q := `SELECT sql FROM (
		SELECT table_name AS name, sql, 1 AS k FROM duckdb_tables() WHERE NOT internal
		UNION ALL SELECT view_name, sql, 2 FROM duckdb_views() WHERE NOT internal
		UNION ALL SELECT table_name, sql, 3 FROM duckdb_indexes() WHERE sql IS NOT NULL
	) WHERE ? = '' OR name ILIKE ? ORDER BY k, name`
	name := ""
	if len(args) > 0 {
		name = args[0]
	}
	stmts, err := s.queryStrings(q, name, name)
	if err != nil {
		return err
	}
	if name != "" && len(stmts) == 0 {
		return fmt.Errorf("no table or view named %q: .tables lists them", name)
	}
	for _, st := range stmts {
		st = strings.TrimSpace(st)
		if !strings.HasSuffix(st, ";") {
			st += ";"
		}
		if _, err := fmt.Fprintln(s.out, st); err != nil {
			return err
		}
	}
	return nil
}

func (s *shell) queryStrings(q string, args ...any) ([]string, error) {
	rows, err := s.conn.QueryContext(context.Background(), q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v sql.NullString
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		if v.Valid {
			out = append(out, v.String)
		}
	}
	return out, rows.Err()
}
