// Package hosttest runs the loadable extension inside stock DuckDB hosts for tests:
// it builds duckinfer.duckdb_extension, starts a host process (Node's
// @duckdb/node-api, or the C host linked against DuckDB 2.0's static libduckdb; see
// ../hosts), and talks to it over a pipe, also as a database/sql driver so that the
// sqllogictest runner (internal/sqltest) runs sql/*.test through the extension.
package hosttest

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os/exec"
	"strconv"
	"sync"
)

// Result is one statement's reply: DuckDB's text for every value (nil for NULL).
type Result struct {
	OK      bool        `json:"ok"`
	Error   string      `json:"error"`
	Conn    string      `json:"conn"`
	Op      string      `json:"op"`
	Columns []string    `json:"columns"`
	Types   []string    `json:"types"`
	Rows    [][]*string `json:"rows"`
}

// Host is a running host process.
type Host struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	mu     sync.Mutex // writes
	wait   sync.Mutex // pending
	pend   map[string]chan Result
	done   chan struct{}
	stderr *lockedBuffer
	err    error
}

type lockedBuffer struct {
	mu sync.Mutex
	b  []byte
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.b = append(l.b, p...)
	return len(p), nil
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return string(l.b)
}

// Start runs name with args as a host.
func Start(name string, args ...string) (*Host, error) {
	return startWith(nil, name, args...)
}

func startWith(setup func(*exec.Cmd), name string, args ...string) (*Host, error) {
	h := &Host{cmd: exec.Command(name, args...), pend: map[string]chan Result{}, done: make(chan struct{}), stderr: &lockedBuffer{}}
	if setup != nil {
		setup(h.cmd)
	}
	h.cmd.Stderr = h.stderr
	var err error
	if h.stdin, err = h.cmd.StdinPipe(); err != nil {
		return nil, err
	}
	out, err := h.cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := h.cmd.Start(); err != nil {
		return nil, fmt.Errorf("hosttest: starting %s: %w", name, err)
	}
	go h.read(out)
	return h, nil
}

func (h *Host) read(out io.Reader) {
	defer close(h.done)
	sc := bufio.NewScanner(out)
	sc.Buffer(make([]byte, 1<<20), 1<<30)
	for sc.Scan() {
		var r Result
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			h.err = fmt.Errorf("hosttest: bad reply %q: %w", sc.Text(), err)
			continue
		}
		if r.Op == "i" {
			continue
		}
		h.wait.Lock()
		ch := h.pend[r.Conn]
		delete(h.pend, r.Conn)
		h.wait.Unlock()
		if ch != nil {
			ch <- r
		}
	}
}

func (h *Host) send(op, conn, sql string) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	_, err := fmt.Fprintf(h.stdin, "%s %s %d\n%s", op, conn, len(sql), sql)
	return err
}

// Query runs sql on connection conn and waits for its reply; one at a time per conn.
func (h *Host) Query(conn, sql string) (Result, error) {
	return h.call("q", conn, sql)
}

// CloseConn closes connection conn in the host.
func (h *Host) CloseConn(conn string) error {
	_, err := h.call("c", conn, "")
	return err
}

func (h *Host) call(op, conn, sql string) (Result, error) {
	ch := make(chan Result, 1)
	h.wait.Lock()
	h.pend[conn] = ch
	h.wait.Unlock()
	if err := h.send(op, conn, sql); err != nil {
		return Result{}, fmt.Errorf("hosttest: host gone (%v); its stderr: %s", err, h.stderr.String())
	}
	select {
	case r := <-ch:
		return r, nil
	case <-h.done:
		return Result{}, fmt.Errorf("hosttest: the host exited while running %q; its stderr: %s", sql, h.stderr.String())
	}
}

// Interrupt asks the host to interrupt what conn is running.
func (h *Host) Interrupt(conn string) error { return h.send("i", conn, "") }

// Close ends the host's input and waits for it to exit; the error says how it exited
// (a crash or a non-zero status), with its stderr.
func (h *Host) Close() error {
	_ = h.stdin.Close()
	<-h.done
	if err := h.cmd.Wait(); err != nil {
		return fmt.Errorf("hosttest: host exit: %w; stderr: %s", err, h.stderr.String())
	}
	return h.err
}

// Stderr is what the host wrote to stderr so far.
func (h *Host) Stderr() string { return h.stderr.String() }

// Value returns row r, column c as text, "NULL" for NULL.
func (r Result) Value(row, col int) string {
	if v := r.Rows[row][col]; v != nil {
		return *v
	}
	return "NULL"
}

// Int reads row r, column c as an integer.
func (r Result) Int(row, col int) (int64, error) {
	return strconv.ParseInt(r.Value(row, col), 10, 64)
}
