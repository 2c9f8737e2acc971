package models

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Sentinel errors; every returned error wraps one of them so callers can errors.Is.
var (
	ErrUnknownTask = errors.New("unknown task")
	ErrTaskConfig  = errors.New("invalid task")
	ErrRuntime     = errors.New("ONNX Runtime unavailable")
	ErrModel       = errors.New("model failed")
	ErrInput       = errors.New("bad model input")
	ErrDevice      = errors.New("device unavailable")
	ErrClosed      = errors.New("model pool closed")
	// ErrTaskChanged: a task's files changed under a query that had bound an earlier
	// version; the text continues a sentence naming the file.
	ErrTaskChanged = errors.New("changed while the query ran")
)

// errPoolingMode marks a sentence-transformers pooling duckinfer cannot do itself
// (hfPoolingMode); hfConfig lets a task.json that names the output pass it.
var errPoolingMode = errors.New("unsupported sentence-transformers pooling")

// ValueError is a row's value that its model input's type cannot hold, as Load
// reports it through bad: Input shows the value as Preview shows a row, for
// ml_errors() (the row never reaches the input's data, so Preview cannot).
type ValueError struct {
	Input string
	Err   error
	// RowFree: Err names no row, since the input saw a chunk's distinct values
	// rather than its rows (a text input); the core names the chunk row.
	RowFree bool
	// Remedy is what to do about such rows; "" for a number's (isfinite).
	Remedy string
}

func (e *ValueError) Error() string { return e.Err.Error() }
func (e *ValueError) Unwrap() error { return e.Err }

// valueError is err about value x.
func valueError(x any, err error) error {
	return &ValueError{Input: strconv.Quote(fmt.Sprint(x)), Err: err}
}

func taskErrorf(sentinel error, task, format string, args ...any) error {
	return fmt.Errorf("%w %q: %s", sentinel, task, fmt.Sprintf(format, args...))
}

func quoteList(names []string) string {
	if len(names) == 0 {
		return "(none)"
	}
	return strings.Join(names, ", ")
}
