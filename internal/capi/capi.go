// Package capi is duckinfer's second DuckDB binding: the loadable extension
// (duckinfer.duckdb_extension) on DuckDB's C extension API, built by
// cmd/duckinfer-extension with -buildmode=c-shared. It registers ml_infer and its
// siblings as vectorized scalar functions, ml_tasks/ml_devices/ml_errors as table
// functions, the duckinfer_models setting, and the ml_predict table macro (from
// internal/sqlgen, the SQL the duckdb-go binding uses too) in an attached in-memory
// catalog. It turns DuckDB vectors into models.Column and results back into vectors;
// the core decides everything else. It must not import duckdb-go: the extension runs
// inside the host's own DuckDB, reached only through the API's function table.
package capi

/*
#cgo CFLAGS: -O2 -I${SRCDIR}
#cgo LDFLAGS: -ldl
#include "capi.h"
*/
import "C"

import (
	"fmt"
	"runtime/cgo"
	"strings"
	"unsafe"
)

// cString copies s into C memory (free with C.free).
func cString(s string) *C.char { return C.CString(s) }

// errString copies an error's message into C memory for DuckDB, which reads it as a C
// string: a NUL byte (say, in a quoted column name) would end the message there, so it
// is written as \x00.
func errString(e error) *C.char { return C.CString(strings.ReplaceAll(e.Error(), "\x00", `\x00`)) }

func setErr(err **C.char, e error) { *err = errString(e) }

// getenv reads the process's environment as the host has it now. Go's os.Getenv reads
// a copy taken when the Go runtime started, at the first LOAD, so a variable the host
// sets later (Python's os.environ, Node's process.env) would never be seen.
func getenv(name string) string {
	cs := C.CString(name)
	defer C.free(unsafe.Pointer(cs))
	if v := C.getenv(cs); v != nil {
		return C.GoString(v)
	}
	return ""
}

//export goInit
func goInit(conn C.duckdb_connection, errOut **C.char) (ok C.int) {
	defer func() {
		if p := recover(); p != nil {
			setErr(errOut, internalError("LOAD", "duckinfer", p))
			ok = 0
		}
	}()
	if err := initDatabase(conn); err != nil {
		setErr(errOut, fmt.Errorf("duckinfer: %w", err))
		return 0
	}
	return 1
}

//export goHandleDelete
func goHandleDelete(h C.uintptr_t) {
	// No error path: a bad handle (a bug) leaks rather than ending the host.
	defer func() { _ = recover() }()
	if h != 0 {
		if b, ok := cgo.Handle(h).Value().(*bound); ok {
			b.drop()
		}
		cgo.Handle(h).Delete()
	}
}

// goHandleCopy gives a copied bind data its own handle to the same Go value, so each
// copy can be deleted on its own.
//
//export goHandleCopy
func goHandleCopy(h C.uintptr_t) (c C.uintptr_t) {
	// No error path: a bad handle (a bug) copies as none, which the function then
	// reports as missing bind data, rather than ending the host.
	defer func() {
		if recover() != nil {
			c = 0
		}
	}()
	if h == 0 {
		return 0
	}
	v := cgo.Handle(h).Value()
	if b, ok := v.(*bound); ok {
		b.refs.Add(1)
	}
	return C.uintptr_t(cgo.NewHandle(v))
}

func exec(conn C.duckdb_connection, sql string) error {
	cs := cString(sql)
	defer C.free(unsafe.Pointer(cs))
	var e *C.char
	if C.di_exec(conn, cs, &e) == 0 {
		defer C.free(unsafe.Pointer(e))
		return fmt.Errorf("%s: %s", sql, C.GoString(e))
	}
	return nil
}

// queryInt64 runs sql and returns the first column of its first row.
func queryInt64(conn C.duckdb_connection, sql string) (int64, error) {
	cs := cString(sql)
	defer C.free(unsafe.Pointer(cs))
	var e *C.char
	var v C.int64_t
	if C.di_query_int64(conn, cs, &v, &e) == 0 {
		defer C.free(unsafe.Pointer(e))
		return 0, fmt.Errorf("%s: %s", sql, C.GoString(e))
	}
	return int64(v), nil
}

// goString copies a C string DuckDB allocated and frees it.
func goString(p *C.char) string {
	if p == nil {
		return ""
	}
	defer C.di_free(unsafe.Pointer(p))
	return C.GoString(p)
}
