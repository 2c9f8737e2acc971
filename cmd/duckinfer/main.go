// Command duckinfer is a DuckDB shell whose database has duckinfer's ml_predict and
// friends: `duckinfer [flags] [DBFILE]`, used like the duckdb CLI.
package main

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"time"

	"github.com/chzyer/readline"

	"github.com/duckinfer/duckinfer/extension"
)

// version is set at release time with -ldflags "-X main.version=...".
var version = ""

// listFlag collects a repeatable flag whose values may also be comma lists.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }

func (l *listFlag) Set(v string) error {
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			*l = append(*l, p)
		}
	}
	return nil
}

type options struct {
	command  string
	file     string
	csv      bool
	json     bool
	readonly bool
	models   listFlag
	version  bool
	dbFile   string
}

func main() {
	if code, ok := subcommand(os.Args[1:], os.Stdout, os.Stderr); ok {
		os.Exit(code) // run, verify: batch jobs (run.go)
	}
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func parseArgs(args []string, stderr io.Writer) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("duckinfer", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.command, "c", "", "run `SQL` (statements or one dot command) and exit")
	fs.StringVar(&o.file, "f", "", "run the SQL and dot commands in `FILE` and exit")
	fs.BoolVar(&o.csv, "csv", false, "output results as CSV")
	fs.BoolVar(&o.json, "json", false, "output results as JSON")
	fs.BoolVar(&o.readonly, "readonly", false, "open DBFILE read-only")
	fs.Var(&o.models, "models", "extra task `DIR`s (sub-folders with model.onnx + task.json); repeatable or comma-separated")
	fs.BoolVar(&o.version, "version", false, "print the versions and exit")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: duckinfer [flags] [DBFILE [SQL]]\n\nRuns SQL on a DuckDB database with ml_predict('task', 'table').\nWithout DBFILE the database is in memory. DBFILE is a file path, taken literally:\na '?' in it is part of the name, as with the duckdb CLI.\n\nflags:\n")
		fs.PrintDefaults()
	}
	// Flags may come before or after DBFILE, as with the duckdb CLI.
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			break
		}
		positional = append(positional, fs.Arg(0))
		args = fs.Args()[1:]
	}
	switch len(positional) {
	case 0:
	case 1:
		o.dbFile = positional[0]
	case 2:
		// duckdb DBFILE "SQL" runs SQL like -c.
		if o.command != "" {
			return nil, errors.New("give the SQL either with -c or after DBFILE, not both")
		}
		o.dbFile, o.command = positional[0], positional[1]
	default:
		return nil, fmt.Errorf("too many arguments %q: expected [DBFILE [SQL]]", positional)
	}
	if o.csv && o.json {
		return nil, errors.New("-csv and -json exclude each other: pick one")
	}
	return o, nil
}

// run is main without os.Exit, returning the exit status.
func run(args []string, stdin *os.File, stdout, stderr *os.File) int {
	o, err := parseArgs(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		printError(stderr, err)
		return 2
	}

	ctx := context.Background()
	db, connector, conn, err := openDB(ctx, o)
	if err != nil {
		printError(stderr, err)
		return 1
	}
	defer db.Close()
	defer conn.Close()

	if o.version {
		fmt.Fprintf(stdout, "duckinfer %s (DuckDB %s)\n", programVersion(), duckdbVersion(ctx, conn))
		return 0
	}

	stdinTerm := readline.IsTerminal(int(stdin.Fd()))
	stdoutTerm := readline.IsTerminal(int(stdout.Fd()))
	stderrTerm := readline.IsTerminal(int(stderr.Fd()))
	s := &shell{
		conn:    conn,
		stdout:  stdout,
		stderr:  stderr,
		out:     stdout,
		mode:    modeDuckbox,
		outTerm: stdoutTerm,
		termSize: func() int {
			w, _, err := readline.GetSize(int(stdout.Fd()))
			if err != nil || w <= 0 {
				return 80
			}
			return w
		},
	}
	switch {
	case o.csv:
		s.mode = modeCSV
	case o.json:
		s.mode = modeJSON
	}
	defer s.setOutput(nil) // closes an .output file

	// The bar goes to stderr and only when both streams are terminals, so that
	// redirected or piped output never receives terminal control sequences.
	if stdoutTerm && stderrTerm {
		s.progress = &progressBar{
			w:        stderr,
			width:    s.termSize,
			source:   newQueryProgress(ctx, conn),
			inferred: func() uint64 { return connector.Stats().RowsInferred },
			delay:    time.Second,
			interval: 200 * time.Millisecond,
		}
	}

	interactive := o.command == "" && o.file == "" && stdinTerm
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

	if interactive {
		if err := s.interactive(stdin, o); err != nil {
			printError(stderr, err)
			return 1
		}
		return 0
	}

	fail := func(err error) int {
		if errors.Is(err, errQuit) {
			return 0
		}
		printError(stderr, err)
		return 1
	}
	if o.file != "" {
		f, err := os.Open(o.file)
		if err != nil {
			return fail(fmt.Errorf("cannot read %s: %w; check the path given to -f", o.file, err))
		}
		err = s.runScript(f)
		f.Close()
		if err != nil {
			return fail(err)
		}
	}
	if o.command != "" {
		if err := s.runText(o.command); err != nil {
			return fail(err)
		}
	}
	if o.command == "" && o.file == "" {
		if err := s.runScript(stdin); err != nil {
			return fail(err)
		}
	}
	return 0
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
func openDB(ctx context.Context, o *options) (*sql.DB, *extension.Connector, *sql.Conn, error) {
	path := o.dbFile
	if path == ":memory:" {
		path = ""
	}
	if o.readonly && path == "" {
		return nil, nil, nil, errors.New("-readonly needs a DBFILE: an in-memory database cannot be read-only")
	}
	dsn, attach := path, ""
	if !dsnKeepsPath(path) {
		dsn, attach = "", path
	} else if o.readonly {
		dsn += "?access_mode=read_only"
	}
	where := "an in-memory database"
	if path != "" {
		where = path
	}
	var opts []extension.Option
	if len(o.models) > 0 {
		opts = append(opts, extension.WithTaskDirs(o.models...))
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
		if err := attachFile(ctx, conn, attach, o.readonly); err != nil {
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
// session looks as if the file had been opened directly.
func attachFile(ctx context.Context, conn *sql.Conn, path string, readonly bool) error {
	stmt := "ATTACH " + sqlString(path)
	if readonly {
		stmt += " (READ_ONLY)"
	}
	if _, err := conn.ExecContext(ctx, stmt); err != nil {
		return err
	}
	var name string
	if err := conn.QueryRowContext(ctx,
		"SELECT database_name FROM duckdb_databases() WHERE NOT internal AND database_name <> current_database()",
	).Scan(&name); err != nil {
		return fmt.Errorf("finding the attached database: %w", err)
	}
	if _, err := conn.ExecContext(ctx, "USE "+sqlIdent(name)); err != nil {
		return err
	}
	if _, err := conn.ExecContext(ctx, "DETACH memory"); err != nil {
		return fmt.Errorf("detaching the in-memory database: %w", err)
	}
	return nil
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
