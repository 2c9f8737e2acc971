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
	gpuEnv := &Env{Inventory: inv, Flavor: models.FlavorGPU}
	if p, err := gpuEnv.Plan(partitions.Options{}); err != nil || p.Device != partitions.DeviceCUDA || len(p.Slots) != 2*partitions.DefaultModelsPerGPU {
		t.Fatalf("auto, GPU runtime: %+v %v", p, err)
	}
}
