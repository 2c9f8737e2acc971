package models

import (
	"errors"
	"fmt"
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

func taskErrorf(sentinel error, task, format string, args ...any) error {
	return fmt.Errorf("%w %q: %s", sentinel, task, fmt.Sprintf(format, args...))
}

func quoteList(names []string) string {
	if len(names) == 0 {
		return "(none)"
	}
	return strings.Join(names, ", ")
}
