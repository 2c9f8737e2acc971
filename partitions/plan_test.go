package partitions

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/duckinfer/duckinfer/gpu"
	"github.com/duckinfer/duckinfer/models"
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
				s := p.SlotFor(part)
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
	if p.SlotFor(4).Index != 1 {
		t.Fatalf("round robin: %d", p.SlotFor(4).Index)
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

func TestSplit(t *testing.T) {
	cases := []struct {
		n, size int
		want    string
	}{
		{0, 4, ""}, {1, 4, "[0,1)"}, {10, 4, "[0,4)[4,8)[8,10)"}, {8, 4, "[0,4)[4,8)"}, {3, 1, "[0,1)[1,2)[2,3)"}, {5, 0, "[0,5)"},
	}
	for _, c := range cases {
		var sb strings.Builder
		for lo, hi := range Split(c.n, c.size) {
			fmt.Fprintf(&sb, "[%d,%d)", lo, hi)
		}
		if sb.String() != c.want {
			t.Errorf("Split(%d,%d) = %s, want %s", c.n, c.size, sb.String(), c.want)
		}
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

// recorder is a Predictor that records batch sizes and can fail one batch.
type recorder struct {
	sizes  []int
	failAt int
}

func (r *recorder) Predict(ctx context.Context, b *models.Batch, res *models.Result) error {
	r.sizes = append(r.sizes, b.N)
	if len(r.sizes)-1 == r.failAt {
		return errors.New("boom")
	}
	for i := range b.N {
		res.Class[i] = int32(len(b.Inputs[0].Strings[i]))
	}
	return nil
}

func TestInferBatchesAndErrors(t *testing.T) {
	task := &models.Task{Name: "t", Config: models.Config{Inputs: []models.InputSpec{{Name: "x", Columns: []string{"c"}, Type: models.InputString}}, Labels: []string{"a", "b"}}}
	strs := []string{"a", "bb", "ccc", "dddd", "eeeee"}
	b := models.Batch{N: 5, Inputs: []models.InputData{{Strings: strs}}}
	var res models.Result
	r := &recorder{failAt: -1}
	if err := Infer(context.Background(), r, task, &b, 2, &res); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(r.sizes) != "[2 2 1]" || fmt.Sprint(res.Class) != "[1 2 3 4 5]" {
		t.Fatalf("sizes %v classes %v", r.sizes, res.Class)
	}
	r = &recorder{failAt: 1}
	err := Infer(context.Background(), r, task, &b, 2, &res)
	var be *BatchError
	if !errors.As(err, &be) || be.Lo != 2 || be.Hi != 4 {
		t.Fatalf("got %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r = &recorder{failAt: -1}
	if err := Infer(ctx, r, task, &b, 2, &res); !errors.Is(err, context.Canceled) || len(r.sizes) != 0 {
		t.Fatalf("cancelled: %v after %d batches", err, len(r.sizes))
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
