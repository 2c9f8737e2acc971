package models

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"

	ort "github.com/yalue/onnxruntime_go"
)

// Placement says where one model instance runs.
type Placement struct {
	Device      string // "cpu" or "cuda"
	DeviceID    int    // CUDA device ordinal; 0 for CPU
	Instance    int    // which copy on this device (several per GPU overlap copies with compute)
	Threads     int    // intra-op threads; parallelism normally comes from DuckDB's threads
	GPUMemLimit int64  // bytes the session's CUDA arena may hold; 0 means no cap
}

// Pool owns every ONNX Runtime session: one per (task snapshot, placement), created on
// first use and reused by every later query until Close. A snapshot superseded by an
// edit of its folder keeps its sessions while a statement bound to it may still ask
// for them (Use counts those), and loses them when the last one goes.
type Pool struct {
	mu       sync.Mutex
	sessions map[poolKey]*sessionEntry
	checked  map[*Task]ort.InputOutputInfo // tasks whose model Check passed: the output read
	checking map[*Task]*checkEntry         // checks under way, shared by their callers
	users    map[*Task]int                 // statements bound to each snapshot (Use)
	closed   bool
	loads    atomic.Int64
	flavor   Flavor
}

type poolKey struct {
	task      *Task
	placement Placement // comparable: a map key as it is, no string built per lookup
}

// sessionEntry lets concurrent first users of one key wait for a single load.
type sessionEntry struct {
	ready chan struct{} // closed when s and err are set
	done  bool          // set with s and err, under Pool.mu: Close owns s from then on
	// waiting counts the callers waiting for the load, less those whose ctx ended
	// first (under Pool.mu): a load nobody waits for any more may be freed (fill).
	waiting int
	s       *Session
	err     error
}

// checkEntry lets concurrent first callers of Check for one task wait for one check.
type checkEntry struct {
	ready chan struct{} // closed when err is set
	err   error
}

// waitFor waits for shared work (a check or a load, whose end closes ready) and for
// ctx at once. The work runs on its own goroutine and is not stopped: a caller whose
// ctx ends leaves it to the other callers and to the next query, which find it in
// the pool (ORT cannot abort a session's creation anyway). what names the work for
// the cancel's message; it is formatted only then.
func waitFor(ctx context.Context, ready <-chan struct{}, what func() string) error {
	select {
	case <-ready: // done already: the result, even under a cancelled ctx
		return nil
	default:
	}
	select {
	case <-ready:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("models: cancelled while %s; that goes on in the background, so running the statement again does not start it over: %w", what(), ctx.Err())
	}
}

func errClosed() error { return fmt.Errorf("models: %w; open a new database", ErrClosed) }

// NewPool makes an empty pool whose sessions use the given ONNX Runtime flavor.
func NewPool(flavor Flavor) *Pool {
	return &Pool{sessions: map[poolKey]*sessionEntry{}, checked: map[*Task]ort.InputOutputInfo{}, checking: map[*Task]*checkEntry{}, users: map[*Task]int{}, flavor: flavor}
}

// Loads counts sessions created (models loaded) over the pool's life.
func (p *Pool) Loads() int64 { return p.loads.Load() }

// openSessions counts the ONNX Runtime sessions alive in the process, in every pool.
var openSessions atomic.Int64

// OpenSessions is how many model sessions are loaded in the process now, in every
// pool: what a host that opens and closes databases can watch for leaks.
func OpenSessions() int64 { return openSessions.Load() }

// Use records a statement bound to t until release, which its caller calls once, when
// the statement can ask for no more sessions (core.Env.Bind ties it to the bound call's
// life). Each call frees the sessions of the snapshots that are superseded
// (Registry.Lookup has a newer one) and used by no statement: nothing else tells the
// pool when the last query of an old version ends.
func (p *Pool) Use(t *Task) (release func()) {
	p.mu.Lock()
	p.users[t]++
	doomed := p.sweepLocked()
	p.mu.Unlock()
	destroyAll(doomed)
	var once sync.Once
	return func() {
		once.Do(func() {
			p.mu.Lock()
			if p.users[t]--; p.users[t] <= 0 {
				delete(p.users, t)
			}
			doomed := p.sweepLocked()
			p.mu.Unlock()
			destroyAll(doomed)
		})
	}
}

// Sweep frees the sessions of superseded snapshots no statement uses now (Use does
// so too): for a caller that has just superseded some (Registry.Retire).
func (p *Pool) Sweep() {
	p.mu.Lock()
	doomed := p.sweepLocked()
	p.mu.Unlock()
	destroyAll(doomed)
}

// sweepLocked takes out of the pool the loaded sessions of superseded snapshots that
// no statement uses, for the caller to destroy without p.mu.
func (p *Pool) sweepLocked() []*Session {
	if p.closed {
		return nil // Close destroys them all
	}
	var doomed []*Session
	for k, e := range p.sessions {
		if !k.task.superseded.Load() || p.users[k.task] > 0 || !e.done {
			continue
		}
		if e.s != nil {
			doomed = append(doomed, e.s)
		}
		delete(p.sessions, k)
	}
	for t := range p.checked {
		if t.superseded.Load() && p.users[t] == 0 {
			delete(p.checked, t)
		}
	}
	return doomed
}

func destroyAll(ss []*Session) {
	for _, s := range ss {
		_ = s.destroy()
	}
}

// Check verifies, once per task, that the runtime loads and the model's inputs and
// output agree with the task config, so that a broken task fails at bind time with a
// clear message instead of inside a worker thread. Concurrent callers share one check;
// each waits for it and for its own ctx (a bind's, so that a cancel is not held up by
// the seconds a large model takes to read and parse).
func (p *Pool) Check(ctx context.Context, t *Task) error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return errClosed()
	}
	if _, ok := p.checked[t]; ok {
		p.mu.Unlock()
		return nil
	}
	e, ok := p.checking[t]
	if !ok {
		if err := ctx.Err(); err != nil {
			p.mu.Unlock()
			return fmt.Errorf("models: task %q: cancelled before its model was checked: %w", t.Name, err)
		}
		e = &checkEntry{ready: make(chan struct{})}
		p.checking[t] = e
	}
	p.mu.Unlock()
	if !ok {
		start(ctx, func() { p.runCheck(t, e) })
	}
	if err := waitFor(ctx, e.ready, func() string { return fmt.Sprintf("the model of task %q was being checked", t.Name) }); err != nil {
		return err
	}
	return e.err
}

// start runs shared work (a check, a load) for its first caller: on a goroutine of its
// own, which the callers wait for beside their ctx (waitFor), or on the caller's when
// its ctx can never end (the loadable extension's, whose C API reports no interrupt).
// Nothing is gained by a goroutine there, and in a child that a host forked after the
// Go runtime started (Python's multiprocessing) only the forking thread exists: a
// goroutine started while the caller waits would never run.
func start(ctx context.Context, work func()) {
	if ctx.Done() == nil {
		work()
		return
	}
	go work()
}

// testHookCheck, when set by a test, runs at the start of every check.
var testHookCheck func()

// runCheck is Check's shared work. A failure is not kept, so that a fixed model is
// checked again; a panic (which the binding would have recovered on its own thread)
// is the check's error, since nothing recovers it on this goroutine.
func (p *Pool) runCheck(t *Task, e *checkEntry) {
	out, err := func() (out ort.InputOutputInfo, err error) {
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("%w: checking the model of task %q panicked: %v", ErrRuntime, t.Name, r)
			}
		}()
		if testHookCheck != nil {
			testHookCheck()
		}
		if _, err := InitRuntime(p.flavor); err != nil {
			return out, err
		}
		data, err := t.ModelBytes()
		if err != nil {
			return out, err
		}
		return checkModelIO(t, data)
	}()
	p.mu.Lock()
	delete(p.checking, t)
	if err == nil {
		p.checked[t] = out
	}
	e.err = err
	close(e.ready)
	p.mu.Unlock()
}

// checkedOutput is the model output t reads, as its model declares it, once Check
// passed (ok false before).
func (p *Pool) checkedOutput(t *Task) (o ort.InputOutputInfo, ok bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	o, ok = p.checked[t]
	return o, ok
}

func checkModelIO(t *Task, data []byte) (ort.InputOutputInfo, error) {
	ins, outs, err := ort.GetInputOutputInfoWithONNXData(data)
	if err != nil {
		return ort.InputOutputInfo{}, taskErrorf(ErrModel, t.Name, "%s/%s is not a loadable ONNX model: %v; re-export the model or replace the file", t.Source, t.Config.Model, err)
	}
	byName := map[string]ort.InputOutputInfo{}
	var have []string
	for _, in := range ins {
		byName[in.Name] = in
		have = append(have, in.Name)
	}
	dims := make([][]int64, len(t.Config.Inputs))
	feeds := make([][]string, len(t.Config.Inputs))
	mapped := map[string]bool{}
	text := -1
	for i, spec := range t.Config.Inputs {
		info, ok := byName[spec.Name]
		if !ok {
			return ort.InputOutputInfo{}, taskErrorf(ErrTaskConfig, t.Name, "task.json names model input %q, but the model's inputs are: %s; fix \"inputs\" in %s/task.json", spec.Name, quoteList(have), t.Source)
		}
		if err := t.Config.kinds.Inputs[i].CheckModel(spec, info); err != nil {
			return ort.InputOutputInfo{}, taskErrorf(ErrTaskConfig, t.Name, "%v; fix \"inputs\" in %s/task.json or re-export the model", err, t.Source)
		}
		dims[i] = info.Dimensions
		feeds[i] = []string{spec.Name}
		mapped[spec.Name] = true
		if spec.Type == InputText {
			text = i
		}
	}
	for _, in := range ins {
		if mapped[in.Name] {
			continue
		}
		if text >= 0 && textFeeds[in.Name] {
			if in.DataType != ort.TensorElementDataTypeInt64 {
				return ort.InputOutputInfo{}, taskErrorf(ErrTaskConfig, t.Name, "model input %q holds %s; a text task feeds it int64 values; re-export the model with int64 inputs", in.Name, elemName(in.DataType))
			}
			feeds[text] = append(feeds[text], in.Name)
			continue
		}
		if text >= 0 {
			return ort.InputOutputInfo{}, taskErrorf(ErrTaskConfig, t.Name, "the model declares input %q, which nothing feeds: a text task feeds input_ids, attention_mask, token_type_ids and position_ids; re-export the model without it", in.Name)
		}
		return ort.InputOutputInfo{}, taskErrorf(ErrTaskConfig, t.Name, "the model has %d inputs (%s) but task.json maps %d; every model input needs columns", len(ins), quoteList(have), len(t.Config.Inputs))
	}
	want := t.Config.Output
	var outNames []string
	for _, o := range outs {
		outNames = append(outNames, o.Name)
	}
	if want == "" && t.Config.Kind == OutputEmbed {
		for _, cand := range embedOutputOrder(&t.Config) {
			for _, o := range outNames {
				if o == cand && want == "" {
					want = o
				}
			}
		}
		if want == "" {
			hint := "name the output to read in task.json's \"output\""
			for _, o := range outNames {
				if o == "logits" {
					hint = "it has \"logits\": if it is a classifier, set \"architectures\" in config.json or \"kind\": \"classify\" in a task.json"
				}
			}
			return ort.InputOutputInfo{}, taskErrorf(ErrTaskConfig, t.Name, "an embed task reads one of the outputs %s, but the model's outputs are: %s; %s", quoteList(embedOutputs), quoteList(outNames), hint)
		}
	}
	for _, o := range outs {
		if o.Name != want {
			continue
		}
		if err := t.Config.kinds.Output.CheckModel(&t.Config, o); err != nil {
			return ort.InputOutputInfo{}, taskErrorf(ErrTaskConfig, t.Name, "%v", err)
		}
		if err := checkOutputBatch(t, o, dims); err != nil {
			return ort.InputOutputInfo{}, err
		}
		t.inputDims.Store(&dims)
		t.feeds.Store(&feeds)
		t.outName.Store(&want)
		t.outWidth.Store(int64(RegressWidth(o)) + 1)
		t.outRows.Store(0)
		if len(o.Dimensions) > 0 {
			t.outRows.Store(o.Dimensions[0])
		}
		switch {
		case t.Config.Kind == OutputEmbed:
			t.outWidth.Store(o.Dimensions[len(o.Dimensions)-1] + 1)
		case t.Config.Kind == OutputClassify && len(o.Dimensions) != 2:
			// Class scores of undeclared rank (a .squeeze()d export) may come back as
			// [N] or []: the width is open, so no [N, 1] tensor is bound for them.
			t.outWidth.Store(0 + 1)
		}
		return o, nil
	}
	return ort.InputOutputInfo{}, taskErrorf(ErrTaskConfig, t.Name, "task.json names output %q, but the model's outputs are: %s", want, quoteList(outNames))
}

// checkOutputBatch refuses a classify or regress output whose first dimension is fixed
// at more than one row while the model's inputs (shapes dims) take any number: it
// cannot hold one row per input row, and Decode, which checks the runtime shape, would
// take a batch of exactly that many rows as rows (a transposed [C, N] output read as
// [N, C]). A first dimension of 1 is left alone: an export with dynamic axes on its
// inputs only declares [1, C] and computes [N, C], which Decode reads.
func checkOutputBatch(t *Task, o ort.InputOutputInfo, dims [][]int64) error {
	if k := t.Config.Kind; k != OutputClassify && k != OutputRegress {
		return nil
	}
	d := o.Dimensions
	if len(d) == 0 || d[0] <= 1 || fixedBatchInput(dims) >= 0 {
		return nil
	}
	return taskErrorf(ErrTaskConfig, t.Name, "model output %q has shape %v: its first dimension is fixed at %d, but the model takes any number of rows (its inputs' batch dimension is open), so it cannot hold one row per input row (a transposed output?); re-export the model with the output's batch dimension dynamic (torch.onnx.export(..., dynamic_axes={%q: {0: \"batch\"}, ...}))", o.Name, []int64(d), d[0], o.Name)
}

// Session returns the session for (t, pl), loading the model on first use. Concurrent
// callers for the same key share one load, which runs on its own goroutine; each
// waits for it and for its own ctx, so a cancelled statement returns at once while
// the load goes on and stays in the pool for the next query. A load that Close
// overtakes is destroyed when it finishes, and its callers get ErrClosed.
func (p *Pool) Session(ctx context.Context, t *Task, pl Placement) (*Session, error) {
	k := poolKey{t, pl}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil, errClosed()
	}
	e, ok := p.sessions[k]
	if ok && e.done {
		// Every chunk after the first: nothing to wait for.
		p.mu.Unlock()
		return e.s, e.err
	}
	if !ok {
		if err := ctx.Err(); err != nil {
			p.mu.Unlock()
			return nil, fmt.Errorf("models: task %q: cancelled before its model was loaded on %s:%d: %w", t.Name, pl.Device, pl.DeviceID, err)
		}
		e = &sessionEntry{ready: make(chan struct{})}
		p.sessions[k] = e
	}
	e.waiting++
	p.mu.Unlock()
	if !ok {
		start(ctx, func() { p.fill(k, e, t, pl) })
	}
	if err := waitFor(ctx, e.ready, func() string {
		return fmt.Sprintf("the model of task %q was loading on %s:%d", t.Name, pl.Device, pl.DeviceID)
	}); err != nil {
		p.mu.Lock()
		e.waiting--
		p.mu.Unlock()
		return nil, err
	}
	return e.s, e.err
}

// fill is Session's shared load of e. It runs without p.mu (it takes p.mu itself, in
// Check), so Close never waits for it while holding what it needs.
func (p *Pool) fill(k poolKey, e *sessionEntry, t *Task, pl Placement) {
	s, err := p.loadCaught(t, pl)
	var orphan *Session
	p.mu.Lock()
	switch {
	case p.closed:
		// Close has already emptied the map and left this load to us.
		orphan, s, err = s, nil, errClosed()
	case err != nil:
		// Forget failures so a fixed model or freed device is retried.
		delete(p.sessions, k)
	}
	e.s, e.err, e.done = s, err, true
	close(e.ready)
	if s != nil && e.waiting == 0 && t.superseded.Load() && p.users[t] == 0 {
		// Every caller was cancelled while it loaded, and their statements have let
		// the superseded snapshot go: that release's sweep skipped the entry, and no
		// new statement binds to the snapshot, so nothing would free it until the
		// next Use or Sweep.
		delete(p.sessions, k)
		orphan = s
	}
	p.mu.Unlock()
	if orphan != nil {
		_ = orphan.destroy()
	}
}

// testHookLoad, when set by a test, runs at the start of every load.
var testHookLoad func()

// loadCaught is load with a panic turned into the load's error: on fill's goroutine
// nothing else recovers it, and the entry's ready channel must close either way.
func (p *Pool) loadCaught(t *Task, pl Placement) (s *Session, err error) {
	defer func() {
		if r := recover(); r != nil {
			s, err = nil, fmt.Errorf("%w: loading task %q on %s:%d panicked: %v", ErrRuntime, t.Name, pl.Device, pl.DeviceID, r)
		}
	}()
	if testHookLoad != nil {
		testHookLoad()
	}
	return p.load(t, pl)
}

func (p *Pool) load(t *Task, pl Placement) (*Session, error) {
	// Background: the load is shared and kept whether or not its first caller stays.
	if err := p.Check(context.Background(), t); err != nil {
		return nil, err
	}
	p.mu.Lock()
	closed := p.closed
	p.mu.Unlock()
	if closed { // Check took a while; do not load a session only to destroy it
		return nil, errClosed()
	}
	data, err := t.ModelBytes()
	if err != nil {
		return nil, err
	}
	opts, err := ort.NewSessionOptions()
	if err != nil {
		return nil, fmt.Errorf("%w: session options: %v", ErrRuntime, err)
	}
	defer opts.Destroy()
	threads := pl.Threads
	if threads <= 0 {
		threads = 1
	}
	if err := opts.SetIntraOpNumThreads(threads); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrRuntime, err)
	}
	if err := opts.SetInterOpNumThreads(1); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrRuntime, err)
	}
	if pl.Device == "cuda" {
		if err := appendCUDA(opts, pl); err != nil {
			return nil, taskErrorf(ErrDevice, t.Name, "CUDA device %d: %v", pl.DeviceID, err)
		}
	}
	s, err := ort.NewDynamicAdvancedSessionWithONNXData(data, t.modelInputs(), []string{t.OutputName()}, opts)
	if err != nil {
		return nil, taskErrorf(ErrModel, t.Name, "loading %s/%s on %s:%d: %v", t.Source, t.Config.Model, pl.Device, pl.DeviceID, err)
	}
	p.loads.Add(1)
	openSessions.Add(1)
	out, _ := p.checkedOutput(t)
	return &Session{task: t, placement: pl, s: s, outType: out.DataType}, nil
}

func appendCUDA(opts *ort.SessionOptions, pl Placement) error {
	cuda, err := ort.NewCUDAProviderOptions()
	if err != nil {
		return fmt.Errorf("this ONNX Runtime library has no CUDA provider (%v); run `make setup-gpu`", err)
	}
	defer cuda.Destroy()
	settings := map[string]string{"device_id": strconv.Itoa(pl.DeviceID)}
	if pl.GPUMemLimit > 0 {
		settings["gpu_mem_limit"] = strconv.FormatInt(pl.GPUMemLimit, 10)
		settings["arena_extend_strategy"] = "kSameAsRequested"
	}
	if err := cuda.Update(settings); err != nil {
		return err
	}
	return opts.AppendExecutionProviderCUDA(cuda)
}

// Close destroys every loaded session; later calls get ErrClosed, and so do queries
// still running, on their next batch. Close does not wait for loads in progress: each
// destroys its own session when it finishes. It does wait for Predict calls running
// on a session, which hold the session's read lock, and holds no pool lock meanwhile.
func (p *Pool) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	var loaded []*Session
	for k, e := range p.sessions {
		if e.done && e.s != nil {
			loaded = append(loaded, e.s)
		}
		delete(p.sessions, k)
	}
	p.mu.Unlock()
	var first error
	for _, s := range loaded {
		if err := s.destroy(); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// Session is one loaded model instance. Predict may be called from many goroutines.
type Session struct {
	task      *Task
	placement Placement
	s         *ort.DynamicAdvancedSession
	outType   ort.TensorElementDataType // the output's declared element type

	mu   sync.RWMutex // held for reading by Predict, for writing by destroy
	dead bool
}

func (s *Session) destroy() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.dead {
		return nil
	}
	s.dead = true
	openSessions.Add(-1)
	return s.s.Destroy()
}

// Task is the task whose model the session runs.
func (s *Session) Task() *Task { return s.task }
