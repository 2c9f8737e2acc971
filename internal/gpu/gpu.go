package gpu

import (
	"fmt"
	"sync"
)

// Device is one GPU as NVML reports it.
type Device struct {
	Index       int // CUDA's ordinal among the visible devices: a session's device_id
	NVMLIndex   int // NVML's index (PCI order, every GPU), for NVML calls and display
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
		inv.GPUs = append(inv.GPUs, Device{Index: i, NVMLIndex: i, Name: fmt.Sprintf("Simulated GPU %d", i), UUID: fmt.Sprintf("GPU-sim-%d", i)})
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
// change under a running program, and NVML init costs tens of milliseconds. Only the
// GPUs CUDA_VISIBLE_DEVICES names are kept, numbered as CUDA will (visible).
func Discover() Inventory {
	discovered.once.Do(func() { discovered.inv = discoverVisible() })
	return discovered.inv
}
