package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"sort"
	"strconv"
	"strings"
)

// dotCommand is one of the shell's dot commands, as listed by .help.
type dotCommand struct {
	name  string
	args  string
	help  string
	run   func(s *shell, args []string) error
	alias []string // short forms kept from earlier versions (.q, .h, .o)
}

var dotCommands []dotCommand

func init() {
	dotCommands = []dotCommand{
		{name: "bail", args: "on|off", help: "Stop after hitting an error (default: stop in files, go on with piped input)", run: (*shell).dotBail},
		{name: "cd", args: "DIRECTORY", help: "Change the working directory to DIRECTORY", run: (*shell).dotCd},
		{name: "columns", help: "Column-wise rendering of duckbox results (one line per column)", run: func(s *shell, _ []string) error { s.ropts.columnwise = true; return nil }},
		{name: "databases", help: "List names and files of attached databases", run: (*shell).dotDatabases},
		{name: "echo", args: "on|off", help: "Print each command before running it", run: func(s *shell, a []string) error { return onOff(a, ".echo", &s.echo) }},
		{name: "excel", help: "Show the next result in a spreadsheet (a CSV file opened with $DUCKINFER_OPEN, xdg-open or open)", run: (*shell).dotExcel},
		{name: "exit", args: "?CODE?", help: "Exit this program with status CODE (default 0)", run: (*shell).dotExit},
		{name: "headers", args: "on|off", help: "Turn display of column names on or off (list, csv, column, html, quote, insert)", run: func(s *shell, a []string) error { return onOff(a, ".headers", &s.ropts.header) }},
		{name: "help", args: "?PATTERN?", help: "Show this message, or only the commands matching PATTERN", run: (*shell).dotHelp, alias: []string{"h"}},
		{name: "last", help: "Show the last result again, all rows and full width", run: (*shell).dotLast},
		{name: "maxrows", args: "COUNT", help: "Show at most COUNT rows in duckbox mode (default 40; 0 or -1: all)", run: (*shell).dotMaxRows},
		{name: "maxwidth", args: "COUNT", help: "Fit duckbox tables into COUNT columns (default 0: the terminal's width)", run: (*shell).dotMaxWidth},
		{name: "mode", args: "MODE ?TABLE?", help: "Set the output mode: " + strings.Join(modeNames, ", "), run: (*shell).dotMode},
		{name: "nullvalue", args: "STRING", help: "Use STRING in place of NULL values", run: (*shell).dotNullValue},
		{name: "once", args: "FILE", help: "Send the output of the next command only to FILE", run: (*shell).dotOnce},
		{name: "open", args: "?FILE?", help: "Close the database and open FILE (in memory without FILE)", run: (*shell).dotOpen},
		{name: "output", args: "?FILE?", help: "Send output to FILE, or back to stdout without FILE", run: func(s *shell, a []string) error { return s.setOutput(a, false) }, alias: []string{"o"}},
		{name: "print", args: "STRING...", help: "Print literal STRING", run: func(s *shell, a []string) error { _, err := fmt.Fprintln(s.out, strings.Join(a, " ")); return err }},
		{name: "prompt", args: "MAIN ?CONTINUE?", help: "Replace the standard prompts", run: (*shell).dotPrompt},
		{name: "quit", help: "Exit this program", run: func(*shell, []string) error { return errQuit }, alias: []string{"q"}},
		{name: "read", args: "FILE", help: "Run SQL and dot commands from FILE", run: (*shell).dotRead},
		{name: "rows", help: "Row-wise rendering of duckbox results (default)", run: func(s *shell, _ []string) error { s.ropts.columnwise = false; return nil }},
		{name: "schema", args: "?TABLE?", help: "Show CREATE statements, of TABLE or of everything", run: (*shell).schema},
		{name: "separator", args: "COL ?ROW?", help: "Change the column and row separators (list, csv, quote modes)", run: (*shell).dotSeparator},
		{name: "shell", args: "CMD ARGS...", help: "Run CMD ARGS... in a system shell", run: (*shell).dotShell},
		{name: "system", args: "CMD ARGS...", help: "Run CMD ARGS... in a system shell", run: (*shell).dotShell},
		{name: "tables", args: "?PATTERN?", help: "List tables and views, those matching LIKE PATTERN", run: (*shell).listTables},
		{name: "timer", args: "on|off", help: "Print the run time of each statement", run: func(s *shell, a []string) error { return onOff(a, ".timer", &s.timer) }},
	}
}

// findDot resolves a dot command by its name, an alias, or a unique prefix
// (".mo csv"), as the duckdb CLI accepts.
func findDot(name string) (*dotCommand, error) {
	var found []*dotCommand
	for i := range dotCommands {
		c := &dotCommands[i]
		if c.name == name {
			return c, nil
		}
		for _, a := range c.alias {
			if a == name {
				return c, nil
			}
		}
		if name != "" && strings.HasPrefix(c.name, name) {
			found = append(found, c)
		}
	}
	switch len(found) {
	case 1:
		return found[0], nil
	case 0:
		return nil, fmt.Errorf("unknown command \".%s\": enter .help for the list", name)
	}
	names := make([]string, len(found))
	for i, c := range found {
		names[i] = "." + c.name
	}
	return nil, fmt.Errorf("\".%s\" is ambiguous: it could be %s", name, strings.Join(names, ", "))
}

// dot runs a dot command line.
func (s *shell) dot(line string) error {
	fields, err := splitDotArgs(strings.TrimSpace(line))
	if err != nil {
		return err
	}
	c, err := findDot(strings.TrimPrefix(fields[0], "."))
	if err != nil {
		return err
	}
	if armed := s.outFile; s.once {
		// A .once given before this command is for this command only, unless the
		// command arms another (.once, .excel).
		defer func() {
			if s.once && s.outFile == armed {
				s.endOnce()
			}
		}()
	}
	return c.run(s, fields[1:])
}

// splitDotArgs splits a dot command line on spaces, keeping quoted arguments
// ('a b' or "a b") together, as the duckdb CLI does.
func splitDotArgs(line string) ([]string, error) {
	var out []string
	var cur strings.Builder
	inArg := false
	var quote byte
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			} else {
				cur.WriteByte(c)
			}
		case c == '\'' || c == '"':
			quote, inArg = c, true
		case c == ' ' || c == '\t':
			if inArg {
				out = append(out, cur.String())
				cur.Reset()
				inArg = false
			}
		default:
			cur.WriteByte(c)
			inArg = true
		}
	}
	if quote != 0 {
		return nil, fmt.Errorf("unclosed %c quote in %q", quote, line)
	}
	if inArg {
		out = append(out, cur.String())
	}
	if len(out) == 0 {
		return nil, errors.New("empty dot command: enter .help for the list")
	}
	return out, nil
}

func onOff(args []string, name string, v *bool) error {
	if len(args) != 1 {
		return fmt.Errorf("usage: %s on|off", name)
	}
	switch strings.ToLower(args[0]) {
	case "on", "1", "true", "yes":
		*v = true
	case "off", "0", "false", "no":
		*v = false
	default:
		return fmt.Errorf("usage: %s on|off, not %q", name, args[0])
	}
	return nil
}

func (s *shell) dotBail(args []string) error {
	var on bool
	if err := onOff(args, ".bail", &on); err != nil {
		return err
	}
	s.bail = bailOff
	if on {
		s.bail = bailOn
	}
	return nil
}

func (s *shell) dotCd(args []string) error {
	if len(args) != 1 {
		return errors.New("usage: .cd DIRECTORY")
	}
	if err := os.Chdir(args[0]); err != nil {
		return fmt.Errorf("cannot change to %s: %w", args[0], err)
	}
	return nil
}

func (s *shell) dotDatabases([]string) error {
	rows, err := s.conn.QueryContext(context.Background(),
		"SELECT database_name, path FROM duckdb_databases() WHERE NOT internal ORDER BY database_oid")
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var name string
		var path sql.NullString
		if err := rows.Scan(&name, &path); err != nil {
			return err
		}
		line := name + ":"
		if path.Valid && path.String != "" {
			line += " " + path.String
		}
		fmt.Fprintln(s.out, line)
	}
	return rows.Err()
}

func (s *shell) dotExit(args []string) error {
	if len(args) == 0 {
		return errQuit
	}
	code, err := strconv.Atoi(args[0])
	if err != nil || len(args) > 1 {
		return fmt.Errorf("usage: .exit ?CODE?, where CODE is a number, not %q", strings.Join(args, " "))
	}
	return &quitError{code: code}
}

func (s *shell) dotHelp(args []string) error {
	var b strings.Builder
	for _, c := range dotCommands {
		if len(args) > 0 && !strings.Contains(c.name, strings.TrimPrefix(args[0], ".")) {
			continue
		}
		left := "." + c.name
		if c.args != "" {
			left += " " + c.args
		}
		fmt.Fprintf(&b, "%-22s %s\n", left, c.help)
	}
	if len(args) == 0 {
		b.WriteString(helpFooter)
	} else if b.Len() == 0 {
		return fmt.Errorf("no command matches %q: .help lists them all", args[0])
	}
	_, err := io.WriteString(s.out, b.String())
	return err
}

const helpFooter = `
SQL statements end with ';' and may span lines. Tab completes keywords, tables,
columns, functions and file names. Up at the continuation prompt brings the lines
already entered back for editing; history keeps statements with their line breaks
(shown as ↵). Ctrl-C cancels a running statement or clears the line; Ctrl-D exits,
running a statement left without its ';' first. Commands may be shortened to a unique prefix (.mo csv).
ml_predict('task', 'table') runs a task's ONNX model over a table.
`

func (s *shell) dotLast([]string) error {
	if s.last == nil {
		return errors.New("no result to show again: .last shows the previous query's result (up to a million values)")
	}
	rows := s.last.rows
	i := 0
	o := s.renderOpts()
	o.maxRows, o.width = 0, 0
	return render(s.out, s.mode, s.last.cols, func() ([]cell, error) {
		if i >= len(rows) {
			return nil, io.EOF
		}
		i++
		return rows[i-1], nil
	}, o)
}

func (s *shell) dotMaxRows(args []string) error {
	if len(args) != 1 {
		return errors.New("usage: .maxrows COUNT")
	}
	n, err := strconv.Atoi(args[0])
	if err != nil {
		return fmt.Errorf("usage: .maxrows COUNT, where COUNT is a number, not %q", args[0])
	}
	s.ropts.maxRows = max(n, 0)
	return nil
}

func (s *shell) dotMaxWidth(args []string) error {
	if len(args) != 1 {
		return errors.New("usage: .maxwidth COUNT")
	}
	n, err := strconv.Atoi(args[0])
	if err != nil || n < 0 {
		return fmt.Errorf("usage: .maxwidth COUNT, where COUNT is 0 or more, not %q", args[0])
	}
	s.maxWidth = n
	return nil
}

func (s *shell) dotMode(args []string) error {
	if len(args) == 0 {
		_, err := fmt.Fprintf(s.out, "current output mode: %s\n", s.mode)
		return err
	}
	m, ok := normalizeMode(args[0])
	if !ok {
		return fmt.Errorf("unknown mode %q: use one of %s", args[0], strings.Join(modeNames, ", "))
	}
	if len(args) > 1 && m != modeInsert {
		return errors.New("a TABLE argument goes only with .mode insert")
	}
	s.setMode(m)
	if len(args) > 1 {
		s.ropts.table = args[1]
	}
	return nil
}

// setMode switches the output mode, setting the separators each mode implies,
// as the duckdb CLI's .mode does.
func (s *shell) setMode(m string) {
	s.mode = m
	switch m {
	case modeLine, modeColumn:
		s.ropts.rowSep = "\n"
	case modeList:
		s.ropts.colSep, s.ropts.rowSep = "|", "\n"
	case modeCSV:
		s.ropts.colSep, s.ropts.rowSep = ",", "\r\n"
	case modeTabs:
		s.ropts.colSep = "\t"
	case modeQuote:
		s.ropts.colSep, s.ropts.rowSep = ",", "\n"
	case modeASCII:
		s.ropts.colSep, s.ropts.rowSep = "\x1f", "\x1e"
	case modeInsert:
		s.ropts.table = "table"
	}
}

func (s *shell) dotNullValue(args []string) error {
	if len(args) != 1 {
		return errors.New("usage: .nullvalue STRING")
	}
	s.ropts.nullValue = args[0]
	return nil
}

func (s *shell) dotSeparator(args []string) error {
	if len(args) < 1 || len(args) > 2 {
		return errors.New("usage: .separator COL ?ROW?")
	}
	s.ropts.colSep = unescapeSep(args[0])
	if len(args) == 2 {
		s.ropts.rowSep = unescapeSep(args[1])
	}
	return nil
}

// unescapeSep reads \t, \n, \r and \\ in a separator, as the duckdb CLI does.
func unescapeSep(s string) string {
	return strings.NewReplacer(`\t`, "\t", `\n`, "\n", `\r`, "\r", `\\`, `\`).Replace(s)
}

func (s *shell) dotOnce(args []string) error {
	if len(args) != 1 {
		return errors.New("usage: .once FILE")
	}
	if err := s.setOutput(args, true); err != nil {
		return err
	}
	return nil
}

// dotExcel writes the next result as CSV to a temporary file and opens it.
func (s *shell) dotExcel([]string) error {
	f, err := os.CreateTemp("", "duckinfer-*.csv")
	if err != nil {
		return fmt.Errorf("creating a temporary file for .excel: %w", err)
	}
	f.Close()
	if err := s.setOutput([]string{f.Name()}, true); err != nil {
		return err
	}
	s.onceOpen = f.Name()
	s.onceMode = s.mode
	s.onceSep = [2]string{s.ropts.colSep, s.ropts.rowSep}
	s.setMode(modeCSV)
	return nil
}

// endOnce closes a .once/.excel file after the command it was for, restores the
// mode .excel changed, and opens the .excel file.
func (s *shell) endOnce() {
	if !s.once {
		return
	}
	_ = s.setOutput(nil, false)
	if s.onceOpen == "" {
		return
	}
	path := s.onceOpen
	s.onceOpen = ""
	s.mode = s.onceMode
	s.ropts.colSep, s.ropts.rowSep = s.onceSep[0], s.onceSep[1]
	opener := os.Getenv("DUCKINFER_OPEN")
	if opener == "" {
		opener = "xdg-open"
		if runtime.GOOS == "darwin" {
			opener = "open"
		}
	}
	cmd := exec.Command(opener, path)
	cmd.Stdout, cmd.Stderr = s.stdout, s.stderr
	if err := cmd.Run(); err != nil {
		s.printError(fmt.Errorf("opening %s with %s: %w; the result is in that file", path, opener, err))
	}
}

func (s *shell) setOutput(args []string, once bool) error {
	if len(args) > 1 {
		return errors.New("usage: .output [FILE]")
	}
	if s.outFile != nil {
		err := s.outFile.Close()
		s.outFile, s.out, s.once = nil, s.stdout, false
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
	s.outFile, s.out, s.once = f, f, once
	return nil
}

func (s *shell) dotOpen(args []string) error {
	if len(args) > 1 {
		return errors.New("usage: .open ?FILE?")
	}
	if s.reopen == nil {
		return errors.New(".open is not available here")
	}
	path := ""
	if len(args) == 1 {
		path = args[0]
	}
	return s.reopen(path)
}

func (s *shell) dotPrompt(args []string) error {
	if len(args) < 1 || len(args) > 2 {
		return errors.New("usage: .prompt MAIN ?CONTINUE?")
	}
	s.prompts[0] = args[0]
	if len(args) == 2 {
		s.prompts[1] = args[1]
	}
	return nil
}

func (s *shell) dotRead(args []string) error {
	if len(args) != 1 {
		return errors.New("usage: .read FILE")
	}
	failed, err := s.runFile(args[0])
	if err == nil && failed > 0 {
		return fmt.Errorf("%d statements in %s failed", failed, args[0])
	}
	return err
}

func (s *shell) dotShell(args []string) error {
	if len(args) == 0 {
		return errors.New("usage: .shell CMD ARGS...")
	}
	cmd := exec.Command("/bin/sh", "-c", strings.Join(args, " "))
	cmd.Stdout, cmd.Stderr = s.out, s.stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("running %q: %w", strings.Join(args, " "), err)
	}
	return nil
}

// listTables prints table and view names in columns, like the duckdb CLI.
func (s *shell) listTables(args []string) error {
	// A table of another attached database is named with its database: bare, it
	// would read as one of the current database's. LIKE escapes with '\' (under\_%).
	q := `SELECT CASE WHEN database_name NOT IN (current_database(), 'temp') THEN database_name || '.' ELSE '' END
			|| CASE WHEN schema_name = 'main' THEN name ELSE schema_name || '.' || name END FROM (
		SELECT database_name, schema_name, table_name AS name FROM duckdb_tables() WHERE NOT internal
		UNION ALL SELECT database_name, schema_name, view_name FROM duckdb_views() WHERE NOT internal
	) WHERE ? = '' OR name LIKE ? ESCAPE '\' ORDER BY 1`
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

// dotNames lists ".name" of every dot command, sorted, for completion.
func dotNames() []string {
	out := make([]string, len(dotCommands))
	for i, c := range dotCommands {
		out[i] = "." + c.name
	}
	sort.Strings(out)
	return out
}
