//go:build duckinfer_dlnvml

package gpu

// The loadable extension's NVML: go-nvml leaves ~400 NVML symbols undefined for the
// dynamic loader to bind lazily, which an executable allows but a shared library that
// DuckDB dlopens with RTLD_NOW does not ("undefined symbol: nvml..."), so the
// extension (built with -tags duckinfer_dlnvml) opens libnvidia-ml itself and looks up
// the few functions discovery needs.

/*
#cgo LDFLAGS: -ldl
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

typedef struct { unsigned long long total, free, used; } di_nvml_memory;
typedef struct { unsigned int gpu, memory; } di_nvml_util;
typedef int (*di_init_t)(void);
typedef int (*di_count_t)(unsigned int *);
typedef int (*di_handle_t)(unsigned int, void **);
typedef int (*di_str_t)(void *, char *, unsigned int);
typedef int (*di_driver_t)(char *, unsigned int);
typedef int (*di_mem_t)(void *, di_nvml_memory *);
typedef int (*di_util_t)(void *, di_nvml_util *);

static void *di_nvml;

static void *sym(const char *name) { return di_nvml ? dlsym(di_nvml, name) : NULL; }

// di_nvml_open returns 0 when NVML is loaded and initialised, 1 without the library,
// 2 when a function is missing, else NVML's error code + 100.
static int di_nvml_open(void) {
	if (!di_nvml) {
		di_nvml = dlopen("libnvidia-ml.so.1", RTLD_NOW | RTLD_LOCAL);
		if (!di_nvml) return 1;
	}
	di_init_t init = (di_init_t)sym("nvmlInit_v2");
	if (!init) return 2;
	int r = init();
	return r ? 100 + r : 0;
}
static int di_nvml_count(unsigned int *n) {
	di_count_t f = (di_count_t)sym("nvmlDeviceGetCount_v2");
	return f ? f(n) : -1;
}
static int di_nvml_driver(char *buf, unsigned int len) {
	di_driver_t f = (di_driver_t)sym("nvmlSystemGetDriverVersion");
	return f ? f(buf, len) : -1;
}
static int di_nvml_device(unsigned int i, char *name, char *uuid, unsigned int len, di_nvml_memory *m) {
	di_handle_t h = (di_handle_t)sym("nvmlDeviceGetHandleByIndex_v2");
	di_str_t fn = (di_str_t)sym("nvmlDeviceGetName");
	di_str_t fu = (di_str_t)sym("nvmlDeviceGetUUID");
	di_mem_t fm = (di_mem_t)sym("nvmlDeviceGetMemoryInfo");
	if (!h || !fn || !fu || !fm) return -1;
	void *dev = NULL;
	int r = h(i, &dev);
	if (r) return r;
	fn(dev, name, len);
	fu(dev, uuid, len);
	fm(dev, m);
	return 0;
}
static int di_nvml_util_rates(unsigned int i, di_nvml_util *u) {
	di_handle_t h = (di_handle_t)sym("nvmlDeviceGetHandleByIndex_v2");
	di_util_t f = (di_util_t)sym("nvmlDeviceGetUtilizationRates");
	if (!h || !f) return -1;
	void *dev = NULL;
	int r = h(i, &dev);
	return r ? r : f(dev, u);
}
*/
import "C"

import (
	"fmt"
	"unsafe"
)

func discover() Inventory {
	switch r := C.di_nvml_open(); r {
	case 0:
	case 1:
		return Inventory{Reason: "no NVIDIA driver (libnvidia-ml.so.1 not found)"}
	case 2:
		return Inventory{Reason: "NVML init failed: nvmlInit_v2 not found in libnvidia-ml.so.1"}
	default:
		return Inventory{Reason: fmt.Sprintf("NVML init failed: error %d", int(r)-100)}
	}
	var inv Inventory
	buf := make([]byte, 96)
	if C.di_nvml_driver((*C.char)(unsafe.Pointer(&buf[0])), C.uint(len(buf))) == 0 {
		inv.Driver = C.GoString((*C.char)(unsafe.Pointer(&buf[0])))
	}
	var n C.uint
	if r := C.di_nvml_count(&n); r != 0 {
		inv.Reason = fmt.Sprintf("NVML device count failed: error %d", int(r))
		return inv
	}
	for i := range int(n) {
		name, uuid := make([]byte, 96), make([]byte, 96)
		var m C.di_nvml_memory
		if r := C.di_nvml_device(C.uint(i), (*C.char)(unsafe.Pointer(&name[0])), (*C.char)(unsafe.Pointer(&uuid[0])), 96, &m); r != 0 {
			inv.Reason = fmt.Sprintf("NVML device %d: error %d", i, int(r))
			continue
		}
		inv.GPUs = append(inv.GPUs, Device{Index: i, NVMLIndex: i, Name: C.GoString((*C.char)(unsafe.Pointer(&name[0]))),
			UUID: C.GoString((*C.char)(unsafe.Pointer(&uuid[0]))), MemoryTotal: uint64(m.total), MemoryFree: uint64(m.free)})
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
	var u C.di_nvml_util
	if r := C.di_nvml_util_rates(C.uint(i), &u); r != 0 {
		return 0, 0, fmt.Errorf("gpu: device %d utilization: NVML error %d", i, int(r))
	}
	return uint32(u.gpu), uint32(u.memory), nil
}
