package models

/*
#cgo LDFLAGS: -ldl
#include <dlfcn.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

// The few pieces of ONNX Runtime's C API (onnxruntime_c_api.h) used here. OrtApi is a
// struct of function pointers that only ever grows at its end, so a function's slot
// never changes; TestORTStringSlots checks these against the header that
// onnxruntime_go ships.
enum {
	slotGetErrorMessage = 2,
	slotFillStringTensor = 52,
	slotReleaseStatus = 93,
	slotGetResizedStringTensorElementBuffer = 252,
};

typedef struct {
	const void* (*GetApi)(uint32_t version);
	const char* (*GetVersionString)(void);
} duckinferOrtApiBase;

typedef void* (*duckinferResizeFn)(void* value, size_t index, size_t len, char** buffer);
typedef const char* (*duckinferErrMsgFn)(const void* status);
typedef void (*duckinferReleaseFn)(void* status);

// duckinfer_ort_api finds the OrtApi of the library onnxruntime_go already loaded
// from path (RTLD_NOLOAD: never a second copy). The handle stays open, as
// onnxruntime_go's does.
static const void* const* duckinfer_ort_api(const char* path, uint32_t version) {
	void* h = dlopen(path, RTLD_LAZY | RTLD_NOLOAD);
	if (!h) return NULL;
	const duckinferOrtApiBase* (*get)(void) = (const duckinferOrtApiBase* (*)(void))dlsym(h, "OrtGetApiBase");
	if (!get) return NULL;
	const duckinferOrtApiBase* base = get();
	if (!base) return NULL;
	return (const void* const*)base->GetApi(version);
}

// duckinfer_fill_strings sets the n elements of string tensor value: element i is the
// lens[i] bytes at ptrs[i], copied straight into the std::string ORT sizes for it (no
// NUL terminator needed, none cut at). It returns NULL, or the error message
// (malloc'ed; the caller frees it).
static char* duckinfer_fill_strings(const void* const* api, void* value, const uintptr_t* ptrs, const uint32_t* lens, size_t n) {
	duckinferResizeFn resize = (duckinferResizeFn)api[slotGetResizedStringTensorElementBuffer];
	for (size_t i = 0; i < n; i++) {
		char* dst = NULL;
		void* st = resize(value, i, lens[i], &dst);
		if (st) {
			char* msg = strdup(((duckinferErrMsgFn)api[slotGetErrorMessage])(st));
			((duckinferReleaseFn)api[slotReleaseStatus])(st);
			return msg;
		}
		if (lens[i] > 0) memcpy(dst, (const char*)ptrs[i], lens[i]);
	}
	return NULL;
}
*/
import "C"

import (
	"errors"
	"fmt"
	"reflect"
	"runtime"
	"sync"
	"sync/atomic"
	"unsafe"

	ort "github.com/yalue/onnxruntime_go"
)

// Why this file exists: onnxruntime_go's StringTensor.SetContents copies every string
// into its own C allocation (C.CString) before ORT copies it again, a malloc and free
// per row (and cuts each at its first NUL byte). Here, in one cgo call per batch, ORT
// sizes each element's std::string (GetResizedStringTensorElementBuffer) and the bytes
// are copied into it straight from where the binding lent them (DuckDB's vector for a
// VARCHAR column): no Go-side packing, no strlen, no truncation at a NUL. (Packing into
// one NUL-terminated buffer for FillStringTensor cost one more copy of every byte; see
// BenchmarkStringTensor.) The tensor itself is still created
// by onnxruntime_go (ort.NewStringTensor, which calls CreateTensorAsOrtValue), so it is
// an ort.Value that sessions accept; its OrtValue pointer is read from
// ValueInternalData by reflection, pinned to onnxruntime_go v1.27.0
// (TestORTStringFill fails loudly if that changes). Without the adapter (ok false)
// tensors are filled through SetContents, which refuses a value with a NUL byte
// (setContents) rather than cut it there.

// ortAPIVersion is the OrtApi version asked for: the one onnxruntime_go v1.27.0 asks
// for, which the loaded library is known to serve.
const ortAPIVersion = 24

var ortAPI struct {
	sync.Mutex
	looked bool            // looked up, once the runtime was loaded
	api    *unsafe.Pointer // nil: not available
	ready  atomic.Pointer[unsafe.Pointer]
}

// stringAPI returns the loaded library's OrtApi, or nil.
func stringAPI() *unsafe.Pointer {
	if api := ortAPI.ready.Load(); api != nil {
		return api
	}
	ortAPI.Lock()
	defer ortAPI.Unlock()
	if !ortAPI.looked {
		info, ok := Runtime()
		if !ok {
			return nil // not loaded yet: look again next time
		}
		ortAPI.looked = true
		p := C.CString(info.Path)
		defer C.free(unsafe.Pointer(p))
		ortAPI.api = (*unsafe.Pointer)(unsafe.Pointer(C.duckinfer_ort_api(p, ortAPIVersion)))
		if ortAPI.api != nil {
			ortAPI.ready.Store(ortAPI.api)
		}
	}
	return ortAPI.api
}

// ortValueOf reads the OrtValue pointer inside an onnxruntime_go value.
func ortValueOf(v ort.Value) (unsafe.Pointer, bool) {
	in := v.GetInternals()
	if in == nil {
		return nil, false
	}
	f := reflect.ValueOf(in).Elem().FieldByName("ortValue")
	if !f.IsValid() || f.Kind() != reflect.Pointer || f.IsNil() {
		return nil, false
	}
	return f.UnsafePointer(), true
}

// stringPacker holds one batch of strings in the form duckinfer_fill_strings takes:
// each string's address and length (the bytes stay where the binding lent them, often
// DuckDB's own vector memory); its buffers are reused from batch to batch.
type stringPacker struct {
	ptrs []uintptr
	lens []uint32
}

var errFillUnavailable = errors.New("ORT string fill adapter unavailable")

// fill sets the string tensor at value (an OrtValue of len(vals) strings) to vals,
// every byte of each (a NUL byte included), in one cgo call.
func (p *stringPacker) fill(value unsafe.Pointer, vals []string) error {
	api := stringAPI()
	if api == nil {
		return errFillUnavailable
	}
	n := len(vals)
	if n == 0 {
		return nil
	}
	p.ptrs = grow(p.ptrs, n)
	p.lens = grow(p.lens, n)
	for i, s := range vals {
		if len(s) > 1<<32-1 {
			return fmt.Errorf("a string of %d bytes is more than 4 GiB", len(s))
		}
		p.ptrs[i] = uintptr(unsafe.Pointer(unsafe.StringData(s)))
		p.lens[i] = uint32(len(s))
	}
	msg := C.duckinfer_fill_strings((*unsafe.Pointer)(unsafe.Pointer(api)), value,
		(*C.uintptr_t)(unsafe.Pointer(unsafe.SliceData(p.ptrs))), (*C.uint32_t)(unsafe.Pointer(unsafe.SliceData(p.lens))), C.size_t(n))
	// The addresses were passed as integers: keep the strings' memory alive (and, for
	// Go memory, where it is: Go's heap does not move) until C is done with it.
	runtime.KeepAlive(vals)
	if msg != nil {
		defer C.free(unsafe.Pointer(msg))
		return fmt.Errorf("GetResizedStringTensorElementBuffer: %s", C.GoString(msg))
	}
	return nil
}
