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

// interactive is the prompt loop: line editing, tab completion, history kept in
// ~/.duckinfer_history, statements that span lines until ';', dot commands at the
// start of a statement. It returns the exit status .exit asked for.
func (s *shell) interactive(stdin *os.File, where string) (int, error) {
	histFile := ""
	if home, err := os.UserHomeDir(); err == nil {
		histFile = filepath.Join(home, historyName)
	}
	// The prompt goes where the person looks: stderr if stdout is redirected.
	promptOut := io.Writer(s.stdout)
	if !s.outTerm {
		promptOut = s.stderr
	}
	comp := &completer{s: s}
	rl, err := readline.NewEx(&readline.Config{
		Prompt:       s.prompts[0],
		HistoryFile:  histFile,
		HistoryLimit: 10000,
		// Multi-line statements are saved once complete, as one entry.
		DisableAutoSaveHistory: true,
		HistorySearchFold:      true,
		AutoComplete:           comp,
		InterruptPrompt:        "^C",
		EOFPrompt:              "",
		Stdin:                  stdin,
		Stdout:                 promptOut,
		Stderr:                 s.stderr,
		FuncIsTerminal:         func() bool { return true },
	})
	if err != nil {
		return 1, fmt.Errorf("starting line editor: %w", err)
	}
	defer rl.Close()

	fmt.Fprintf(s.stdout, "duckinfer %s (DuckDB %s)\nEnter \".help\" for usage hints.\nConnected to %s.\n",
		programVersion(), duckdbVersion(context.Background(), s.conn), where)

	var pending strings.Builder
	for {
		if sqlIsBlank(pending.String()) {
			pending.Reset()
			rl.SetPrompt(s.prompts[0])
		} else {
			rl.SetPrompt(s.prompts[1])
		}
		comp.pending = pending.String()
		line, err := rl.Readline()
		switch {
		case errors.Is(err, readline.ErrInterrupt):
			// Ctrl-C at the prompt drops the line and any unfinished statement.
			pending.Reset()
			continue
		case errors.Is(err, io.EOF):
			return 0, nil
		case err != nil:
			return 1, fmt.Errorf("reading input: %w", err)
		}

		if pending.Len() == 0 && isDotCommand(line) {
			_ = rl.SaveHistory(strings.TrimSpace(line))
			if err := s.dot(line); err != nil {
				if code, ok := quitCode(err); ok {
					return code, nil
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
