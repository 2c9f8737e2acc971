package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/chzyer/readline"
)

const (
	prompt         = "D "
	continuePrompt = "· "
	historyName    = ".duckinfer_history"
)

// interactive is the prompt loop: line editing, history kept in ~/.duckinfer_history,
// statements that span lines until ';', dot commands at the start of a statement.
func (s *shell) interactive(stdin *os.File, o *options) error {
	histFile := ""
	if home, err := os.UserHomeDir(); err == nil {
		histFile = filepath.Join(home, historyName)
	}
	// The prompt goes where the person looks: stderr if stdout is redirected.
	promptOut := io.Writer(s.stdout)
	if !s.outTerm {
		promptOut = s.stderr
	}
	rl, err := readline.NewEx(&readline.Config{
		Prompt:       prompt,
		HistoryFile:  histFile,
		HistoryLimit: 10000,
		// Multi-line statements are saved once complete, as one entry.
		DisableAutoSaveHistory: true,
		HistorySearchFold:      true,
		InterruptPrompt:        "^C",
		EOFPrompt:              "",
		Stdin:                  stdin,
		Stdout:                 promptOut,
		Stderr:                 s.stderr,
		FuncIsTerminal:         func() bool { return true },
	})
	if err != nil {
		return fmt.Errorf("starting line editor: %w", err)
	}
	defer rl.Close()

	where := "a transient in-memory database"
	if o.dbFile != "" && o.dbFile != ":memory:" {
		where = o.dbFile
	}
	fmt.Fprintf(s.stdout, "duckinfer %s (DuckDB %s)\nEnter \".help\" for usage hints.\nConnected to %s.\n",
		programVersion(), duckdbVersion(context.Background(), s.conn), where)

	var pending strings.Builder
	for {
		if sqlIsBlank(pending.String()) {
			pending.Reset()
			rl.SetPrompt(prompt)
		} else {
			rl.SetPrompt(continuePrompt)
		}
		line, err := rl.Readline()
		switch {
		case errors.Is(err, readline.ErrInterrupt):
			// Ctrl-C at the prompt drops the line and any unfinished statement.
			pending.Reset()
			continue
		case errors.Is(err, io.EOF):
			return nil
		case err != nil:
			return fmt.Errorf("reading input: %w", err)
		}

		if pending.Len() == 0 && isDotCommand(line) {
			_ = rl.SaveHistory(strings.TrimSpace(line))
			if err := s.dot(line); err != nil {
				if errors.Is(err, errQuit) {
					return nil
				}
				s.printError(err)
			}
			continue
		}
		pending.WriteString(line)
		pending.WriteByte('\n')
		stmts, rest := scanStatements(pending.String())
		if len(stmts) == 0 {
			continue
		}
		// One history entry per finished input, on one line so the file stays
		// one entry per line.
		if entry := strings.TrimSpace(strings.ReplaceAll(strings.Join(stmts, ""), "\n", " ")); entry != "" {
			_ = rl.SaveHistory(entry)
		}
		for _, st := range stmts {
			if err := s.execute(st); err != nil {
				s.printError(err)
				break
			}
		}
		pending.Reset()
		pending.WriteString(rest)
	}
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
