package core

import (
	"context"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/duckinfer/duckinfer/internal/models"
	"github.com/duckinfer/duckinfer/internal/partitions"
)

// On-error modes.
const (
	OnErrorFail = "fail"
	OnErrorNull = "null"
)

// Request is one ml_predict call's arguments as a binding received them: each option
// as text, "" when not given.
type Request struct {
	Task          string
	Columns       []string // nil: the task's own input columns
	BatchSize     string
	Device        string
	ModelsPerGPU  string
	GPUMemLimitMB string
	OnError       string
	// Text tasks: MaxLength overrides max_length; embed tasks: Pooling ("mean",
	// "cls") and Normalize ("true", "false").
	MaxLength string
	Pooling   string
	Normalize string
	// Names are the option names errors use; the zero value means SQLNames.
	Names Names
	// Threads is DuckDB's thread count as the query was bound (its threads setting),
	// "" when unknown: with it, a chunk's batches may run on slots its query leaves idle
	// (partitions.Assigner.Spare).
	Threads string
}

// Names are the names a binding's callers know ml_predict's options by, for its
// errors: a Go caller set RecordOptions.BatchSize, not batch_size := 100.
type Names struct {
	Columns     string // the columns option, in prose: "columns := [...]"
	ColumnsList string // the columns given, %s their names joined by ", ": "columns := [%s]"
	BatchSize   string
	OnError     string
	OnErrorNull string // the setting that gives failed rows NULL: "on_error := 'null'"
	MaxLength   string
	Pooling     string
	Normalize   string
}

// SQLNames are ml_predict's own names, the default.
var SQLNames = Names{
	Columns: "columns := [...]", ColumnsList: "columns := [%s]", BatchSize: "batch_size",
	OnError: "on_error", OnErrorNull: "on_error := 'null'",
	MaxLength: "max_length", Pooling: "pooling", Normalize: "normalize",
}

// Call is one bound ml_predict call: everything resolved once, reused by every chunk.
// It holds no context: a prepared statement is bound once and executed many times.
type Call struct {
	Task      *models.Task
	Columns   []string // input columns, in the order of the task's inputs
	BatchSize int
	OnError   string
	Plan      partitions.Plan
	Text      TextOptions
	Names     Names
	// ColumnHint ends the error for an input column that cannot be read: Bind sets
	// ml_predict's advice; a caller without SQL (extension.Predict) sets its own.
	ColumnHint string
	// Threads bounds the inferences the call runs at once when it lends a chunk's
	// batches to idle slots (Request.Threads); 0 or 1: it never does.
	Threads int
	// NoScan says the caller runs the whole input itself, not DuckDB's scan (the Go
	// API's Predict): no other partition will come for a slot, and no client thread
	// spins beside it, so every slot is spare from the start.
	NoScan bool

	env   *Env
	slots *partitions.Assigner
	pool  sync.Pool // *Chunk
	probe probeBackoff
	// noLend stops lend after a spare slot's session failed to load.
	noLend atomic.Bool
	// bindTID is the thread Bind ran on (bindTIDOK: known): the query's client thread,
	// which plans the query; a chunk run on it shows the client is not spinning idle
	// (partitions.Assigner.Spare).
	bindTID   int
	bindTIDOK bool
	// release ends the call's use of its task's sessions (models.Pool.Use): Close,
	// or the garbage collector when no one calls it.
	release func()
}

// Close ends the call's hold on its task's checks and sessions now, for a binding that
// knows when its statement is gone; without it they are let go when the Call is
// collected, which can be late enough for a retired setting's sessions to stay loaded
// across many statements. A closed Call must not run again. Close is idempotent.
func (c *Call) Close() {
	if c.release != nil {
		c.release()
	}
}

// Bind checks a request and resolves it: unknown tasks, bad options and broken models
// fail here, before any row is read. ctx is the binding statement's: a cancel ends
// the wait for a model check under way (Pool.Check), which goes on for the next bind.
func (e *Env) Bind(ctx context.Context, req Request) (*Call, error) {
	task, err := e.Lookup(req.Task)
	if err != nil {
		return nil, err
	}
	c := &Call{Task: task, Columns: task.Config.Columns(), BatchSize: task.Config.BatchSize, OnError: OnErrorFail, Names: req.Names, ColumnHint: "cast the column or pick another with columns := [...]", env: e}
	n := c.names()
	if req.Columns != nil {
		// SQL's columns := [...] refuses a repeat before Bind (InputColumns); a
		// binding that passes a list of its own gets the same refusal here.
		for i, s := range req.Columns {
			for j := range i {
				if SameName(req.Columns[j], s) {
					return nil, ArgErrorf("%s names %q twice; a column feeds one task input, so to feed it to two, add a copy of it under another name", n.Columns, s)
				}
			}
		}
		if c.Columns, err = checkColumns(task, req.Columns, n); err != nil {
			return nil, err
		}
	}
	if v := strings.TrimSpace(req.BatchSize); v != "" {
		if c.BatchSize, err = intOption(n.BatchSize, v, 1, models.MaxBatchSize); err != nil {
			return nil, err
		}
	}
	opts := e.Defaults
	if v := strings.TrimSpace(req.Device); v != "" {
		opts.Device = strings.ToLower(v)
	}
	if v := strings.TrimSpace(req.ModelsPerGPU); v != "" {
		if opts.ModelsPerGPU, err = intOption("models_per_gpu", v, 1, 64); err != nil {
			return nil, err
		}
	}
	if v := strings.TrimSpace(req.GPUMemLimitMB); v != "" {
		n, err := intOption("gpu_mem_limit_mb", v, 0, 1<<30)
		if err != nil {
			return nil, err
		}
		opts.GPUMemLimit = int64(n) << 20
	}
	if v := strings.TrimSpace(req.OnError); v != "" {
		switch m := strings.ToLower(v); m {
		case OnErrorFail, OnErrorNull:
			c.OnError = m
		default:
			return nil, ArgErrorf("%s %q is not one of 'fail', 'null'", n.OnError, v)
		}
	}
	if c.Text, err = bindText(task, req, n); err != nil {
		return nil, err
	}
	if c.Plan, err = e.Plan(opts); err != nil {
		return nil, Wrap(err)
	}
	c.slots = partitions.NewAssigner(c.Plan)
	c.bindTID, c.bindTIDOK = partitions.ThreadID()
	// DuckDB's own setting, not the user's input: unreadable means no helpers.
	if t, err := strconv.Atoi(strings.TrimSpace(req.Threads)); err == nil && t > 1 {
		c.Threads = t
	}
	// The pool keeps this version's checks and sessions while the call lives (a
	// prepared statement's until it is closed), and frees a superseded version's
	// after its last call; counted before Check, which a sweep would otherwise undo.
	release := e.Pool.Use(task)
	bound := false
	defer func() {
		if !bound {
			release()
		}
	}()
	if err := e.Pool.Check(ctx, task); err != nil {
		return nil, Wrap(err)
	}
	// A model exported for a fixed number of rows (no dynamic batch axis): one row
	// at a time when that is 1, exact and slower; otherwise no batch of a chunk's
	// remaining rows would fit it.
	if rows, input, shape := task.FixedBatch(); rows == 1 {
		c.BatchSize = 1
	} else if rows > 1 {
		return nil, Wrap(fmt.Errorf("%w: task %q: model input %q has shape %v, a fixed batch of %d rows, but rows come in batches of any size up to batch_size; re-export the model with a dynamic batch axis (torch.onnx.export(..., dynamic_axes={%q: {0: \"batch\"}}))", models.ErrTaskConfig, task.Name, input, shape, rows, input))
	}
	// Pooling over the model output needs the output's shape, known from Check.
	if err := e.Pool.CheckPooling(task, c.Text.Pooling); err != nil {
		return nil, ArgErrorf("%v", err)
	}
	c.release = release
	runtime.AddCleanup(c, func(release func()) { release() }, release)
	bound = true
	return c, nil
}

// names are the option names the call's errors use: Names, or SQL's when unset.
func (c *Call) names() Names {
	if c.Names == (Names{}) {
		return SQLNames
	}
	return c.Names
}

// Lookup finds a task by the name ml_predict was given, or by a TaskRef: then it must
// still be that version of the task.
func (e *Env) Lookup(name string) (*models.Task, error) {
	serial, isRef := "", false
	if base, s, ok := strings.Cut(name, refSep); ok && isSerial(s) {
		name, serial, isRef = base, s, true
	}
	name = strings.TrimSpace(name)
	if name == "" {
		return nil, ArgErrorf("task must be a non-empty string; known tasks: %s", strings.Join(e.TaskNames(), ", "))
	}
	t, err := e.Registry.Lookup(name)
	if err != nil {
		return nil, Wrap(err)
	}
	if isRef && strconv.FormatUint(t.Serial(), 10) != serial {
		// The folder changed between two binds of one statement: going on would
		// give one part the old version and another the new one.
		return nil, Wrap(fmt.Errorf("task %q %w (between the binding of its parts); rerun the query", name, models.ErrTaskChanged))
	}
	return t, nil
}

// refSep joins a task's name and serial in a TaskRef: a control character, which no
// task name holds and no user types by accident (a name@version is an unknown task,
// not a version that changed), nor does the packing of ml_infer's options use it.
const refSep = "\x1e"

// isSerial reports whether s is a serial as TaskRef writes it.
func isSerial(s string) bool {
	n, err := strconv.ParseUint(s, 10, 64)
	return err == nil && strconv.FormatUint(n, 10) == s
}

// TaskRef names one version of a task, for the SQL ml_predict generates: the functions
// that SQL calls look the task up again at their bind, and Lookup fails a ref whose
// version is no longer the task's.
func TaskRef(t *models.Task) string {
	return t.Name + refSep + strconv.FormatUint(t.Serial(), 10)
}

// InputColumns checks ml_predict's task and columns arguments as SQL gave them (any
// type) and returns the task and the input columns it reads.
func (e *Env) InputColumns(taskArg, colsArg any) (*models.Task, []string, error) {
	name, ok := taskArg.(string)
	if taskArg != nil && !ok {
		return nil, nil, ArgErrorf("task must be a string naming a task, got %s; known tasks: %s", describe(taskArg), strings.Join(e.TaskNames(), ", "))
	}
	task, err := e.Lookup(name)
	if err != nil {
		return nil, nil, err
	}
	if colsArg == nil {
		return task, task.Config.Columns(), nil
	}
	list, ok := colsArg.([]any)
	if !ok {
		return nil, nil, ArgErrorf("columns must be a list of column names, e.g. columns := ['%s'], got %s", strings.Join(task.Config.Columns(), "', '"), describe(colsArg))
	}
	cols := make([]string, len(list))
	for i, v := range list {
		s, ok := v.(string)
		// A name of white space (" ") is a column DuckDB keeps: only "" names none.
		if !ok || s == "" {
			return nil, nil, ArgErrorf("columns[%d] is %s; columns := [...] takes column names as strings, e.g. columns := ['%s']", i+1, describe(v), strings.Join(task.Config.Columns(), "', '"))
		}
		if strings.ContainsRune(s, '\x1f') {
			return nil, nil, ArgErrorf("columns[%d] %q holds the control character U+001F, which ml_predict cannot pass on; rename the column in the input query (SELECT ... AS other_name)", i+1, s)
		}
		for j := range i {
			if SameName(cols[j], s) {
				return nil, nil, ArgErrorf("columns := [...] names %q twice (columns[%d] and columns[%d]); to feed one column to two task inputs, copy it in the input query (SELECT *, %s AS %s_2 ...)", s, j+1, i+1, s, s)
			}
		}
		cols[i] = s
	}
	cols, err = checkColumns(task, cols, SQLNames)
	return task, cols, err
}

func checkColumns(task *models.Task, cols []string, n Names) ([]string, error) {
	if want := task.Config.Columns(); len(cols) != len(want) {
		return nil, ArgErrorf("task %q reads %d column(s) (%s), but %s names %d; list one input column per task column, in that order",
			task.Name, len(want), strings.Join(want, ", "), fmt.Sprintf(n.ColumnsList, strings.Join(cols, ", ")), len(cols))
	}
	return cols, nil
}

// SameName reports whether DuckDB takes a and b for one column name: it ignores the
// case of ASCII letters only ("é" and "É" are two columns, as are "s" and "ſ"), where
// strings.EqualFold folds all of Unicode and would read one column for the other.
func SameName(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range len(a) {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// CheckColumnsPresent fails when an input column of the call is not among have (the
// input's column names), matching names as DuckDB does (SameName); its error names the
// columns option as n does.
func CheckColumnsPresent(task *models.Task, cols, have []string, n Names) error {
	for _, c := range cols {
		found := false
		for _, h := range have {
			if SameName(c, h) {
				found = true
				break
			}
		}
		if !found {
			return ArgErrorf("task %q reads column %q, but the input has no such column (its columns: %s); name the input column(s) that feed the task with %s, in the order of the task's inputs (%s)",
				task.Name, c, strings.Join(have, ", "), n.Columns, strings.Join(task.Config.Columns(), ", "))
		}
	}
	return nil
}

// intOption reads option name as a whole number in lo..hi.
func intOption(name, v string, lo, hi int) (int, error) {
	n, err := strconv.Atoi(v)
	switch {
	case err != nil:
		return 0, ArgErrorf("%s must be a whole number from %d to %d, got %q", name, lo, hi, v)
	case n < lo || n > hi:
		return 0, ArgErrorf("%s %d is out of range %d..%d", name, n, lo, hi)
	}
	return n, nil
}

func describe(v any) string {
	switch x := v.(type) {
	case nil:
		return "NULL"
	case string:
		return strconv.Quote(x)
	case SQLValue:
		if x.Text == "" {
			return x.Type
		}
		return fmt.Sprintf("%s (%s)", x.Text, x.Type)
	}
	return fmt.Sprintf("%v (%T)", v, v)
}

// SQLValue is an argument of a type the loadable extension does not turn into a Go
// value (DECIMAL, DATE, BOOLEAN, ...): its DuckDB type's name and, where known, its
// text, so that it is refused where a string is due, and named in the message, rather
// than taken for a string of that text.
type SQLValue struct{ Type, Text string }

func (v SQLValue) String() string { return v.Text }
