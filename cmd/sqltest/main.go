// Command sqltest runs sqllogictest (.test) files against duckinfer: each file on a
// fresh in-memory database from extension.Open, so files cannot leak state into
// each other.
//
//	go run ./cmd/sqltest [-models DIR] FILE...
//
// Exit status: 0 all passed, 1 some failed, 2 usage or parse errors.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/duckinfer/duckinfer/extension"
	"github.com/duckinfer/duckinfer/internal/sqltest"
)

// dirs collects repeated -models flags; a comma list works too.
type dirs []string

func (d *dirs) String() string { return strings.Join(*d, ",") }

func (d *dirs) Set(v string) error {
	for _, p := range strings.Split(v, ",") {
		if p != "" {
			*d = append(*d, p)
		}
	}
	return nil
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("sqltest", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var models dirs
	fs.Var(&models, "models", "folder of user tasks (sub-folders with model.onnx + task.json); repeatable")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: sqltest [-models DIR] FILE...")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return 2
	}
	var opts []extension.Option
	if len(models) > 0 {
		opts = append(opts, extension.WithTaskDirs(models...))
	}

	ctx := context.Background()
	var passed, failed, skipped int
	usageErr := false
	for _, path := range fs.Args() {
		s, err := sqltest.ParseFile(path)
		if err != nil {
			fmt.Fprintf(stdout, "FAIL %s\n  %v\n", path, err)
			failed++
			usageErr = true
			continue
		}
		res, err := runFile(ctx, s, opts)
		if err != nil {
			// The database cannot open (a bad -models folder, say): every file
			// would fail the same way, so this is a usage error, not a test result.
			fmt.Fprintf(stdout, "FAIL %s\n  %v\n", path, err)
			failed++
			usageErr = true
			break
		}
		switch {
		case res.Failed():
			failed++
			fmt.Fprintf(stdout, "FAIL %s\n%s", path, res.Report())
		case res.SkipReason != "" && res.Run == 0:
			skipped++
			fmt.Fprintf(stdout, "SKIP %s (%s)\n", path, res.SkipReason)
		default:
			passed++
			fmt.Fprintf(stdout, "PASS %s (%d records", path, res.Run)
			if res.Skipped > 0 {
				fmt.Fprintf(stdout, ", %d skipped", res.Skipped)
			}
			fmt.Fprintln(stdout, ")")
		}
	}
	summary := fmt.Sprintf("%d passed, %d failed", passed, failed)
	if skipped > 0 {
		summary += fmt.Sprintf(", %d skipped", skipped)
	}
	fmt.Fprintln(stdout, summary)
	switch {
	case usageErr:
		return 2
	case failed > 0:
		return 1
	}
	return 0
}

// runFile gives the script its own in-memory database, closed before the next file.
func runFile(ctx context.Context, s *sqltest.Script, opts []extension.Option) (sqltest.Result, error) {
	db, err := extension.Open("", opts...)
	if err != nil {
		return sqltest.Result{}, fmt.Errorf("opening database: %w", err)
	}
	defer db.Close()
	return sqltest.Run(ctx, db, s), nil
}
