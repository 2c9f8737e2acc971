package gpu

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// VisibleEnv is the variable by which CUDA (and so ONNX Runtime's CUDA provider) sees
// only some GPUs, numbered 0..k-1 in its order; Slurm and Kubernetes set it per job.
const VisibleEnv = "CUDA_VISIBLE_DEVICES"

// visible keeps the devices of inv that CUDA_VISIBLE_DEVICES (value, when set) names,
// in its order, and numbers them as CUDA does, so that a Device's Index is the
// device_id a CUDA session takes; NVMLIndex keeps NVML's own. As CUDA reads it: an
// empty value hides every GPU; entries are NVML-style indices, GPU UUID prefixes
// ("GPU-…") or MIG instances ("MIG-<uuid>", "MIG-GPU-<uuid>/<gi>/<ci>"), and the list
// ends at the first entry that is invalid, names no device (or one already listed),
// or is ambiguous. Indices are NVML's (PCI order),
// which are CUDA's only under CUDA_DEVICE_ORDER=PCI_BUS_ID (README, Configuration).
func visible(inv Inventory, value string, set bool) Inventory {
	if !set || len(inv.GPUs) == 0 {
		return inv
	}
	out := Inventory{Driver: inv.Driver}
	taken := map[string]bool{}
	for _, entry := range strings.Split(value, ",") {
		entry = strings.TrimSpace(entry)
		d, ok := visibleDevice(inv.GPUs, entry)
		key := d.UUID
		if key == "" {
			key = fmt.Sprint("nvml ", d.NVMLIndex)
		}
		if !ok || taken[key] {
			break
		}
		taken[key] = true
		d.Index = len(out.GPUs)
		out.GPUs = append(out.GPUs, d)
	}
	switch {
	case len(out.GPUs) > 0:
	case strings.TrimSpace(value) == "":
		out.Reason = fmt.Sprintf("%s is set but empty, which hides every GPU from CUDA; unset it or name the GPUs to use", VisibleEnv)
	default:
		out.Reason = fmt.Sprintf("%s=%q names none of the %d GPU(s) NVML lists (indices 0..%d or GPU- UUIDs); unset it or name a GPU to use them",
			VisibleEnv, value, len(inv.GPUs), len(inv.GPUs)-1)
	}
	return out
}

// visibleDevice is the device entry names: a GPU NVML lists, or a MIG instance, which
// CUDA counts as one device of its own. NVML discovery lists whole GPUs only, so a MIG
// instance is described by its parent's name (the legacy form MIG-GPU-<uuid>/<gi>/<ci>
// names it) or by its UUID alone (MIG-<uuid>: NVMLIndex -1, no memory figure).
func visibleDevice(gpus []Device, entry string) (Device, bool) {
	if rest, ok := strings.CutPrefix(entry, "MIG-"); ok {
		if parent, inst, ok := strings.Cut(rest, "/"); ok && strings.HasPrefix(parent, "GPU-") {
			i := pick(gpus, parent)
			if i < 0 {
				return Device{}, false
			}
			d := gpus[i]
			d.Name, d.UUID = fmt.Sprintf("%s, MIG instance %s", d.Name, inst), entry
			d.MemoryTotal, d.MemoryFree = 0, 0 // the instance's share is not known here
			return d, true
		}
		if rest == "" {
			return Device{}, false
		}
		if i := pick(gpus, entry); i >= 0 { // an inventory that lists MIG instances
			return gpus[i], true
		}
		return Device{NVMLIndex: -1, Name: "MIG instance", UUID: entry}, true
	}
	i := pick(gpus, entry)
	if i < 0 {
		return Device{}, false
	}
	return gpus[i], true
}

// pick returns the position in gpus of the device entry names, or -1.
func pick(gpus []Device, entry string) int {
	if entry == "" {
		return -1
	}
	if entry[0] >= '0' && entry[0] <= '9' {
		n, err := strconv.Atoi(entry)
		if err != nil {
			return -1
		}
		for i, d := range gpus {
			if d.NVMLIndex == n {
				return i
			}
		}
		return -1
	}
	if !strings.HasPrefix(entry, "GPU-") && !strings.HasPrefix(entry, "MIG-") {
		return -1
	}
	found := -1
	for i, d := range gpus {
		if strings.HasPrefix(d.UUID, entry) {
			if found >= 0 {
				return -1 // a prefix of two devices' UUIDs names neither
			}
			found = i
		}
	}
	return found
}

func discoverVisible() Inventory {
	value, set := os.LookupEnv(VisibleEnv)
	return visible(discover(), value, set)
}
