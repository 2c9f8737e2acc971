package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/chzyer/readline"
)

const (
	prompt         = "D "
	continuePrompt = "· "
	historyName    = ".duckinfer_history"
)

// interactive is the prompt loop: line editing, tab completion, syntax
// highlighting, history kept in ~/.duckinfer_history (multi-line statements with
// their line breaks), statements that span lines until ';', dot commands at the
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
	// readline's Close waits for its input loop, which may sit in a read of the
	// terminal until the next key arrives (it reads ahead after every key but Enter
	// and Ctrl-C): after Ctrl-D the shell then hung for good when that read started
	// before Close, which a busy machine made likely (3 exits in 12). A cancelable
	// stdin, closed first, ends that read.
	// The tabReader around it tells the completer a pasted tab from a typed one.
	in := &tabReader{r: readline.NewCancelableStdin(stdin)}
	comp := &completer{s: s, pasted: in.pasted}
	// recalled: a key that brings back a history entry was pressed while this
	// line was edited, so its line-break marks are history's, not typed ones.
	recalled := false
	// At the continuation prompt Up brings the statement's earlier lines back
	// into the buffer (line breaks as marks), where they can be edited: chzyer's
	// buffer is one line, so this is how an entered line becomes editable again.
	// joined tells the loop the buffer now holds the whole statement.
	// mu guards what the listener (run on readline's goroutine, also for keys
	// typed ahead while a query runs) shares with this loop.
	var (
		mu        sync.Mutex
		rl        *readline.Instance
		hl        *highlighter
		joined    bool
		cont      string // the unfinished statement's earlier lines, at a continuation prompt
		lastTyped []rune // the buffer before the key being handled
		// Joining happens after readline's Up has stepped into history; depth
		// counts the steps taken since, so Down back to where Up began brings
		// the whole statement back instead of readline's copy of the last line.
		joinedWhole []rune
		depth       int
	)
	cfg := &readline.Config{
		Prompt:       s.prompts[0],
		HistoryFile:  histFile,
		HistoryLimit: 10000,
		// Multi-line statements are saved once complete, as one entry.
		DisableAutoSaveHistory: true,
		HistorySearchFold:      true,
		AutoComplete:           comp,
		FuncFilterInputRune:    in.filter,
		InterruptPrompt:        "^C",
		EOFPrompt:              "",
		Stdin:                  in,
		Stdout:                 promptOut,
		Stderr:                 s.stderr,
		FuncIsTerminal:         func() bool { return true },
		Listener: readline.FuncListener(func(line []rune, pos int, key rune) ([]rune, int, bool) {
			mu.Lock()
			defer mu.Unlock()
			before := lastTyped
			lastTyped = append(lastTyped[:0:0], line...)
			if key == readline.CharPrev && cont != "" && !joined {
				joined, recalled = true, true
				whole := []rune(strings.ReplaceAll(cont, "\n", lineBreakMark) + string(before))
				cont = ""
				comp.setPending("")
				if hl != nil {
					hl.setPending("")
				}
				rl.SetPrompt(s.prompts[0])
				lastTyped = whole
				joinedWhole, depth = whole, 0
				if string(line) != string(before) { // Up found an entry (else it rang the bell)
					depth = 1
				}
				return whole, len(whole), true
			}
			if joined && (key == readline.CharPrev || key == readline.CharNext) && string(line) != string(before) {
				if key == readline.CharPrev {
					depth++
				} else if depth--; depth <= 0 {
					depth = 0
					lastTyped = joinedWhole
					return joinedWhole, len(joinedWhole), true
				}
			}
			switch key {
			case readline.CharPrev, readline.CharNext, readline.CharBckSearch, readline.CharFwdSearch:
				recalled = true
			}
			return nil, 0, false
		}),
	}
	if colour(promptOut) {
		hl = &highlighter{keywords: s.loadKeywords(false)}
		cfg.Painter = hl
	}
	// The history holds every statement typed, CREATE SECRET's keys included:
	// readable by its owner only, as the duckdb CLI keeps its own. readline
	// creates the file 0666 (less the umask), so it is made first.
	privateFile(histFile)
	var err error
	rl, err = readline.NewEx(cfg)
	if err != nil {
		return 1, fmt.Errorf("starting line editor: %w", err)
	}
	// Past HistoryLimit lines readline rewrites the file through a new one.
	privateFile(histFile)
	defer func() {
		in.Close()
		rl.Close()
	}()

	fmt.Fprintf(s.stdout, "duckinfer %s (DuckDB %s)\nEnter \".help\" for usage hints.\nConnected to %s.\n",
		programVersion(), duckdbVersion(context.Background(), s.conn), where)

	var pending strings.Builder
	for {
		if sqlIsIdle(pending.String()) {
			pending.Reset()
			rl.SetPrompt(s.prompts[0])
		} else {
			rl.SetPrompt(s.prompts[1])
		}
		comp.setPending(pending.String())
		if hl != nil {
			hl.setPending(pending.String())
		}
		mu.Lock()
		recalled, joined, lastTyped = false, false, nil
		joinedWhole, depth = nil, 0
		cont = ""
		if !sqlIsBlank(pending.String()) {
			cont = pending.String()
		}
		mu.Unlock()
		line, err := rl.Readline()
		mu.Lock()
		wasJoined, wasRecalled := joined, recalled
		mu.Unlock()
		switch {
		case errors.Is(err, readline.ErrInterrupt):
			// Ctrl-C at the prompt drops the line and any unfinished statement.
			pending.Reset()
			continue
		case errors.Is(err, io.EOF):
			// Ctrl-D at the continuation prompt ends the input: the unfinished
			// statement runs, as a script's last statement without ';' does,
			// and is kept in history, rather than dropped unseen.
			if rest := pending.String(); !sqlIsBlank(rest) {
				_ = rl.SaveHistory(encodeHistory(rest))
				if err := s.execute(rest); err != nil {
					s.printError(err)
				}
			}
			return 0, nil
		case err != nil:
			return 1, fmt.Errorf("reading input: %w", err)
		}

		if wasJoined {
			pending.Reset() // the line holds the earlier lines too
		}
		if wasRecalled {
			line = decodeHistory(line)
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
		// One history entry per finished input, its line breaks kept as marks so
		// the file stays one entry per line.
		if entry := encodeHistory(strings.Join(stmts, "")); entry != "" {
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

// tabReader passes the terminal's input on and notes, for each tab in it,
// whether more input came with it in the same read: keys typed arrive a read
// each, pasted text many bytes at once, so a tab with more after it was pasted.
type tabReader struct {
	r       io.ReadCloser
	mu      sync.Mutex
	queue   []bool // per tab read but not yet handled: more input followed it
	current bool   // the same for the tab readline is handling
}

func (t *tabReader) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	t.mu.Lock()
	for i, b := range p[:n] {
		if b == '\t' {
			t.queue = append(t.queue, i < n-1)
		}
	}
	t.mu.Unlock()
	return n, err
}

func (t *tabReader) Close() error { return t.r.Close() }

// filter is readline's FuncFilterInputRune, which sees every key before it is
// handled: it takes each tab's note in turn.
func (t *tabReader) filter(r rune) (rune, bool) {
	if r == '\t' {
		t.mu.Lock()
		t.current = len(t.queue) > 0 && t.queue[0]
		if len(t.queue) > 0 {
			t.queue = t.queue[1:]
		}
		t.mu.Unlock()
	}
	return r, true
}

// pasted reports whether the tab being handled came with more input after it.
func (t *tabReader) pasted() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.current
}

// privateFile creates path, or keeps it, readable and writable by its owner
// only. It is best effort: a history that cannot be written is not worth
// refusing to start for, and readline then goes without one.
func privateFile(path string) {
	if path == "" {
		return
	}
	if f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600); err == nil {
		f.Close()
	}
	_ = os.Chmod(path, 0o600)
}

// colour reports whether the prompt may colour the input: only when the line
// is drawn on a terminal, and not when NO_COLOR is set (no-color.org) or the
// terminal says it cannot.
func colour(w io.Writer) bool {
	if f, ok := w.(*os.File); !ok || !readline.IsTerminal(int(f.Fd())) {
		return false
	}
	if _, ok := os.LookupEnv("NO_COLOR"); ok {
		return false
	}
	return os.Getenv("TERM") != "dumb"
}
