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
};

typedef struct {
	const void* (*GetApi)(uint32_t version);
	const char* (*GetVersionString)(void);
} duckinferOrtApiBase;

typedef void* (*duckinferFillFn)(void* value, const char* const* s, size_t n);
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

// duckinfer_fill_strings fills string tensor value with n strings held in buf, string
// i starting at offs[i] and ending in a NUL; ptrs is scratch for n pointers. It
// returns NULL, or the error message (malloc'ed; the caller frees it).
static char* duckinfer_fill_strings(const void* const* api, void* value, const char* buf, const uint32_t* offs, uintptr_t* ptrs, size_t n) {
	for (size_t i = 0; i < n; i++) ptrs[i] = (uintptr_t)(buf + offs[i]);
	void* st = ((duckinferFillFn)api[slotFillStringTensor])(value, (const char* const*)ptrs, n);
	if (!st) return NULL;
	char* msg = strdup(((duckinferErrMsgFn)api[slotGetErrorMessage])(st));
	((duckinferReleaseFn)api[slotReleaseStatus])(st);
	return msg;
}
*/
import "C"

import (
	"errors"
	"fmt"
	"reflect"
	"sync"
	"sync/atomic"
	"unsafe"

	ort "github.com/yalue/onnxruntime_go"
)

// Why this file exists: onnxruntime_go's StringTensor.SetContents copies every string
// into its own C allocation (C.CString) before ORT copies it again, a malloc and free
// per row. Here a batch's strings are packed into one Go buffer, NUL-terminated, and
// handed to ORT's FillStringTensor in one cgo call. The tensor itself is still created
// by onnxruntime_go (ort.NewStringTensor, which calls CreateTensorAsOrtValue), so it is
// an ort.Value that sessions accept; its OrtValue pointer is read from
// ValueInternalData by reflection, pinned to onnxruntime_go v1.27.0
// (TestORTStringFill fails loudly if that changes). Without the adapter (ok false)
// tensors are filled through SetContents, correctly.

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

// stringPacker holds one batch of strings in the form duckinfer_fill_strings takes;
// its buffers are reused from batch to batch.
type stringPacker struct {
	buf  []byte
	offs []uint32
	ptrs []uintptr
}

var errFillUnavailable = errors.New("ORT string fill adapter unavailable")

// fill packs vals and fills the string tensor at value (an OrtValue of len(vals)
// strings). A string holding a NUL byte ends there, as with ort's SetContents.
func (p *stringPacker) fill(value unsafe.Pointer, vals []string) error {
	api := stringAPI()
	if api == nil {
		return errFillUnavailable
	}
	n := len(vals)
	if n == 0 {
		return nil
	}
	size := n
	for _, s := range vals {
		size += len(s)
	}
	if size > 1<<32-1 {
		return fmt.Errorf("a batch of %d strings holds %d bytes, more than 4 GiB; use a smaller batch_size", n, size)
	}
	p.buf = grow(p.buf, size)[:0]
	p.offs = grow(p.offs, n)
	p.ptrs = grow(p.ptrs, n)
	for i, s := range vals {
		p.offs[i] = uint32(len(p.buf))
		p.buf = append(p.buf, s...)
		p.buf = append(p.buf, 0)
	}
	msg := C.duckinfer_fill_strings((*unsafe.Pointer)(unsafe.Pointer(api)), value, (*C.char)(unsafe.Pointer(unsafe.SliceData(p.buf))),
		(*C.uint32_t)(unsafe.Pointer(unsafe.SliceData(p.offs))), (*C.uintptr_t)(unsafe.Pointer(unsafe.SliceData(p.ptrs))), C.size_t(n))
	if msg != nil {
		defer C.free(unsafe.Pointer(msg))
		return fmt.Errorf("FillStringTensor: %s", C.GoString(msg))
	}
	return nil
}
