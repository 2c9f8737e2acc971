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
