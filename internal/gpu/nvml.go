//go:build !duckinfer_dlnvml

package gpu

import (
	"fmt"

	"github.com/NVIDIA/go-nvml/pkg/nvml"
)

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
		d := Device{Index: i, NVMLIndex: i}
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

// Utilization samples the GPU and memory-controller busy percentages of NVML device i
// (Device.NVMLIndex, not the CUDA ordinal Index).
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
