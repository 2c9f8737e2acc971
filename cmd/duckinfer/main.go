// Command duckinfer is a DuckDB shell whose database has duckinfer's ml_predict and
// friends: `duckinfer [flags] [DBFILE]`, used like the duckdb CLI.
package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"

	"github.com/chzyer/readline"

	"github.com/duckinfer/duckinfer/extension"
	"github.com/duckinfer/duckinfer/internal/sqlgen"
)

// version is set at release time with -ldflags "-X main.version=...".
var version = ""

type options struct {
	dbFile   string
	readonly bool
	models   []string
	version  bool
	help     bool
	init     string // -init FILE; "" with initSet false: ~/.duckinferrc
	initSet  bool
	noInit   bool
	steps    []step // mode flags and commands, applied in the order given
	batch    bool   // -c, -s or -f given: exit after them instead of reading stdin
}

// step is one order-sensitive flag: "-csv -c A -json -c B" prints A as CSV and B
// as JSON, as the duckdb CLI processes its arguments in order.
type step struct {
	flag string
	arg  string
}

// flagSpec is one command-line flag; -help lists them in this order.
type flagSpec struct {
	name string
	arg  string // the argument's name; "" for a switch
	help string
}

var flagSpecs = []flagSpec{
	{"ascii", "", "set output mode to 'ascii'"},
	{"bail", "", "stop after hitting an error"},
	{"box", "", "set output mode to 'box'"},
	{"c", "COMMAND", "run COMMAND (SQL or a dot command) and exit"},
	{"cmd", "COMMAND", "run COMMAND before reading stdin"},
	{"column", "", "set output mode to 'column'"},
	{"csv", "", "set output mode to 'csv'"},
	{"duckbox", "", "set output mode to 'duckbox' (the default)"},
	{"echo", "", "print commands before execution"},
	{"f", "FILE", "run the SQL and dot commands in FILE and exit"},
	{"header", "", "turn headers on"},
	{"help", "", "show this message"},
	{"html", "", "set output mode to HTML"},
	{"init", "FILE", "read FILE at start instead of ~/.duckinferrc (-init /dev/null: nothing)"},
	{"insert", "", "set output mode to 'insert'"},
	{"json", "", "set output mode to 'json'"},
	{"jsonlines", "", "set output mode to 'jsonlines'"},
	{"line", "", "set output mode to 'line'"},
	{"list", "", "set output mode to 'list'"},
	{"markdown", "", "set output mode to 'markdown'"},
	{"models", "DIR", "extra task DIRs (sub-folders with model.onnx + task.json); repeatable or comma-separated"},
	{"newline", "SEP", "set the output row separator (default '\\n')"},
	{"no-init", "", "do not read ~/.duckinferrc"},
	{"noheader", "", "turn headers off"},
	{"nullvalue", "TEXT", "set the text shown for NULL values (default 'NULL')"},
	{"quote", "", "set output mode to 'quote'"},
	{"readonly", "", "open DBFILE read-only"},
	{"s", "COMMAND", "run COMMAND and exit (same as -c)"},
	{"separator", "SEP", "set the output column separator (default '|')"},
	{"table", "", "set output mode to 'table'"},
	{"tabs", "", "set output mode to 'tabs'"},
	{"version", "", "print the versions and exit"},
}

const usageHead = `usage: duckinfer [OPTIONS] [DBFILE [SQL]]

Runs SQL on a DuckDB database with ml_predict('task', 'table').
Without DBFILE the database is in memory. DBFILE is a file path, taken literally:
a '?' in it is part of the name, as with the duckdb CLI. Options may come before
or after DBFILE and are applied in order, so "-csv -c A -json -c B" prints A as
CSV and B as JSON. At start, ~/.duckinferrc is read (not ~/.duckdbrc, whose dot
commands are the duckdb CLI's), unless -init or -no-init says otherwise.

OPTIONS:
`

func usage() string {
	var b strings.Builder
	b.WriteString(usageHead)
	for _, f := range flagSpecs {
		left := "-" + f.name
		if f.arg != "" {
			left += " " + f.arg
		}
		fmt.Fprintf(&b, "  %-20s %s\n", left, f.help)
	}
	b.WriteString("\nDOT COMMANDS (at the prompt, in scripts and in -c/-cmd):\n")
	for _, c := range dotCommands {
		left := "." + c.name
		if c.args != "" {
			left += " " + c.args
		}
		fmt.Fprintf(&b, "  %-22s %s\n", left, c.help)
	}
	return b.String()
}

func main() {
	if code, ok := subcommand(os.Args[1:], os.Stdout, os.Stderr); ok {
		os.Exit(code) // run, verify: batch jobs (run.go)
	}
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// parseArgs reads the command line. Flags start with - or --; a flag's argument
// follows it, or is joined to it with '='.
func parseArgs(args []string) (*options, error) {
	o := &options{}
	var positional []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "-") || a == "-" {
			positional = append(positional, a)
			continue
		}
		name := strings.TrimLeft(a, "-")
		val, hasVal := "", false
		if eq := strings.IndexByte(name, '='); eq >= 0 {
			name, val, hasVal = name[:eq], name[eq+1:], true
		}
		var spec *flagSpec
		for j := range flagSpecs {
			if flagSpecs[j].name == name {
				spec = &flagSpecs[j]
			}
		}
		if spec == nil {
			if name == "h" {
				o.help = true
				continue
			}
			return nil, fmt.Errorf("unknown option %q: -help lists them", a)
		}
		if spec.arg != "" && !hasVal {
			if i+1 >= len(args) {
				return nil, fmt.Errorf("option -%s needs an argument (%s)", name, spec.arg)
			}
			i++
			val = args[i]
		} else if spec.arg == "" && hasVal {
			return nil, fmt.Errorf("option -%s takes no argument", name)
		}
		switch name {
		case "readonly":
			o.readonly = true
		case "models":
			for _, p := range strings.Split(val, ",") {
				if p = strings.TrimSpace(p); p != "" {
					o.models = append(o.models, p)
				}
			}
		case "version":
			o.version = true
		case "help":
			o.help = true
		case "init":
			o.init, o.initSet = val, true
		case "no-init":
			o.noInit = true
		default:
			if name == "c" || name == "s" || name == "f" {
				o.batch = true
			}
			o.steps = append(o.steps, step{flag: name, arg: val})
		}
	}
	switch len(positional) {
	case 0:
	case 1:
		o.dbFile = positional[0]
	case 2:
		// duckdb DBFILE "SQL" runs SQL like -c.
		o.dbFile = positional[0]
		o.steps = append(o.steps, step{flag: "c", arg: positional[1]})
		o.batch = true
	default:
		return nil, fmt.Errorf("too many arguments %q: expected [DBFILE [SQL]]", positional)
	}
	return o, nil
}

// applyFlag applies a mode or display flag to the session.
func (s *shell) applyFlag(st step) {
	switch st.flag {
	case "bail":
		s.bail = bailOn
	case "echo":
		s.echo = true
	case "header":
		s.ropts.header = true
	case "noheader":
		s.ropts.header = false
	case "nullvalue":
		s.ropts.nullValue = st.arg
	case "separator":
		s.ropts.colSep = unescapeSep(st.arg)
	case "newline":
		s.ropts.rowSep = unescapeSep(st.arg)
	case "csv":
		// -csv keeps the row separator, unlike .mode csv (as in the duckdb CLI).
		s.mode, s.ropts.colSep = modeCSV, ","
	default:
		s.setMode(st.flag)
	}
}

// run is main without os.Exit, returning the exit status.
func run(args []string, stdin *os.File, stdout, stderr *os.File) int {
	o, err := parseArgs(args)
	if err != nil {
		printError(stderr, err)
		return 2
	}
	if o.help {
		fmt.Fprint(stdout, usage())
		return 0
	}

	ctx := context.Background()
	db, connector, conn, err := openDB(ctx, o.dbFile, o.readonly, o.models)
	if err != nil {
		printError(stderr, err)
		return 1
	}
	closeDB := func() { conn.Close(); db.Close() }
	defer func() { closeDB() }()

	if o.version {
		fmt.Fprintf(stdout, "duckinfer %s (DuckDB %s)\n", programVersion(), duckdbVersion(ctx, conn))
		return 0
	}

	stdinTerm := readline.IsTerminal(int(stdin.Fd()))
	stdoutTerm := readline.IsTerminal(int(stdout.Fd()))
	stderrTerm := readline.IsTerminal(int(stderr.Fd()))
	s := newShell(conn, stdout, stderr)
	s.outTerm = stdoutTerm
	s.termSize = func() int {
		w, _, err := readline.GetSize(int(stdout.Fd()))
		if err != nil || w <= 0 {
			return 80
		}
		return w
	}
	defer s.setOutput(nil, false) // closes an .output file

	// The bar goes to stderr and only when both streams are terminals, so that
	// redirected or piped output never receives terminal control sequences.
	newProgress := func(c *sql.Conn, conn *extension.Connector) *progressBar {
		if !stdoutTerm || !stderrTerm {
			return nil
		}
		return &progressBar{
			w:        stderr,
			width:    s.termSize,
			source:   newQueryProgress(ctx, c),
			inferred: func() uint64 { return conn.Stats().RowsInferred },
			delay:    time.Second,
			interval: 200 * time.Millisecond,
		}
	}
	s.progress = newProgress(conn, connector)
	where := "a transient in-memory database"
	if o.dbFile != "" && o.dbFile != ":memory:" {
		where = o.dbFile
	}
	curPath, curReadonly := o.dbFile, o.readonly
	use := func(ndb *sql.DB, nconnector *extension.Connector, nconn *sql.Conn) {
		db, conn = ndb, nconn
		s.conn = nconn
		s.progress = newProgress(nconn, nconnector)
	}
	s.reopen = func(path string) error {
		// The open database is closed first: DuckDB has one instance per file in a
		// process, so the file open now could not be opened again beside itself (.open
		// of the same file, or of it read-write after -readonly).
		closeDB()
		ndb, nconnector, nconn, err := openDB(ctx, path, false, o.models)
		if err == nil {
			use(ndb, nconnector, nconn)
			curPath, curReadonly = path, false
			return nil
		}
		// Back to the database that was open, so that the session goes on.
		odb, oconnector, oconn, oerr := openDB(ctx, curPath, curReadonly, o.models)
		if oerr != nil {
			if odb, oconnector, oconn, oerr = openDB(ctx, "", false, o.models); oerr != nil {
				return fmt.Errorf("%w; no database is open now (%v): .open one", err, oerr)
			}
			err = fmt.Errorf("%w; the database that was open could not be opened again, so this is a transient in-memory database", err)
			curPath, curReadonly = "", false
		}
		use(odb, oconnector, oconn)
		return err
	}

	interactive := !o.batch && stdinTerm
	// Ctrl-C cancels the running statement. Outside a statement it clears the line
	// (readline handles that in raw mode) or, in a script, ends the program.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt)
	defer signal.Stop(sigs)
	go func() {
		for range sigs {
			if !s.interrupt() && !interactive {
				os.Exit(130)
			}
		}
	}()

	// finish turns a command's outcome into the exit status.
	finish := func(err error) (int, bool) {
		if code, ok := quitCode(err); ok {
			return code, true
		}
		if err != nil {
			printError(stderr, err)
			return 1, true
		}
		return 0, false
	}

	// The init file: -init FILE, else ~/.duckinferrc if there is one.
	if !o.noInit {
		path := o.init
		if !o.initSet {
			if home, err := os.UserHomeDir(); err == nil {
				if p := filepath.Join(home, ".duckinferrc"); isFile(p) {
					path = p
				}
			}
		}
		if path != "" {
			failed, err := s.runFile(path)
			if err == nil && failed > 0 {
				err = fmt.Errorf("%d statements in the init file %s failed", failed, path)
			}
			if code, done := finish(err); done {
				if code != 0 && err != nil {
					if _, ok := quitCode(err); !ok {
						fmt.Fprintf(stderr, "Error: stopped because the init file %s failed; fix it, or start with -no-init\n", path)
					}
				}
				return code
			}
		}
	}

	failures := 0
	for _, st := range o.steps {
		var err error
		var failed int
		switch st.flag {
		case "c", "s", "cmd":
			failed, err = s.runText(st.arg)
			failures += failed
		case "f":
			failed, err = s.runFile(st.arg)
			failures += failed
		default:
			s.applyFlag(st)
			continue
		}
		if code, done := finish(err); done {
			return code
		}
	}
	if o.batch {
		if failures > 0 {
			return 1
		}
		return 0
	}
	if interactive {
		code, err := s.interactive(stdin, where)
		if err != nil {
			printError(stderr, err)
			return 1
		}
		return code
	}
	failed, err := s.runScript(stdin, false)
	if code, done := finish(err); done {
		return code
	}
	if failed > 0 {
		return 1
	}
	return 0
}

func isFile(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir()
}

// openDB opens DBFILE as a file path, as the duckdb CLI does, and returns the
// session's connection.
//
// duckdb-go takes a DSN, not a path: NewConnector cuts the path at the first '?' and
// reads the rest as options (and url.Parse must accept the whole), with no way to
// escape either. Handing it DBFILE as is would let "x.duckdb?access_mode=read_write"
// undo -readonly and would open the wrong file for a name containing '?'. So only a
// path that duckdb-go reads back unchanged goes into the DSN; any other is ATTACHed
// to an in-memory instance, where DuckDB takes the path literally (see attachFile).
func openDB(ctx context.Context, dbFile string, readonly bool, models []string) (*sql.DB, *extension.Connector, *sql.Conn, error) {
	path := dbFile
	if path == ":memory:" {
		path = ""
	}
	if readonly && path == "" {
		return nil, nil, nil, errors.New("-readonly needs a DBFILE: an in-memory database cannot be read-only")
	}
	dsn, attach := path, ""
	if !dsnKeepsPath(path) {
		dsn, attach = "", path
	} else if readonly {
		dsn += "?access_mode=read_only"
	}
	where := "an in-memory database"
	if path != "" {
		where = path
	}
	var opts []extension.Option
	if len(models) > 0 {
		opts = append(opts, extension.WithTaskDirs(models...))
	}
	c, err := extension.NewConnector(dsn, opts...)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("opening %s: %w", where, err)
	}
	db := sql.OpenDB(c)
	conn, err := db.Conn(ctx)
	if err != nil {
		db.Close()
		return nil, nil, nil, fmt.Errorf("connecting to %s: %w", where, err)
	}
	if attach != "" {
		if err := attachFile(ctx, conn, attach, readonly); err != nil {
			conn.Close()
			db.Close()
			return nil, nil, nil, fmt.Errorf("opening %s: %w", where, err)
		}
	}
	return db, c, conn, nil
}

// dsnKeepsPath reports whether duckdb-go opens path, given as its DSN, as exactly
// that file with no options.
func dsnKeepsPath(path string) bool {
	if strings.Contains(path, "?") {
		return false
	}
	_, err := url.Parse(path)
	return err == nil
}

// attachFile makes the file at path the session's only database: ATTACH opens it
// under the name a direct open would give it, USE makes it the default, and the
// empty in-memory database the instance started with is detached, so that the
// session looks as if the file had been opened directly. A file whose name takes the
// name of duckinfer's catalog (duckinfer.duckdb) goes without the catalog form, as in
// a direct open (udf.AttachCatalog).
func attachFile(ctx context.Context, conn *sql.Conn, path string, readonly bool) error {
	stmt := "ATTACH " + sqlString(path)
	if readonly {
		stmt += " (READ_ONLY)"
	}
	before, err := databaseNames(ctx, conn)
	if err != nil {
		return err
	}
	if _, err := conn.ExecContext(ctx, stmt); err != nil {
		if !before[sqlgen.Catalog] {
			return err
		}
		if _, derr := conn.ExecContext(ctx, "DETACH "+sqlgen.Catalog); derr != nil {
			return err
		}
		delete(before, sqlgen.Catalog)
		if _, err := conn.ExecContext(ctx, stmt); err != nil {
			return err
		}
	}
	after, err := databaseNames(ctx, conn)
	if err != nil {
		return err
	}
	var name string
	for n := range after {
		if !before[n] {
			name = n
		}
	}
	if name == "" {
		return fmt.Errorf("finding the attached database %s among %v", path, after)
	}
	if _, err := conn.ExecContext(ctx, "USE "+sqlIdent(name)); err != nil {
		return err
	}
	if _, err := conn.ExecContext(ctx, "DETACH memory"); err != nil {
		return fmt.Errorf("detaching the in-memory database: %w", err)
	}
	return nil
}

// databaseNames returns the names of the databases attached now (not DuckDB's own).
func databaseNames(ctx context.Context, conn *sql.Conn) (map[string]bool, error) {
	rows, err := conn.QueryContext(ctx, "SELECT database_name FROM duckdb_databases() WHERE NOT internal")
	if err != nil {
		return nil, fmt.Errorf("listing the databases: %w", err)
	}
	defer rows.Close()
	names := map[string]bool{}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, fmt.Errorf("listing the databases: %w", err)
		}
		names[n] = true
	}
	return names, rows.Err()
}

func sqlString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

func sqlIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

func programVersion() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

func duckdbVersion(ctx context.Context, conn *sql.Conn) string {
	var v, src string
	if err := conn.QueryRowContext(ctx, "SELECT library_version, source_id FROM pragma_version()").Scan(&v, &src); err != nil {
		return "unknown"
	}
	return v + " " + src
}
