package gpu

import (
	"fmt"
	"sync"

	"github.com/NVIDIA/go-nvml/pkg/nvml"
)

// Device is one GPU as NVML reports it.
type Device struct {
	Index       int
	Name        string
	UUID        string
	MemoryTotal uint64 // bytes
	MemoryFree  uint64 // bytes, at discovery
}

// Inventory is what discovery found. With no GPUs, Reason says why (no driver, no
// devices, an NVML error) so that ml_devices() can tell the user.
type Inventory struct {
	GPUs   []Device
	Driver string
	Reason string
}

// Simulated returns an inventory of n fake GPUs, for placement tests on machines
// without GPUs.
func Simulated(n int) Inventory {
	inv := Inventory{Driver: "simulated"}
	for i := range n {
		inv.GPUs = append(inv.GPUs, Device{Index: i, Name: fmt.Sprintf("Simulated GPU %d", i), UUID: fmt.Sprintf("GPU-sim-%d", i)})
	}
	if n == 0 {
		inv.Reason = "simulated: no GPUs"
	}
	return inv
}

var discovered struct {
	once sync.Once
	inv  Inventory
}

// Discover queries NVML once per process and caches the answer: device lists do not
// change under a running program, and NVML init costs tens of milliseconds.
func Discover() Inventory {
	discovered.once.Do(func() { discovered.inv = discover() })
	return discovered.inv
}

func discover() (inv Inventory) {
	defer func() {
		// go-nvml panics on some malformed driver installs; no GPU is the safe answer.
		if r := recover(); r != nil {
			inv = Inventory{Reason: fmt.Sprintf("NVML failed: %v", r)}
		}
	}()
	if ret := nvml.Init(); ret != nvml.SUCCESS {
		if ret == nvml.ERROR_LIBRARY_NOT_FOUND {
			return Inventory{Reason: "no NVIDIA driver (libnvidia-ml.so.1 not found)"}
		}
		return Inventory{Reason: "NVML init failed: " + nvml.ErrorString(ret)}
	}
	// NVML stays initialised for the process: Utilization samples it later.
	if v, ret := nvml.SystemGetDriverVersion(); ret == nvml.SUCCESS {
		inv.Driver = v
	}
	n, ret := nvml.DeviceGetCount()
	if ret != nvml.SUCCESS {
		inv.Reason = "NVML device count failed: " + nvml.ErrorString(ret)
		return inv
	}
	for i := range n {
		h, ret := nvml.DeviceGetHandleByIndex(i)
		if ret != nvml.SUCCESS {
			inv.Reason = fmt.Sprintf("NVML device %d: %s", i, nvml.ErrorString(ret))
			continue
		}
		d := Device{Index: i}
		d.Name, _ = h.GetName()
		d.UUID, _ = h.GetUUID()
		if m, ret := h.GetMemoryInfo(); ret == nvml.SUCCESS {
			d.MemoryTotal, d.MemoryFree = m.Total, m.Free
		}
		inv.GPUs = append(inv.GPUs, d)
	}
	if len(inv.GPUs) == 0 && inv.Reason == "" {
		inv.Reason = "NVIDIA driver present but no GPUs visible"
	}
	return inv
}

// Utilization samples device i's GPU and memory-controller busy percentages.
func Utilization(i int) (gpuPct, memPct uint32, err error) {
	Discover()
	h, ret := nvml.DeviceGetHandleByIndex(i)
	if ret != nvml.SUCCESS {
		return 0, 0, fmt.Errorf("gpu: device %d: %s", i, nvml.ErrorString(ret))
	}
	u, ret := h.GetUtilizationRates()
	if ret != nvml.SUCCESS {
		return 0, 0, fmt.Errorf("gpu: device %d utilization: %s", i, nvml.ErrorString(ret))
	}
	return u.Gpu, u.Memory, nil
}
