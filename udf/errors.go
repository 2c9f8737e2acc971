package udf

import (
	"errors"
	"fmt"
)

// ErrArgument marks a bad ml_predict argument; model and runtime failures wrap the
// models package's sentinels instead.
var ErrArgument = errors.New("invalid argument")

func argErrorf(format string, args ...any) error {
	return fmt.Errorf("ml_predict: %w: %s", ErrArgument, fmt.Sprintf(format, args...))
}

func wrap(err error) error {
	return fmt.Errorf("ml_predict: %w", err)
}
