package core

import (
	"strings"
	"testing"

	"github.com/duckinfer/duckinfer/internal/gpu"
	"github.com/duckinfer/duckinfer/internal/models"
	"github.com/duckinfer/duckinfer/internal/partitions"
)

// Pins: with GPUs seen but the CPU ONNX Runtime loaded, 'auto' planned CUDA and every
// query failed. Both bindings (extension, and capi's loadable extension) plan here.
func TestPlanFollowsRuntimeFlavor(t *testing.T) {
	inv := func() gpu.Inventory { return gpu.Simulated(2) }
	cpuEnv := &Env{Inventory: inv, Flavor: models.FlavorCPU, Defaults: partitions.Options{CPUSlots: 3}}
	p, err := cpuEnv.Plan(cpuEnv.Defaults)
	if err != nil || p.Device != partitions.DeviceCPU || len(p.Slots) != 3 ||
		!strings.Contains(p.Note, "auto chose CPU: 2 GPU(s) seen, but the ONNX Runtime installed is the CPU build") || !strings.Contains(p.Note, "make setup-gpu") {
		t.Fatalf("auto, CPU runtime: %+v %v", p, err)
	}
	if _, err := cpuEnv.Plan(partitions.Options{Device: partitions.DeviceCUDA}); err == nil || !strings.Contains(err.Error(), "make setup-gpu") {
		t.Fatalf("cuda, CPU runtime: %v", err)
	}
	tbl, err := cpuEnv.DevicesTable()
	if err != nil || len(tbl.Rows) != 1 || tbl.Rows[0][0] != "cpu" || !strings.Contains(tbl.Rows[0][6].(string), "make setup-gpu") {
		t.Fatalf("ml_devices, CPU runtime: %v %v", tbl, err)
	}
	// As in a fresh process: DevicesTable above loaded the CPU build here, which a GPU
	// Env then follows (TestNoCUDAReasons).
	gpuEnv := &Env{Inventory: inv, Flavor: models.FlavorGPU, Loaded: func() (models.RuntimeInfo, bool) { return models.RuntimeInfo{}, false }}
	if p, err := gpuEnv.Plan(partitions.Options{}); err != nil || p.Device != partitions.DeviceCUDA || len(p.Slots) != 2*partitions.DefaultModelsPerGPU {
		t.Fatalf("auto, GPU runtime: %+v %v", p, err)
	}
}

// The reasons core gives a CUDA refusal, by what is installed and what is loaded: only
// a missing GPU build suggests make setup-gpu.
func TestNoCUDAReasons(t *testing.T) {
	t.Setenv("XDG_DATA_HOME", t.TempDir())
	t.Setenv(models.LibraryEnv, "")
	if models.HasLibrary(models.FlavorGPU) {
		t.Skip("the GPU build is installed here")
	}
	loadedCPU := func() (models.RuntimeInfo, bool) {
		return models.RuntimeInfo{Flavor: models.FlavorCPU, Path: "/x/cpu/libonnxruntime.so.1"}, true
	}
	loadedGPU := func() (models.RuntimeInfo, bool) { return models.RuntimeInfo{Flavor: models.FlavorGPU}, true }
	none := func() (models.RuntimeInfo, bool) { return models.RuntimeInfo{}, false }
	for _, c := range []struct {
		name   string
		env    *Env
		device string // "" when the plan is CUDA; else the reason's words
	}{
		{"cpu installed", &Env{Flavor: models.FlavorCPU, Loaded: none}, "make setup-gpu"},
		{"cpu installed, cpu loaded", &Env{Flavor: models.FlavorCPU, Loaded: loadedCPU}, "make setup-gpu"},
		{"WithDevice cpu", &Env{Flavor: models.FlavorCPU, CPUWhy: "opened with WithDevice", Loaded: none}, "opened with WithDevice"},
		{"gpu wanted, cpu loaded", &Env{Flavor: models.FlavorGPU, Loaded: loadedCPU}, "already loaded the CPU build"},
		{"gpu wanted, nothing loaded", &Env{Flavor: models.FlavorGPU, Loaded: none}, ""},
		{"cpu wanted, gpu loaded", &Env{Flavor: models.FlavorCPU, Loaded: loadedGPU}, ""},
	} {
		c.env.Inventory = func() gpu.Inventory { return gpu.Simulated(1) }
		p, err := c.env.Plan(partitions.Options{})
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if c.device == "" {
			if p.Device != partitions.DeviceCUDA {
				t.Errorf("%s: auto planned %s (%s), want cuda", c.name, p.Device, p.Note)
			}
			continue
		}
		if p.Device != partitions.DeviceCPU || !strings.Contains(p.Note, c.device) {
			t.Errorf("%s: auto planned %s, note %q; want cpu, saying %q", c.name, p.Device, p.Note, c.device)
		}
		if c.device != "make setup-gpu" && strings.Contains(p.Note, "make setup-gpu") {
			t.Errorf("%s: note %q suggests make setup-gpu", c.name, p.Note)
		}
	}
}
