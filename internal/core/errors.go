package core

import (
	"errors"
	"fmt"
)

// ErrArgument marks a bad ml_predict argument; model and runtime failures wrap the
// models package's sentinels instead.
var ErrArgument = errors.New("invalid argument")

// ArgErrorf returns an ErrArgument error in ml_predict's words.
func ArgErrorf(format string, args ...any) error {
	return fmt.Errorf("ml_predict: %w: %s", ErrArgument, fmt.Sprintf(format, args...))
}

// Wrap prefixes err with the function's name, keeping it inspectable.
func Wrap(err error) error {
	return fmt.Errorf("ml_predict: %w", err)
}
