package core

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/duckinfer/duckinfer/internal/models"
	"github.com/duckinfer/duckinfer/internal/partitions"
)

// predictor is what a slot's model instance does; *models.Session implements it.
type predictor interface {
	Predict(ctx context.Context, in []models.InputData, lo, hi int, out models.OutputData) error
}

// Chunk is the working set of one Run: the task's inputs and outputs, the NULL mask and
// the row map. It is pooled per Call, so steady-state runs allocate nothing.
type Chunk struct {
	inputs   []models.InputData
	output   models.OutputData
	valid    []bool  // per chunk row: it went to the model
	rows     []int   // model row → chunk row
	perm     []int   // scratch for bucket
	result   []int32 // per chunk row: its model row, or -1 for NULL predictions
	failed   []error // per model row; nil when no row failed
	ends     []int   // infer's batches: where each ends
	batchErr []error // lend's: each batch's error
	decoded  bool    // a batch has decoded into output: its widths are known
	lent     int     // rows of this run's batches run on lent slots
	bad      []error // per input row: an unusable input (NaN, ±Inf, an empty text); nil when none
	origin   []int32 // runDistinct: per input row, the DuckDB chunk row it came from

	// runDistinct's: the input column serving the distinct values, and the per-value
	// results while they are spread over the chunk's rows.
	uniqCol uniqColumn
	uniqIn  [1]models.Column
	byValue []int32
}

// Output holds the results, by model row; Result maps chunk rows to them.
func (ch *Chunk) Output() models.OutputData { return ch.output }

// Result is chunk row r's model row in Output, or -1 when r gets NULL predictions
// (a NULL input, or a row that failed under on_error := 'null').
func (ch *Chunk) Result(r int) int { return int(ch.result[r]) }

// Results is Result for every chunk row at once (read-only; valid until Release).
func (ch *Chunk) Results() []int32 { return ch.result }

func (c *Call) chunk() *Chunk {
	if ch, ok := c.pool.Get().(*Chunk); ok {
		return ch
	}
	ch := &Chunk{inputs: c.Task.NewInputs(), output: c.Task.NewOutput()}
	c.Text.apply(ch.inputs, ch.output)
	return ch
}

// Release returns ch to the call's pool once the binding has written its results.
func (c *Call) Release(ch *Chunk) { c.pool.Put(ch) }

// Run infers n rows. cols are the call's input columns in order (Call.Columns), as the
// binding reads them; partition is the calling worker's index, which picks its device
// slot. Under on_error := 'fail' the first failing row fails the call, naming it.
// Strings the binding lends through cols must stay valid until Release.
//
// find, when not nil, is the binding's way to find the chunk's distinct values of a
// task's one string column (duckvec.Distinct over the raw vector). Run asks it only
// for such a task, and not after probes that found nothing (probeBackoff); when it
// reports repeats worth it, each distinct value runs once (runDistinct). What find
// returns must stay valid until Run returns.
func (c *Call) Run(ctx context.Context, partition int, cols []models.Column, n int, find func() (Distinct, bool)) (*Chunk, error) {
	ch, err := c.runChunk(ctx, partition, cols, n, find)
	return ch, InFunc(FuncFor(c.Task.Config.Kind), err)
}

func (c *Call) runChunk(ctx context.Context, partition int, cols []models.Column, n int, find func() (Distinct, bool)) (*Chunk, error) {
	if find != nil && c.wantDistinct() {
		d, ok := find()
		c.probeResult(ok)
		if ok {
			return c.runDistinct(ctx, partition, cols[0], n, d)
		}
	}
	ch := c.chunk()
	if err := c.run(ctx, partition, cols, n, ch); err != nil {
		c.Release(ch)
		return nil, err
	}
	return ch, nil
}

func (c *Call) run(ctx context.Context, partition int, cols []models.Column, n int, ch *Chunk) error {
	ch.valid = grow(ch.valid, n)
	for r := range ch.valid {
		ch.valid[r] = true
	}
	ch.bad = ch.bad[:0]
	bad := func(r int, err error) {
		if len(ch.bad) == 0 {
			ch.bad = grow(ch.bad, n)
			clear(ch.bad)
		}
		ch.bad[r] = err
	}
	off := 0
	for i, spec := range c.Task.Config.Inputs {
		k := len(spec.Columns)
		if err := ch.inputs[i].Load(cols[off:off+k], n, ch.valid, bad); err != nil {
			return ArgErrorf("task %q, model input %q: %v; %s", c.Task.Name, spec.Name, err, c.ColumnHint)
		}
		off += k
	}
	if err := c.inputFailures(ch); err != nil {
		return err
	}
	ch.rows = ch.rows[:0]
	for r, ok := range ch.valid {
		if ok {
			ch.rows = append(ch.rows, r)
		}
	}
	if len(ch.rows) < n { // all n rows kept: Compact would keep them as they are
		for _, in := range ch.inputs {
			in.Compact(ch.rows)
		}
	}
	ch.bucket()
	m := len(ch.rows)
	ch.output.Reset(m)

	slot, release := c.slots.Acquire(partition)
	defer release()
	// The statement's ctx: a cancel need not wait for the model to load (seconds for
	// a large one); the load goes on and stays in the pool.
	sess, err := c.env.Pool.Session(ctx, c.Task, slot.Placement)
	if err != nil {
		return Wrap(err)
	}
	if err := c.inferCounted(ctx, sess, ch, m); err != nil {
		return Wrap(err)
	}
	if ch.failed != nil {
		if c.OnError != OnErrorNull {
			return Wrap(c.rowError(ch))
		}
		c.recordFailures(ch)
	}
	// Counted once the chunk has its results, as the rows are: a cancelled chunk or
	// one a row failed under 'fail' gave none.
	c.env.Chunks.Add(1)
	c.env.RowsInferred.Add(uint64(m))
	c.env.RowsLent.Add(uint64(ch.lent))
	if cnt, ok := ctx.Value(RowCounterKey{}).(*atomic.Int64); ok {
		cnt.Add(int64(m))
	}
	ch.result = grow(ch.result, n)
	for r := range ch.result {
		ch.result[r] = -1
	}
	for b, r := range ch.rows {
		if ch.failed == nil || ch.failed[b] == nil {
			ch.result[r] = int32(b)
		}
	}
	return nil
}

// infer runs the m compacted rows through sess in batches of BatchSize. When a batch
// fails, its rows (and only its rows) are re-run one by one, so that on_error='null'
// keeps the good ones and 'fail' can name the bad one; the batches after it run as
// usual. A row whose output has no result (say, NaN) fails too. After the first batch,
// the rest may run on slots the query leaves idle as well (lend).
func (c *Call) infer(ctx context.Context, sess predictor, ch *Chunk, m int) error {
	ch.failed = nil
	fail := func(b int, err error) {
		if ch.failed == nil {
			ch.failed = make([]error, m)
		}
		ch.failed[b] = err
	}
	// failed handles batch [lo, hi)'s error err: stop says to return ret at once.
	failed := func(lo, hi int, err error) (stop bool, ret error) {
		if ctx.Err() != nil || errors.Is(err, models.ErrClosed) {
			return true, err
		}
		alone := false
		for b := lo; b < hi; b++ {
			if err := sess.Predict(ctx, ch.inputs, b, b+1, ch.output); err != nil {
				if ctx.Err() != nil || errors.Is(err, models.ErrClosed) {
					return true, err
				}
				fail(b, err)
				alone = true
			} else {
				ch.decoded = true
			}
		}
		if !alone {
			return true, fmt.Errorf("task %q failed on a batch of %d rows but on none of its rows alone: %w", c.Task.Name, hi-lo, err)
		}
		return c.OnError != OnErrorNull, nil
	}
	ch.ends = ch.ends[:0]
	for lo := 0; lo < m; {
		lo = ch.batchEnd(lo, c.BatchSize, m)
		ch.ends = append(ch.ends, lo)
	}
	// The chunk's outputs learn their widths from their first decode: until one has
	// succeeded (ch.decoded), batches run one at a time; lending is tried once, at
	// the first batch after that.
	ch.lent = 0
	tried := false
	for i := range ch.ends {
		if err := ctx.Err(); err != nil {
			return err
		}
		if ch.decoded && !tried {
			tried = true
			lent, err := c.lend(ctx, sess, ch, i)
			if err != nil {
				return err
			}
			if lent {
				for j := i; j < len(ch.ends); j++ {
					err := ch.batchErr[j]
					if err == nil {
						continue
					}
					lo, hi := ch.batch(j)
					// A lent session's own failure (a device's memory, say) is not
					// the rows': the batch runs again on the partition's session first.
					if err = sess.Predict(ctx, ch.inputs, lo, hi, ch.output); err == nil {
						continue
					}
					if stop, err := failed(lo, hi, err); stop {
						return err
					}
				}
				break
			}
		}
		lo, hi := ch.batch(i)
		if err := sess.Predict(ctx, ch.inputs, lo, hi, ch.output); err != nil {
			if stop, err := failed(lo, hi, err); stop {
				return err
			}
			continue
		}
		ch.decoded = true
	}
	if !ch.output.AnyRowError() {
		return nil
	}
	for b := range m {
		if err := ch.output.RowError(b); err != nil && (ch.failed == nil || ch.failed[b] == nil) {
			fail(b, err)
		}
	}
	return nil
}

// inferCounted is infer, counted in the database's running inferences while it runs
// (a panic, which the binding recovers, included).
func (c *Call) inferCounted(ctx context.Context, sess predictor, ch *Chunk, m int) error {
	c.env.running().Add(1)
	defer c.env.running().Add(-1)
	return c.infer(ctx, sess, ch, m)
}

// batch is batch i's rows [lo, hi) (infer's ends).
func (ch *Chunk) batch(i int) (lo, hi int) {
	if i > 0 {
		lo = ch.ends[i-1]
	}
	return lo, ch.ends[i]
}

// testLendSession, set by tests, stands in for the pool's sessions on lent slots.
var testLendSession func(models.Placement) (predictor, error)

func (c *Call) lendSession(pl models.Placement) (predictor, error) {
	if testLendSession != nil {
		return testLendSession(pl)
	}
	// Background: nobody waits for a helper's load (lend goes on without it), and
	// the session loaded is the next chunk's.
	return c.env.Pool.Session(context.Background(), c.Task, pl)
}

// lend runs ch's batches from first on on sess and, beside it, on slots the query
// leaves idle (partitions.Assigner.Spare: a row group's worth of chunks left to one
// thread while DuckDB's others have nothing to scan), each on its own session; each
// batch's error is left in ch.batchErr for infer. It reports false, having run
// nothing, when no slot is spare. Once one batch has decoded into the chunk's outputs
// (ch.decoded), the batches may run beside each other (models.InputData.Tensor,
// models.OutputData.Decode).
func (c *Call) lend(ctx context.Context, sess predictor, ch *Chunk, first int) (bool, error) {
	nb := len(ch.ends)
	if c.Threads <= 1 || nb-first < 2 || c.noLend.Load() {
		return false, nil
	}
	tid, ok := partitions.ThreadID()
	client := c.NoScan || (ok && c.bindTIDOK && tid == c.bindTID)
	gap := partitions.HelpGap
	if c.NoScan {
		gap = 0
	}
	// Other queries of the database run inferences too (each query has its own
	// slots): all of them together stay within DuckDB's threads.
	room := c.Threads - int(c.env.running().Load())
	if !client {
		room--
	}
	slots, giveBack := c.slots.Spare(c.Threads, min(nb-first-1, room), gap, client)
	if len(slots) == 0 {
		return false, nil
	}
	defer giveBack()
	c.env.running().Add(int64(len(slots)))
	ch.batchErr = grow(ch.batchErr, nb)
	clear(ch.batchErr)
	var next, done, lentRows atomic.Int64
	next.Store(int64(first))
	finished := make(chan struct{})
	var panicked atomic.Pointer[string]
	// one runs batch i on s; the last batch to finish says so, a panic included.
	one := func(s predictor, lent bool, i int) {
		defer func() {
			if p := recover(); p != nil {
				msg := fmt.Sprintf("task %q: a batch run beside others panicked: %v", c.Task.Name, p)
				panicked.Store(&msg)
			}
			if done.Add(1) == int64(nb-first) {
				close(finished)
			}
		}()
		if err := ctx.Err(); err != nil {
			ch.batchErr[i] = err
			return
		}
		lo, hi := ch.batch(i)
		ch.batchErr[i] = s.Predict(ctx, ch.inputs, lo, hi, ch.output)
		// A failed lent batch runs again on the partition's session: not lent.
		if lent && ch.batchErr[i] == nil {
			lentRows.Add(int64(hi - lo))
		}
	}
	// run takes batches until none is left.
	run := func(s predictor, lent bool) {
		for {
			i := int(next.Add(1) - 1)
			if i >= nb {
				return
			}
			one(s, lent, i)
		}
	}
	for _, sl := range slots {
		// A helper whose session is still loading when the partition has taken every
		// batch finds none left and touches nothing of ch: the partition does not
		// wait for the load.
		go func() {
			defer c.env.running().Add(-1)
			defer func() {
				// Outside a batch (the session's load): nothing of ch to report on.
				if p := recover(); p != nil {
					c.noLend.Store(true)
				}
			}()
			s, err := c.lendSession(sl.Placement)
			if err != nil {
				// The partition's own session runs this helper's share; a slot whose
				// model cannot load is not tried again by this call.
				c.noLend.Store(true)
				return
			}
			run(s, true)
		}()
	}
	run(sess, false)
	<-finished // every batch has been taken: wait for those still running
	ch.lent = int(lentRows.Load())
	if p := panicked.Load(); p != nil {
		return true, errors.New(*p)
	}
	// A batch left unrun stopped for the context's end.
	return true, ctx.Err()
}

// inputFailures handles the rows Load found unusable: under on_error='fail' the first
// one fails the call, under 'null' each is recorded and gets NULL predictions.
func (c *Call) inputFailures(ch *Chunk) error {
	if len(ch.bad) == 0 {
		return nil
	}
	now := time.Now()
	for r, err := range ch.bad {
		if err == nil {
			continue
		}
		msg := fmt.Errorf("task %q: %w", c.Task.Name, err)
		hint, input := "filter such rows out (e.g. WHERE isfinite(col))", ""
		if ve := (*models.ValueError)(nil); errors.As(err, &ve) {
			input = ve.Input
			if ve.Remedy != "" {
				hint = ve.Remedy
			}
			if ve.RowFree {
				// Load's row r may be one of the chunk's distinct values (runDistinct).
				row := r
				if ch.origin != nil {
					row = int(ch.origin[r])
				}
				msg = fmt.Errorf("task %q, row %d of its chunk: %w", c.Task.Name, row, err)
			}
		}
		if c.OnError != OnErrorNull {
			return Wrap(fmt.Errorf("%w; %s or use %s to give them NULL predictions", msg, hint, c.names().OnErrorNull))
		}
		c.env.Failures.Add(RowFailure{Time: now, Task: c.Task.Name, Input: input, Error: msg.Error()})
	}
	return nil
}

// rowError names the first row that failed, by its input and its chunk position.
func (c *Call) rowError(ch *Chunk) error {
	for b, err := range ch.failed {
		if err != nil {
			row := ch.rows[b]
			if ch.origin != nil {
				row = int(ch.origin[row])
			}
			return fmt.Errorf("task %q failed on the row whose input is %s (row %d of its chunk); use %s to keep going with NULL predictions: %w",
				c.Task.Name, c.preview(ch, b), row, c.names().OnErrorNull, err)
		}
	}
	return fmt.Errorf("task %q: a row failed", c.Task.Name)
}

// recordFailures remembers on_error='null' failures for ml_errors().
func (c *Call) recordFailures(ch *Chunk) {
	now := time.Now()
	for b, err := range ch.failed {
		if err != nil {
			c.env.Failures.Add(RowFailure{Time: now, Task: c.Task.Name, Input: c.preview(ch, b), Error: err.Error()})
		}
	}
}

// previewInputsBytes is about the most of a row that preview shows across its inputs
// (each input's own preview is cut too).
const previewInputsBytes = 400

// preview describes model row b by its every model input, each named when there are
// several: a row is found by all of its values, not by its first input's. The inputs
// past previewInputsBytes are left out, with a mark saying how many.
func (c *Call) preview(ch *Chunk, b int) string {
	if len(ch.inputs) == 1 {
		return ch.inputs[0].Preview(b)
	}
	var s strings.Builder
	for i, in := range ch.inputs {
		if i > 0 && s.Len() >= previewInputsBytes {
			fmt.Fprintf(&s, ", … (%d more inputs)", len(ch.inputs)-i)
			break
		}
		if i > 0 {
			s.WriteString(", ")
		}
		s.WriteString(c.Task.Config.Inputs[i].Name)
		s.WriteByte('=')
		s.WriteString(in.Preview(b))
	}
	return s.String()
}

func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}
