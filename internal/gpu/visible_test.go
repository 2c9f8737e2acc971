package gpu

import (
	"fmt"
	"strings"
	"testing"
)

// Pins: discovery listed every NVML GPU in PCI order and ignored CUDA_VISIBLE_DEVICES,
// so under Slurm or Kubernetes slots named CUDA ordinals that did not exist or the
// wrong card.
func TestVisibleDevices(t *testing.T) {
	inv := Simulated(4) // NVML indices 0..3, UUIDs GPU-sim-0..GPU-sim-3
	for _, c := range []struct {
		value string
		set   bool
		want  []int // NVML indices kept, in CUDA's order 0..k-1
	}{
		{"", false, []int{0, 1, 2, 3}},
		{"", true, nil},
		{"2", true, []int{2}},
		{"3,1", true, []int{3, 1}},
		{" 1 , 2 ", true, []int{1, 2}},
		{"GPU-sim-2", true, []int{2}},
		{"GPU-sim-3,0", true, []int{3, 0}},
		{"1,7,2", true, []int{1}},       // 7 names no device: the list ends there
		{"1,x,2", true, []int{1}},       // so does an invalid entry
		{"1,-1,2", true, []int{1}},      // and -1, the usual way to hide every GPU
		{"-1", true, nil},               //
		{"1,1,2", true, []int{1}},       // a device listed twice
		{"0,GPU-sim,2", true, []int{0}}, // a UUID prefix of several devices
		{"1,", true, []int{1}},
	} {
		got := visible(inv, c.value, c.set)
		var nvml []int
		for i, d := range got.GPUs {
			if d.Index != i {
				t.Errorf("%s=%q set=%v: device %d has CUDA ordinal %d, want %d", VisibleEnv, c.value, c.set, i, d.Index, i)
			}
			if want := fmt.Sprintf("GPU-sim-%d", d.NVMLIndex); d.UUID != want {
				t.Errorf("%s=%q: ordinal %d has UUID %s, NVML index %d", VisibleEnv, c.value, i, d.UUID, d.NVMLIndex)
			}
			nvml = append(nvml, d.NVMLIndex)
		}
		if fmt.Sprint(nvml) != fmt.Sprint(c.want) {
			t.Errorf("%s=%q set=%v: kept NVML devices %v, want %v", VisibleEnv, c.value, c.set, nvml, c.want)
		}
		if (len(got.GPUs) == 0) != (got.Reason != "") || (len(got.GPUs) == 0 && !strings.Contains(got.Reason, VisibleEnv)) {
			t.Errorf("%s=%q set=%v: %d GPUs, reason %q", VisibleEnv, c.value, c.set, len(got.GPUs), got.Reason)
		}
		if got.Driver != inv.Driver {
			t.Errorf("%s=%q: driver %q, want %q", VisibleEnv, c.value, got.Driver, inv.Driver)
		}
	}
	// No GPU at all: NVML's own reason stands.
	if got := visible(Simulated(0), "0", true); got.Reason != Simulated(0).Reason {
		t.Errorf("no GPUs: reason %q", got.Reason)
	}
}

// A MIG instance is named by its own UUID prefix, when the inventory lists it.
func TestVisibleMIG(t *testing.T) {
	inv := Inventory{GPUs: []Device{
		{Index: 0, NVMLIndex: 0, UUID: "GPU-aaaa-1111"},
		{Index: 1, NVMLIndex: 1, UUID: "MIG-bbbb-2222"},
	}}
	got := visible(inv, "MIG-bbbb,GPU-aa", true)
	if len(got.GPUs) != 2 || got.GPUs[0].NVMLIndex != 1 || got.GPUs[0].Index != 0 || got.GPUs[1].NVMLIndex != 0 || got.GPUs[1].Index != 1 {
		t.Fatalf("MIG-bbbb,GPU-aa: %+v", got.GPUs)
	}
}

// CUDA's documented MIG form of CUDA_VISIBLE_DEVICES is MIG-<GPU-UUID>/<GPU instance
// ID>/<compute instance ID> (what Kubernetes' device plugin and Slurm set on MIG
// nodes); CUDA then runs on that MIG device as ordinal 0. NVML lists the parent GPU
// (its UUID GPU-…), never the MIG device: the instance is described by its parent.
// The newer form MIG-<uuid> names an instance NVML discovery cannot place: one device
// all the same. Pins: both forms hid every GPU.
func TestVisibleMIGForms(t *testing.T) {
	const uuid = "GPU-8932f937-d72c-4106-c12f-20bd9faed9f6"
	inv := Inventory{Driver: "d", GPUs: []Device{{Index: 0, NVMLIndex: 0, UUID: uuid, Name: "A100"}}}
	got := visible(inv, "MIG-"+uuid+"/1/0", true)
	if len(got.GPUs) != 1 || got.GPUs[0].Index != 0 {
		t.Errorf("CUDA_VISIBLE_DEVICES=MIG-%s/1/0: %d GPUs (reason %q); CUDA sees one device, ordinal 0", uuid, len(got.GPUs), got.Reason)
	}
	// Two instances of one GPU are two devices; a MIG-<uuid> one too.
	got = visible(inv, "MIG-"+uuid+"/1/0,MIG-"+uuid+"/2/0,MIG-c0ffee00-1111-2222-3333-444455556666", true)
	if len(got.GPUs) != 3 || got.GPUs[2].Index != 2 || got.GPUs[2].NVMLIndex != -1 || got.GPUs[1].NVMLIndex != 0 {
		t.Errorf("three MIG instances: %+v (reason %q)", got.GPUs, got.Reason)
	}
	// A MIG entry naming a GPU NVML does not list ends the list, as in CUDA.
	if got = visible(inv, "MIG-GPU-00000000-0000-0000-0000-000000000000/1/0", true); len(got.GPUs) != 0 || got.Reason == "" {
		t.Errorf("a MIG instance of an unknown GPU: %+v", got)
	}
}
