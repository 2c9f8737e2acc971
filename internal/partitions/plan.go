package partitions

import (
	"errors"
	"fmt"
	"runtime"
	"sync/atomic"
	"time"

	"github.com/duckinfer/duckinfer/internal/gpu"
	"github.com/duckinfer/duckinfer/internal/models"
)

// Device choices for Options.Device.
const (
	DeviceAuto = "auto"
	DeviceCPU  = "cpu"
	DeviceCUDA = "cuda"
)

// DefaultModelsPerGPU follows Triton's habit: two instances per card let one copy
// data while the other computes.
const DefaultModelsPerGPU = 2

// MaxCPUSlots bounds Options.CPUSlots: a plan lays out every slot, and each query keeps
// a flag per slot, so a mistaken huge count would allocate that much before any row; a
// CPU instance per core is the most that pays, and no machine has this many cores.
const MaxCPUSlots = 4096

// ErrPlan marks an impossible placement request.
var ErrPlan = errors.New("no placement")

// Options say how to place model instances.
type Options struct {
	Device       string // auto | cpu | cuda
	ModelsPerGPU int    // instances per GPU; 0 means DefaultModelsPerGPU
	CPUSlots     int    // CPU instances without GPUs; 0 means one per core
	GPUMemLimit  int64  // bytes per CUDA session; 0 means no cap
	// NoCUDA, set by the binding rather than the user, says why this process cannot run
	// CUDA sessions even with GPUs present ("" when it can): the ONNX Runtime it loads is
	// the CPU build. auto then plans CPU with it in the note, and cuda is refused with it.
	NoCUDA string
}

// Slot is one model instance position.
type Slot struct {
	Index     int
	Placement models.Placement
}

// Plan is the ordered list of slots a query's partitions are spread over.
type Plan struct {
	Device string // resolved: cpu or cuda
	Slots  []Slot
	Note   string // why auto chose CPU, when it did
}

// NewPlan lays out slots. With GPUs, slot s sits on GPU s % G as instance s / G, so
// partitions 0..G-1 land on different cards first (the seed's partition % num_gpus).
func NewPlan(inv gpu.Inventory, o Options) (Plan, error) {
	if o.Device == "" {
		o.Device = DeviceAuto
	}
	if o.ModelsPerGPU == 0 {
		o.ModelsPerGPU = DefaultModelsPerGPU
	}
	if o.ModelsPerGPU < 0 || o.ModelsPerGPU > 64 {
		return Plan{}, fmt.Errorf("%w: models_per_gpu %d is out of range 1..64", ErrPlan, o.ModelsPerGPU)
	}
	if o.GPUMemLimit < 0 {
		return Plan{}, fmt.Errorf("%w: gpu_mem_limit %d must be ≥ 0 (0 = no cap)", ErrPlan, o.GPUMemLimit)
	}
	if o.CPUSlots < 0 {
		return Plan{}, fmt.Errorf("%w: CPU slots %d must be ≥ 0 (0 = one per core)", ErrPlan, o.CPUSlots)
	}
	if o.CPUSlots > MaxCPUSlots {
		return Plan{}, fmt.Errorf("%w: CPU slots %d is out of range 0..%d (0 = one per core)", ErrPlan, o.CPUSlots, MaxCPUSlots)
	}
	g := len(inv.GPUs)
	switch o.Device {
	case DeviceCUDA:
		if g == 0 {
			return Plan{}, fmt.Errorf("%w: device 'cuda' was requested but no GPU is usable (%s); use device := 'auto' or 'cpu'", ErrPlan, inv.Reason)
		}
		if o.NoCUDA != "" {
			return Plan{}, fmt.Errorf("%w: device 'cuda' was requested, %d GPU(s) seen, but %s; or use device := 'auto' or 'cpu'", ErrPlan, g, o.NoCUDA)
		}
	case DeviceAuto:
		if g == 0 {
			return cpuPlan(o, "auto chose CPU: "+inv.Reason), nil
		}
		if o.NoCUDA != "" {
			return cpuPlan(o, fmt.Sprintf("auto chose CPU: %d GPU(s) seen, but %s", g, o.NoCUDA)), nil
		}
	case DeviceCPU:
		return cpuPlan(o, ""), nil
	default:
		return Plan{}, fmt.Errorf("%w: device %q is not one of 'auto', 'cpu', 'cuda'", ErrPlan, o.Device)
	}
	p := Plan{Device: DeviceCUDA}
	for s := range g * o.ModelsPerGPU {
		d := inv.GPUs[s%g]
		p.Slots = append(p.Slots, Slot{Index: s, Placement: models.Placement{
			Device: DeviceCUDA, DeviceID: d.Index, Instance: s / g, Threads: 1, GPUMemLimit: o.GPUMemLimit,
		}})
	}
	return p, nil
}

func cpuPlan(o Options, note string) Plan {
	n := o.CPUSlots
	if n <= 0 {
		n = runtime.NumCPU()
	}
	p := Plan{Device: DeviceCPU, Note: note}
	for s := range n {
		p.Slots = append(p.Slots, Slot{Index: s, Placement: models.Placement{Device: DeviceCPU, Instance: s, Threads: 1}})
	}
	return p
}

// Assigner hands out a plan's slots to the partitions of one query. A partition
// prefers its home slot (index mod slots, the seed's round-robin) but takes the next
// idle slot when another partition of the query holds it, and with every slot held,
// the least busy one. Indices are stable for the
// database's life and every new calling thread (the client's, not only DuckDB's
// workers) gets the next one, so in a long session two threads of one query often
// share a home slot while another sits idle; two threads on one CPU session ran
// 233 k rows/s against 264 k on two (make bench, slot sweep).
type Assigner struct {
	plan Plan
	busy []atomic.Int32
	// last is when each slot was last given back (clock's nanoseconds; the
	// Assigner's creation for a slot never taken), for Spare.
	last  []atomic.Int64
	clock func() int64
}

// NewAssigner tracks the slots of plan.
func NewAssigner(plan Plan) *Assigner {
	return newAssigner(plan, monotonic)
}

func newAssigner(plan Plan, clock func() int64) *Assigner {
	a := &Assigner{plan: plan, busy: make([]atomic.Int32, len(plan.Slots)), last: make([]atomic.Int64, len(plan.Slots)), clock: clock}
	now := clock()
	for i := range a.last {
		a.last[i].Store(now)
	}
	return a
}

var epoch = time.Now()

// monotonic is nanoseconds on the monotonic clock.
func monotonic() int64 { return int64(time.Since(epoch)) }

// release gives slot s back.
func (a *Assigner) release(s int) {
	a.last[s].Store(a.clock())
	a.busy[s].Add(-1)
}

// Acquire returns partition's slot and the function that gives it back.
func (a *Assigner) Acquire(partition int) (Slot, func()) {
	n := len(a.busy)
	home := partition % n
	for {
		// The least busy slot, the first from home onward on ties: an idle home when
		// there is one, and with more partitions than slots an even spread rather
		// than a pile on home while another slot holds fewer.
		best, least := home, a.busy[home].Load()
		for i := 1; i < n && least > 0; i++ {
			s := (home + i) % n
			if b := a.busy[s].Load(); b < least {
				best, least = s, b
			}
		}
		// Another partition may have taken it since: look again.
		if a.busy[best].CompareAndSwap(least, least+1) {
			return a.plan.Slots[best], func() { a.release(best) }
		}
	}
}

// HelpGap is how long a slot must have been left alone before Spare lends it: far
// longer than a partition spends between two of its chunks (DuckDB scanning and
// writing 2048 rows, well under a millisecond), far shorter than the tail it cuts (a
// row group left to one thread: up to 122,880 rows of inference).
const HelpGap = 20 * time.Millisecond

// Spare lends a partition that holds a slot up to want more slots for helpers to run
// batches of its chunk beside it, when the query has cores it is not using: DuckDB
// scans a table one row group at a time, so a table of few row groups, or a scan's
// last row group, keeps fewer threads busy than it has. threads is DuckDB's thread
// count: slots held or given back within gap (partitions at work) and the lent ones
// together stay within it, and only the first threads slots are lent, so no more
// model instances are loaded than threads partitions would.
//
// One of DuckDB's threads is the query's client thread, which spins while it has
// nothing to run (PendingQueryResult's busy wait: 12 % of a profile's samples were its
// mutexes), where DuckDB's own workers sleep. Unless the caller is that thread
// (callerIsClient), one more core counts as taken: lending into the spinning thread's
// core measured slower than not lending at all.
//
// It returns the lent slots and the function that gives them all back; none when
// nothing is spare.
func (a *Assigner) Spare(threads, want int, gap time.Duration, callerIsClient bool) ([]Slot, func()) {
	n := min(threads, len(a.busy))
	if want <= 0 || n <= 1 {
		return nil, nil
	}
	now := a.clock()
	working := 0
	for s := range a.busy {
		if a.busy[s].Load() > 0 || now-a.last[s].Load() < int64(gap) {
			working++
		}
	}
	if !callerIsClient {
		working++
	}
	want = min(want, threads-working)
	var lent []Slot
	for s := 0; s < n && len(lent) < want; s++ {
		if now-a.last[s].Load() >= int64(gap) && a.busy[s].CompareAndSwap(0, 1) {
			lent = append(lent, a.plan.Slots[s])
		}
	}
	if len(lent) == 0 {
		return nil, nil
	}
	// Given back without a new time: a lent slot stays spare for the partition's next
	// chunk, while its own partition's return would make it working again.
	return lent, func() {
		for _, sl := range lent {
			a.busy[sl.Index].Add(-1)
		}
	}
}
