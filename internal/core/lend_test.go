package core

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	ort "github.com/yalue/onnxruntime_go"

	"github.com/duckinfer/duckinfer/internal/models"
	"github.com/duckinfer/duckinfer/internal/partitions"
)

// sharedRecorder is a predictor for several sessions at once: it logs which session
// ran which batch, fails the batches it is told to (by first row) and any one-row
// batch whose text is "bad", and panics on a batch starting at panicAt.
type sharedRecorder struct {
	mu      sync.Mutex
	runs    map[string][]string // session → batches run
	failLo  map[int]bool
	panicAt int
	texts   []string
}

func (r *sharedRecorder) session(name string) predictor {
	return predictFunc(func(_ context.Context, _ []models.InputData, lo, hi int, out models.OutputData) error {
		r.mu.Lock()
		r.runs[name] = append(r.runs[name], fmt.Sprintf("[%d,%d)", lo, hi))
		r.mu.Unlock()
		// Long enough that the helpers get batches of their own.
		time.Sleep(time.Millisecond)
		if lo == r.panicAt && hi-lo > 1 {
			panic("kaboom")
		}
		if (r.failLo[lo] && hi-lo > 1) || (hi-lo == 1 && r.texts[lo] == "bad") {
			return errors.New("boom")
		}
		cd := out.(*models.ClassData)
		for i := lo; i < hi; i++ {
			cd.Class[i], cd.Confidence[i] = int32(i%2), 0.75
		}
		return nil
	})
}

type predictFunc func(context.Context, []models.InputData, int, int, models.OutputData) error

func (f predictFunc) Predict(ctx context.Context, in []models.InputData, lo, hi int, out models.OutputData) error {
	return f(ctx, in, lo, hi, out)
}

// lendCall is testCall with two CPU slots, threads DuckDB threads, the partition
// holding slot 0, and the other slot idle for longer than the lending gap. The test's
// goroutine is not the call's client thread (Bind did not run), so one of threads
// counts as the client's.
func lendCall(t *testing.T, texts []string, onError string, threads int, r *sharedRecorder) (*Call, *Chunk, func()) {
	t.Helper()
	c, ch := testCall(t, texts, 2, onError)
	c.Threads = threads
	c.slots = partitions.NewAssigner(partitions.Plan{Device: "cpu", Slots: []partitions.Slot{
		{Index: 0, Placement: models.Placement{Device: "cpu", Instance: 0}},
		{Index: 1, Placement: models.Placement{Device: "cpu", Instance: 1}},
	}})
	r.runs = map[string][]string{}
	testLendSession = func(pl models.Placement) (predictor, error) { return r.session(fmt.Sprint("slot", pl.Instance)), nil }
	t.Cleanup(func() { testLendSession = nil })
	_, release := c.slots.Acquire(0)
	time.Sleep(partitions.HelpGap + 5*time.Millisecond)
	return c, ch, release
}

func (r *sharedRecorder) all() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var b []string
	for _, runs := range r.runs {
		b = append(b, runs...)
	}
	slices.Sort(b)
	return b
}

func texts(n int) []string {
	s := make([]string, n)
	for i := range s {
		s[i] = fmt.Sprint("t", i)
	}
	return s
}

// With a slot idle, a chunk's batches after the first run on it too, each once; the
// first runs alone until a batch has decoded, then every batch may be lent.
func TestLendRunsEachBatchOnce(t *testing.T) {
	r := &sharedRecorder{panicAt: -1}
	c, ch, release := lendCall(t, texts(40), OnErrorFail, 3, r)
	defer release()
	if err := c.infer(context.Background(), r.session("partition"), ch, 40); err != nil || ch.failed != nil {
		t.Fatal(err, ch.failed)
	}
	var want []string
	for lo := 0; lo < 40; lo += 2 {
		want = append(want, fmt.Sprintf("[%d,%d)", lo, lo+2))
	}
	slices.Sort(want)
	if got := r.all(); !slices.Equal(got, want) {
		t.Fatalf("batches run %v, want each of %v once", got, want)
	}
	if len(r.runs["slot1"]) == 0 || r.runs["partition"][0] != "[0,2)" || slices.Contains(r.runs["slot1"], "[0,2)") {
		t.Fatalf("runs %v: want the first batch on the partition's session, later ones on slot 1 too", r.runs)
	}
	for i := range 40 {
		if cd := ch.output.(*models.ClassData); cd.Class[i] != int32(i%2) {
			t.Fatalf("row %d: class %d", i, cd.Class[i])
		}
	}
	if ch.lent != 2*len(r.runs["slot1"]) {
		t.Fatalf("the chunk counts %d rows lent, slot 1 ran %d batches of 2", ch.lent, len(r.runs["slot1"]))
	}
	// The chunk has decoded: the next one lends from its first batch.
	r.runs = map[string][]string{}
	if err := c.infer(context.Background(), r.session("partition"), ch, 40); err != nil {
		t.Fatal(err)
	}
	if got := r.all(); len(got) != 20 || len(r.runs["slot1"]) == 0 {
		t.Fatalf("second chunk: runs %v", r.runs)
	}
	// threads=2 from a worker thread: the other core may be the client's, spinning.
	r2 := &sharedRecorder{panicAt: -1}
	c, ch, release2 := lendCall(t, texts(40), OnErrorFail, 2, r2)
	defer release2()
	if err := c.infer(context.Background(), r2.session("partition"), ch, 40); err != nil {
		t.Fatal(err)
	}
	if len(r2.runs["slot1"]) != 0 {
		t.Fatalf("threads = 2, not on the client thread: runs %v, want none lent", r2.runs)
	}
	// threads=2 on the client thread (the one Bind ran on): the other core is idle.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	r3 := &sharedRecorder{panicAt: -1}
	c, ch, release3 := lendCall(t, texts(40), OnErrorFail, 2, r3)
	defer release3()
	c.bindTID, c.bindTIDOK = partitions.ThreadID()
	if err := c.infer(context.Background(), r3.session("partition"), ch, 40); err != nil {
		t.Fatal(err)
	}
	if _, ok := partitions.ThreadID(); ok && len(r3.runs["slot1"]) == 0 {
		t.Fatalf("threads = 2 on the client thread: runs %v, want batches lent", r3.runs)
	}
	// DuckDB with one thread: nothing is lent.
	r4 := &sharedRecorder{panicAt: -1}
	c, ch, release4 := lendCall(t, texts(40), OnErrorFail, 1, r4)
	defer release4()
	c.bindTID, c.bindTIDOK = partitions.ThreadID()
	if err := c.infer(context.Background(), r4.session("partition"), ch, 40); err != nil {
		t.Fatal(err)
	}
	if len(r4.runs["slot1"]) != 0 || len(r4.runs["partition"]) != 20 {
		t.Fatalf("threads = 1: runs %v, want all 20 batches on the partition's session", r4.runs)
	}
}

// A lent batch that fails is re-run row by row on the partition's session, as a batch
// of its own is: 'null' keeps every other row, 'fail' names the bad one.
func TestLendFailedBatches(t *testing.T) {
	in := texts(40)
	in[31] = "bad"
	for _, mode := range []string{OnErrorNull, OnErrorFail} {
		r := &sharedRecorder{panicAt: -1, texts: in, failLo: map[int]bool{30: true}}
		c, ch, release := lendCall(t, in, mode, 3, r)
		err := c.infer(context.Background(), r.session("partition"), ch, 40)
		release()
		if err != nil {
			t.Fatalf("%s: %v", mode, err)
		}
		for b, e := range ch.failed {
			if (e != nil) != (b == 31) {
				t.Fatalf("%s: row %d failed=%v; want only row 31", mode, b, e)
			}
		}
		if ch.failed == nil {
			t.Fatalf("%s: no row failed; want row 31", mode)
		}
		if runs := r.runs["partition"]; !slices.Contains(runs, "[30,31)") || !slices.Contains(runs, "[31,32)") {
			t.Fatalf("%s: the failed batch's rows were not re-run alone on the partition's session: %v", mode, r.runs)
		}
	}
}

// A panic in a lent batch is the chunk's error, not the process's end; a cancelled
// query stops.
func TestLendPanicAndCancel(t *testing.T) {
	r := &sharedRecorder{panicAt: 20}
	c, ch, release := lendCall(t, texts(40), OnErrorFail, 3, r)
	defer release()
	err := c.infer(context.Background(), r.session("partition"), ch, 40)
	if err == nil || !strings.Contains(err.Error(), "kaboom") {
		t.Fatalf("got %v, want the panic as an error", err)
	}
	r = &sharedRecorder{panicAt: -1}
	c, ch, release2 := lendCall(t, texts(40), OnErrorFail, 3, r)
	defer release2()
	ctx, cancel := context.WithCancel(context.Background())
	r.failLo = nil
	stop := r.session("partition")
	n := 0
	cancelling := predictFunc(func(ctx2 context.Context, in []models.InputData, lo, hi int, out models.OutputData) error {
		if n++; n == 3 {
			cancel()
		}
		return stop.Predict(ctx2, in, lo, hi, out)
	})
	if err := c.infer(ctx, cancelling, ch, 40); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: got %v", err)
	}
	if got := len(r.all()); got >= 20 {
		t.Fatalf("cancelled after 3 batches of the partition, %d of 20 ran", got)
	}
}

func needORT(t *testing.T) {
	t.Helper()
	if _, err := models.InitRuntime(models.FlavorCPU); err != nil {
		t.Skip(err)
	}
}

// regressLendCall is a regress call (one float32 column) with two CPU slots, slot 1
// idle past the lending gap, threads=3.
func regressLendCall(t *testing.T, n int, onError string) (*Call, *Chunk, func()) {
	t.Helper()
	cfg, err := models.ParseConfig([]byte(`{"kind":"regress","inputs":[{"name":"x","columns":["a"],"type":"float32"}],"output":"y"}`))
	if err != nil {
		t.Fatal(err)
	}
	task := &models.Task{Name: "r", Config: cfg}
	c := &Call{Task: task, Columns: []string{"a"}, BatchSize: 2, OnError: onError, env: &Env{}, Threads: 3}
	c.slots = partitions.NewAssigner(partitions.Plan{Device: "cpu", Slots: []partitions.Slot{
		{Index: 0, Placement: models.Placement{Device: "cpu", Instance: 0}},
		{Index: 1, Placement: models.Placement{Device: "cpu", Instance: 1}},
	}})
	ch := c.chunk()
	nums := make([]float64, n)
	for i := range nums {
		nums[i] = float64(i)
	}
	valid := make([]bool, n)
	for i := range valid {
		valid[i] = true
	}
	if err := ch.inputs[0].Load([]models.Column{&models.Values{ColName: "a", Nums: nums}}, n, valid, func(int, error) {}); err != nil {
		t.Fatal(err)
	}
	ch.output.Reset(n)
	_, release := c.slots.Acquire(0)
	time.Sleep(partitions.HelpGap + 5*time.Millisecond)
	return c, ch, release
}

// decodeRows is a fake model: rows 0 and 1 fail, row r's prediction is r+1000, and
// each session's first decode waits for the other's to start (lent batches' decodes
// overlap), or for a second.
type decodeRows struct {
	barrier  chan struct{}
	arrivals sync.WaitGroup
	lent     atomic.Int64
}

func (d *decodeRows) session(first *sync.Once, lent bool) predictor {
	return predictFunc(func(_ context.Context, _ []models.InputData, lo, hi int, out models.OutputData) error {
		if lo < 2 {
			return errors.New("model error on rows 0 and 1")
		}
		if lent {
			d.lent.Add(int64(hi - lo))
		}
		vals := make([]float32, hi-lo)
		for i := range vals {
			vals[i] = float32(lo + i + 1000)
		}
		tn, err := ort.NewTensor(ort.NewShape(int64(hi-lo), 1), vals)
		if err != nil {
			return err
		}
		defer tn.Destroy()
		first.Do(func() {
			d.arrivals.Done()
			select {
			case <-d.barrier:
			case <-time.After(time.Second):
			}
		})
		time.Sleep(time.Millisecond)
		return out.Decode(tn, lo, hi)
	})
}

// Pins: when the first batch failed on every row (on_error := 'null'), no batch had
// decoded, yet infer lent from batch 1: two sessions then made the output's first
// decode at once, each learning the width and allocating Values for itself (a data
// race; rows decoded into the lost allocation would come out 0). Lending waits for a
// decode.
func TestLendWaitsForAFirstDecode(t *testing.T) {
	needORT(t)
	for iter := range 3 {
		c, ch, release := regressLendCall(t, 40, OnErrorNull)
		d := &decodeRows{barrier: make(chan struct{})}
		d.arrivals.Add(2)
		go func() { d.arrivals.Wait(); close(d.barrier) }()
		var pOnce, hOnce sync.Once
		testLendSession = func(models.Placement) (predictor, error) { return d.session(&hOnce, true), nil }
		err := c.infer(context.Background(), d.session(&pOnce, false), ch, 40)
		testLendSession = nil
		release()
		if err != nil {
			t.Fatalf("iteration %d: infer: %v", iter, err)
		}
		rd := ch.output.(*models.RegressData)
		for r := range 40 {
			failed := ch.failed != nil && ch.failed[r] != nil
			if r < 2 && !failed {
				t.Fatalf("iteration %d: row %d did not fail", iter, r)
			}
			if got := rd.Row(r)[0]; r >= 2 && (failed || got != float64(r+1000)) {
				t.Fatalf("iteration %d: row %d predicted %v, want %d (failed: %v)", iter, r, got, r+1000, failed)
			}
		}
		// Batch [2,4) decoded on the partition's session; the batches after it were lent.
		if d.lent.Load() == 0 {
			t.Fatalf("iteration %d: nothing lent after the first decode", iter)
		}
	}
}

// Each query has its own slots, but the database's threads are shared: with other
// queries' chunks running through models, a query lends only what is left of them.
func TestLendCountsOtherQueries(t *testing.T) {
	for _, tc := range []struct {
		others   int64
		wantLent bool
	}{{0, true}, {1, false}} {
		r := &sharedRecorder{panicAt: -1}
		c, ch, release := lendCall(t, texts(40), OnErrorFail, 3, r)
		// threads=3: the client thread's core, this partition's, and one more. Run
		// counts this partition's chunk; infer alone does not.
		c.env.running().Store(1 + tc.others)
		err := c.infer(context.Background(), r.session("partition"), ch, 40)
		release()
		if err != nil {
			t.Fatal(err)
		}
		if got := len(r.runs["slot1"]) > 0; got != tc.wantLent {
			t.Errorf("%d chunks of other queries running: lent %v, want %v (runs %v)", tc.others, got, tc.wantLent, r.runs)
		}
	}
}

// A lent session's own failure (a device out of memory, say) is not its rows': the
// batch runs again on the partition's session, which answers every row, instead of
// failing the query with "failed on a batch but on none of its rows alone".
func TestLendRerunsALentSessionsFailure(t *testing.T) {
	r := &sharedRecorder{panicAt: -1}
	c, ch, release := lendCall(t, texts(40), OnErrorFail, 3, r)
	defer release()
	var failedLent atomic.Int64
	testLendSession = func(models.Placement) (predictor, error) {
		return predictFunc(func(_ context.Context, _ []models.InputData, lo, hi int, _ models.OutputData) error {
			failedLent.Add(1)
			time.Sleep(time.Millisecond)
			return errors.New("out of device memory")
		}), nil
	}
	if err := c.infer(context.Background(), r.session("partition"), ch, 40); err != nil || ch.failed != nil {
		t.Fatalf("err %v, failed rows %v", err, ch.failed)
	}
	if failedLent.Load() == 0 {
		t.Fatal("no batch was lent")
	}
	if ch.lent != 0 {
		t.Errorf("%d rows count as lent, though every lent batch failed and ran again on the partition's session", ch.lent)
	}
	for i := range 40 {
		if cd := ch.output.(*models.ClassData); cd.Class[i] != int32(i%2) {
			t.Fatalf("row %d: class %d", i, cd.Class[i])
		}
	}
}

// A panic in a model run (the binding recovers it and fails the query) leaves the
// database's count of running inferences as it found it: a leaked count would cut
// every later query's lending for good.
func TestInferringCountSurvivesAPanic(t *testing.T) {
	r := &sharedRecorder{panicAt: 0}
	c, ch, release := lendCall(t, texts(40), OnErrorFail, 3, r)
	defer release()
	func() {
		defer func() { _ = recover() }()
		_ = c.inferCounted(context.Background(), r.session("partition"), ch, 40)
		t.Fatal("no panic")
	}()
	if n := c.env.running().Load(); n != 0 {
		t.Fatalf("after a panic, %d inferences counted as running, want 0", n)
	}
}
