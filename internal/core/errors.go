package core

import (
	"errors"
	"fmt"

	"github.com/duckinfer/duckinfer/internal/models"
)

// ErrArgument marks a bad ml_predict argument; model and runtime failures wrap the
// models package's sentinels instead.
var ErrArgument = errors.New("invalid argument")

// FuncError is an error in the words of the SQL function the user called: ml_embed's
// calls run through ml_predict's code, and InFunc renames the function on their way out.
type FuncError struct {
	Func string // "ml_predict" or "ml_embed"
	Err  error
}

func (e *FuncError) Error() string { return e.Func + ": " + e.Err.Error() }
func (e *FuncError) Unwrap() error { return e.Err }

// ArgErrorf returns an ErrArgument error in ml_predict's words.
func ArgErrorf(format string, args ...any) error {
	return &FuncError{Func: "ml_predict", Err: fmt.Errorf("%w: %s", ErrArgument, fmt.Sprintf(format, args...))}
}

// Wrap prefixes err with the function's name, keeping it inspectable.
func Wrap(err error) error {
	return &FuncError{Func: "ml_predict", Err: err}
}

// FuncFor names the SQL function that runs tasks of kind: ml_embed for embed tasks,
// ml_predict for the others (ml_predict_sql refuses a task called through the other).
func FuncFor(kind string) string {
	if kind == models.OutputEmbed {
		return "ml_embed"
	}
	return "ml_predict"
}

// InFunc names fn in err where ArgErrorf or Wrap named ml_predict; other errors pass
// unchanged.
func InFunc(fn string, err error) error {
	e, ok := err.(*FuncError)
	if !ok || e.Func == fn {
		return err
	}
	return &FuncError{Func: fn, Err: InFunc(fn, e.Err)}
}
