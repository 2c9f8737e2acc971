package partitions

import (
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/duckinfer/duckinfer/internal/gpu"
)

func TestPlanSimulatedGPUs(t *testing.T) {
	for _, g := range []int{1, 4, 8} {
		for _, m := range []int{1, 2, 3} {
			p, err := NewPlan(gpu.Simulated(g), Options{ModelsPerGPU: m})
			if err != nil {
				t.Fatal(err)
			}
			if p.Device != DeviceCUDA || len(p.Slots) != g*m {
				t.Fatalf("g=%d m=%d: %s with %d slots", g, m, p.Device, len(p.Slots))
			}
			perGPU := map[int]int{}
			for part := range 3 * g * m {
				s := slotFor(p, part)
				// The seed's rule: partition i on GPU i % G.
				if s.Placement.DeviceID != part%g {
					t.Fatalf("g=%d m=%d partition %d on GPU %d, want %d", g, m, part, s.Placement.DeviceID, part%g)
				}
				if part < g*m {
					perGPU[s.Placement.DeviceID]++
				}
				if s.Placement.Device != "cuda" || s.Placement.Threads != 1 {
					t.Fatalf("placement %+v", s.Placement)
				}
			}
			for d := range g {
				if perGPU[d] != m {
					t.Fatalf("g=%d m=%d: GPU %d got %d of the first %d partitions, want %d", g, m, d, perGPU[d], g*m, m)
				}
			}
			// Distinct slots are distinct (device, instance) pairs.
			seen := map[string]bool{}
			for _, s := range p.Slots {
				k := fmt.Sprint(s.Placement.DeviceID, "/", s.Placement.Instance)
				if seen[k] {
					t.Fatalf("duplicate slot %s", k)
				}
				seen[k] = true
			}
		}
	}
}

func TestPlanDefaultsAndCPU(t *testing.T) {
	p, _ := NewPlan(gpu.Simulated(4), Options{})
	if len(p.Slots) != 4*DefaultModelsPerGPU {
		t.Fatalf("default models_per_gpu: %d slots", len(p.Slots))
	}
	p, err := NewPlan(gpu.Simulated(0), Options{CPUSlots: 3})
	if err != nil || p.Device != DeviceCPU || len(p.Slots) != 3 || !strings.Contains(p.Note, "auto chose CPU") {
		t.Fatalf("auto without GPU: %+v %v", p, err)
	}
	if slotFor(p, 4).Index != 1 {
		t.Fatalf("round robin: %d", slotFor(p, 4).Index)
	}
	p, _ = NewPlan(gpu.Simulated(8), Options{Device: DeviceCPU, CPUSlots: 2})
	if p.Device != DeviceCPU || len(p.Slots) != 2 {
		t.Fatalf("explicit cpu with GPUs: %+v", p)
	}
	if _, err := NewPlan(gpu.Simulated(0), Options{Device: DeviceCUDA}); !errors.Is(err, ErrPlan) || !strings.Contains(err.Error(), "no GPU") {
		t.Fatalf("cuda without GPU: %v", err)
	}
	for _, o := range []Options{{Device: "tpu"}, {ModelsPerGPU: -1}, {ModelsPerGPU: 65}, {GPUMemLimit: -5}} {
		if _, err := NewPlan(gpu.Simulated(1), o); !errors.Is(err, ErrPlan) {
			t.Errorf("%+v: got %v", o, err)
		}
	}
}

func TestPlanDeterministic(t *testing.T) {
	a, _ := NewPlan(gpu.Simulated(4), Options{ModelsPerGPU: 2})
	b, _ := NewPlan(gpu.Simulated(4), Options{ModelsPerGPU: 2})
	if fmt.Sprint(a) != fmt.Sprint(b) {
		t.Fatal("same inputs gave different plans")
	}
}

func TestThreadsStableIndex(t *testing.T) {
	var th Threads
	a := th.Current()
	if th.Current() != a {
		t.Fatal("same thread changed index")
	}
	var wg sync.WaitGroup
	idx := make([]int, 8)
	for i := range idx {
		wg.Add(1)
		go func() {
			defer wg.Done()
			idx[i] = th.Current()
		}()
	}
	wg.Wait()
	for _, v := range idx {
		if v < 0 || v >= th.Count() {
			t.Fatalf("index %d outside [0,%d)", v, th.Count())
		}
	}
}

func TestAssignerSpreadsConcurrentPartitions(t *testing.T) {
	p, _ := NewPlan(gpu.Simulated(2), Options{ModelsPerGPU: 2})
	a := NewAssigner(p)
	// Partitions 1 and 5 share home slot 1; held together they get different slots.
	s1, r1 := a.Acquire(1)
	s5, r5 := a.Acquire(5)
	if s1.Index != 1 || s5.Index == 1 {
		t.Fatalf("got slots %d and %d", s1.Index, s5.Index)
	}
	r5()
	// Released, partition 5 gets its home slot back when that is free.
	r1()
	if s, r := a.Acquire(5); s.Index != 1 {
		t.Fatalf("partition 5 got slot %d, want its home slot 1", s.Index)
	} else {
		r()
	}
	// More holders than slots: everyone gets a slot, homes are shared.
	var rel []func()
	seen := map[int]int{}
	for part := range 6 {
		s, r := a.Acquire(part)
		seen[s.Index]++
		rel = append(rel, r)
	}
	if len(seen) != 4 {
		t.Fatalf("6 holders used %d of 4 slots: %v", len(seen), seen)
	}
	for _, r := range rel {
		r()
	}
	for i := range a.busy {
		if a.busy[i].Load() != 0 {
			t.Fatalf("slot %d still busy", i)
		}
	}
}

// slotFor is a partition's home slot: index mod slot count (what Assigner prefers).
func slotFor(p Plan, partition int) Slot {
	return p.Slots[partition%len(p.Slots)]
}

// Pins: 'auto' planned CUDA where the process can only run the CPU ONNX Runtime, and a
// negative CPUSlots passed as "one per core".
func TestPlanNoCUDA(t *testing.T) {
	const why = "the CPU build is installed"
	p, err := NewPlan(gpu.Simulated(2), Options{CPUSlots: 1, NoCUDA: why})
	if err != nil || p.Device != DeviceCPU || len(p.Slots) != 1 || p.Note != "auto chose CPU: 2 GPU(s) seen, but "+why {
		t.Fatalf("auto: %+v %v", p, err)
	}
	if _, err := NewPlan(gpu.Simulated(2), Options{Device: DeviceCUDA, NoCUDA: why}); !errors.Is(err, ErrPlan) || !strings.Contains(err.Error(), why) {
		t.Fatalf("cuda: %v", err)
	}
	if _, err := NewPlan(gpu.Simulated(0), Options{CPUSlots: -1}); !errors.Is(err, ErrPlan) {
		t.Fatalf("CPUSlots -1: %v", err)
	}
}

// Pins: CPUSlots had no upper bound, and NewPlan laid out every slot of a huge count
// (WithCPUSlots(1<<30) allocated tens of GB before any query ran).
func TestPlanCPUSlotsBound(t *testing.T) {
	if p, err := NewPlan(gpu.Simulated(0), Options{CPUSlots: MaxCPUSlots}); err != nil || len(p.Slots) != MaxCPUSlots {
		t.Fatalf("CPUSlots %d: %d slots, %v", MaxCPUSlots, len(p.Slots), err)
	}
	for _, n := range []int{MaxCPUSlots + 1, 1 << 30} {
		_, err := NewPlan(gpu.Simulated(0), Options{CPUSlots: n})
		if want := fmt.Sprintf("CPU slots %d is out of range 0..%d", n, MaxCPUSlots); !errors.Is(err, ErrPlan) || !strings.Contains(err.Error(), want) {
			t.Errorf("CPUSlots %d: %v, want an error with %q", n, err, want)
		}
	}
}

// Pins: Threads kept an entry, and a new index, for every OS thread that ever called
// in, so a host whose threads come and go (a Python thread pool, Node workers) grew the
// map forever and spread its partitions over ever higher indices.
func TestThreadsForgetEndedThreads(t *testing.T) {
	var th Threads
	for range 400 {
		done := make(chan struct{})
		go func() {
			defer close(done)
			// Exiting while locked ends the OS thread, as a host's short-lived thread ends.
			runtime.LockOSThread()
			th.Current()
		}()
		<-done
	}
	entries := 0
	th.ids.Range(func(_, _ any) bool { entries++; return true })
	if entries > 2*threadsPruneMin || th.Count() > 2*threadsPruneMin {
		t.Fatalf("after 400 threads that ended: %d entries, %d indices; want at most %d each", entries, th.Count(), 2*threadsPruneMin)
	}
	// A live thread keeps its index across the pruning.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	a := th.Current()
	for range 2 * threadsPruneMin {
		done := make(chan struct{})
		go func() { defer close(done); runtime.LockOSThread(); th.Current() }()
		<-done
	}
	if b := th.Current(); b != a {
		t.Fatalf("a live thread's index changed from %d to %d", a, b)
	}
}
