package partitions

import (
	"sync"
	"testing"

	"github.com/duckinfer/duckinfer/internal/gpu"
)

// Pins: with more concurrent partitions than slots, the extra ones piled onto their home
// slot while another slot held fewer.
func TestAssignerBalancesOverflow(t *testing.T) {
	// 2 GPUs × 2 instances, eight partitions of one query at once whose indices are 0..6
	// and 8 (index 7 went to a client thread of an earlier query, as Threads numbers
	// every thread).
	p, err := NewPlan(gpu.Simulated(2), Options{})
	if err != nil {
		t.Fatal(err)
	}
	a := NewAssigner(p)
	perSlot, perGPU := map[int]int{}, map[int]int{}
	for _, part := range []int{0, 1, 2, 3, 4, 5, 6, 8} {
		s, _ := a.Acquire(part)
		perSlot[s.Index]++
		perGPU[s.Placement.DeviceID]++
	}
	if perGPU[0] != 4 || perGPU[1] != 4 || len(perSlot) != 4 {
		t.Fatalf("8 concurrent partitions on 2 GPUs × 2 slots: per slot %v, per GPU %v; want 2 per slot, 4 per GPU", perSlot, perGPU)
	}
	for s, n := range perSlot {
		if n != 2 {
			t.Fatalf("slot %d holds %d partitions (per slot %v), want 2 each", s, n, perSlot)
		}
	}
}

// On a tie the first least busy slot from home onward wins, and a released slot is
// taken again before a busier one.
func TestAssignerOverflowTies(t *testing.T) {
	p := cpuPlan(Options{CPUSlots: 3}, "")
	a := NewAssigner(p)
	for _, part := range []int{0, 0, 0} {
		a.Acquire(part)
	}
	if s, _ := a.Acquire(2); s.Index != 2 {
		t.Fatalf("all slots hold 1: partition 2 got slot %d, want its home 2", s.Index)
	}
	if s, _ := a.Acquire(2); s.Index != 0 {
		t.Fatalf("slots hold 1, 1, 2: partition 2 got slot %d, want 0 (the first least busy after home)", s.Index)
	}
	s, release := a.Acquire(1)
	if s.Index != 1 {
		t.Fatalf("slots hold 2, 1, 2: partition 1 got slot %d, want 1", s.Index)
	}
	release()
	if s, _ := a.Acquire(0); s.Index != 1 {
		t.Fatalf("slots hold 2, 1, 2 after a release: partition 0 got slot %d, want 1", s.Index)
	}
}

// Concurrent holders never leave a slot's count off: all released, every slot is idle,
// and while 8 hold 4 slots none holds more than 2.
func TestAssignerConcurrentOverflow(t *testing.T) {
	a := NewAssigner(cpuPlan(Options{CPUSlots: 4}, ""))
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 2000 {
				_, release := a.Acquire(g)
				release()
			}
		}()
	}
	wg.Wait()
	var held []func()
	for part := range 8 {
		_, r := a.Acquire(part * 4) // every one's home is slot 0
		held = append(held, r)
	}
	for i := range a.busy {
		if n := a.busy[i].Load(); n != 2 {
			t.Errorf("slot %d holds %d of 8 partitions on 4 slots, want 2", i, n)
		}
	}
	for _, r := range held {
		r()
	}
	for i := range a.busy {
		if n := a.busy[i].Load(); n != 0 {
			t.Fatalf("slot %d still busy (%d) after every release", i, n)
		}
	}
}

// Spare lends only slots that no partition holds or left within the gap, only among
// the first threads slots, and never lets the query run more inferences at once than
// DuckDB has threads; a lent slot given back stays spare.
func TestAssignerSpare(t *testing.T) {
	var now int64
	clock := func() int64 { return now }
	gap := HelpGap
	a := newAssigner(cpuPlan(Options{CPUSlots: 4}, ""), clock)
	client := true // the calling partition runs on the query's client thread
	lent := func(threads, want int) []int {
		t.Helper()
		slots, giveBack := a.Spare(threads, want, gap, client)
		var idx []int
		for _, s := range slots {
			idx = append(idx, s.Index)
		}
		if giveBack != nil {
			giveBack()
		}
		return idx
	}
	s0, rel0 := a.Acquire(0)
	if got := lent(4, 3); got != nil {
		t.Fatalf("at the query's start (slots untouched for less than the gap) Spare lent %v, want none", got)
	}
	now += int64(gap)
	if got := lent(1, 3); got != nil {
		t.Fatalf("threads=1: Spare lent %v, want none", got)
	}
	if got := lent(2, 3); len(got) != 1 || got[0] != 1 {
		t.Fatalf("threads=2, partition 0 on slot %d: Spare lent %v, want [1]", s0.Index, got)
	}
	if got := lent(4, 2); len(got) != 2 || got[0] != 1 || got[1] != 2 {
		t.Fatalf("threads=4, want 2: Spare lent %v, want [1 2]", got)
	}
	if got := lent(4, 3); len(got) != 3 {
		t.Fatalf("a lent slot given back: Spare lent %v, want three again", got)
	}
	// Called from a worker thread, the client thread may be spinning: one core fewer.
	client = false
	if got := lent(2, 3); got != nil {
		t.Fatalf("threads=2, caller not the client: Spare lent %v, want none", got)
	}
	if got := lent(4, 3); len(got) != 2 {
		t.Fatalf("threads=4, caller not the client: Spare lent %v, want two", got)
	}
	client = true
	// Partition 1 works on slot 1, then is between two chunks: not spare until the gap passes.
	s1, rel1 := a.Acquire(1)
	if got := lent(2, 3); got != nil {
		t.Fatalf("threads=2 with two partitions at work: Spare lent %v, want none", got)
	}
	rel1()
	now += int64(gap) / 2
	if got := lent(2, 3); got != nil {
		t.Fatalf("partition 1 left slot %d half a gap ago: Spare lent %v, want none", s1.Index, got)
	}
	if got := lent(4, 3); len(got) != 2 || got[0] != 2 || got[1] != 3 {
		t.Fatalf("threads=4, slot 1 left half a gap ago: Spare lent %v, want [2 3]", got)
	}
	now += int64(gap)
	if got := lent(2, 3); len(got) != 1 || got[0] != 1 {
		t.Fatalf("slot 1 idle for the gap: Spare lent %v, want [1]", got)
	}
	// Held slots are never lent, and the lent ones are held until given back.
	slots, giveBack := a.Spare(4, 3, gap, true)
	if len(slots) != 3 {
		t.Fatalf("Spare lent %v, want three", slots)
	}
	if got := lent(4, 3); got != nil {
		t.Fatalf("every slot held: Spare lent %v, want none", got)
	}
	giveBack()
	rel0()
}
