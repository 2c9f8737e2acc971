package udf

/*
#include <stdint.h>
#include "../duckvec/duckvec.h"

// Declared here rather than included: duckdb.h lives in the duckdb-go-bindings module,
// outside any include path of ours. The symbol is in the libduckdb that duckdb-go
// links statically (DuckDB's stable C API: this signature does not change).
typedef struct _duckdb_vector { void *internal_ptr; } *duckdb_vector;
typedef struct _duckdb_logical_type { void *internal_ptr; } *duckdb_logical_type;
void duckdb_unsafe_vector_assign_string_element_len(duckdb_vector vector, uint64_t index, const char *str, uint64_t str_len);
duckdb_logical_type duckdb_vector_get_column_type(duckdb_vector vector);
int32_t duckdb_get_type_id(duckdb_logical_type type); // duckdb_type is a C enum: int-sized
void duckdb_destroy_logical_type(duckdb_logical_type *type);
void *duckdb_vector_get_data(duckdb_vector vector);
uint64_t *duckdb_vector_get_validity(duckdb_vector vector);
duckdb_vector duckdb_struct_vector_get_child(duckdb_vector vector, uint64_t index);
void duckdb_vector_ensure_validity_writable(duckdb_vector vector);

// duckinfer_vector_info is a vector's type id, data and validity mask in one call,
// returned by value (out-pointers to Go memory would escape to the heap).
typedef struct { void *data; uint64_t *validity; int32_t id; } duckinfer_vinfo;
static duckinfer_vinfo duckinfer_vector_info(void *vec) {
	duckinfer_vinfo r;
	duckdb_logical_type t = duckdb_vector_get_column_type((duckdb_vector)vec);
	r.id = duckdb_get_type_id(t);
	duckdb_destroy_logical_type(&t);
	r.data = duckdb_vector_get_data((duckdb_vector)vec);
	r.validity = duckdb_vector_get_validity((duckdb_vector)vec);
	return r;
}

// duckinfer_assign_strings sets rows [0, n) of a VARCHAR vector: row i is
// buf[ends[i-1]:ends[i]] (ends[-1] = 0). DuckDB copies each string into the vector's
// heap (or inlines it); the caller guarantees valid UTF-8, so DuckDB's check is skipped.
static void duckinfer_assign_strings(void *vec, const char *buf, const uint32_t *ends, uint64_t n) {
	uint32_t start = 0;
	for (uint64_t i = 0; i < n; i++) {
		duckdb_unsafe_vector_assign_string_element_len((duckdb_vector)vec, i, buf + start, ends[i] - start);
		start = ends[i];
	}
}

// duckinfer_vec_api is duckvec's access to DuckDB (duckvec.h) through the symbols
// declared above.
static void *duckinfer_child(void *vec, uint64_t i) { return duckdb_struct_vector_get_child((duckdb_vector)vec, i); }
static void *duckinfer_data(void *vec) { return duckdb_vector_get_data((duckdb_vector)vec); }
static uint64_t *duckinfer_writable_validity(void *vec) {
	duckdb_vector_ensure_validity_writable((duckdb_vector)vec);
	return duckdb_vector_get_validity((duckdb_vector)vec);
}
static void duckinfer_assign(void *vec, uint64_t i, const char *s, uint64_t len) {
	duckdb_unsafe_vector_assign_string_element_len((duckdb_vector)vec, i, s, len);
}
static const duckvec_api duckinfer_vec_api_table = {duckinfer_child, duckinfer_data, duckinfer_writable_validity, duckinfer_assign};
static const duckvec_api *duckinfer_vec_api(void) { return &duckinfer_vec_api_table; }
*/
import "C"

import (
	"sync"
	"unsafe"

	"github.com/duckdb/duckdb-go/v2"
	"github.com/duckdb/duckdb-go/v2/mapping"

	"github.com/duckinfer/duckinfer/internal/duckvec"
	"github.com/duckinfer/duckinfer/internal/models"
)

// Why this file exists: our own cgo over the few DuckDB C API functions the hot loops
// need. duckdb-go's VectorWriter[string].Set makes two cgo calls per value (validity,
// then the string), its VectorView checks every row, and reading a vector's type, data
// and mask through its mapping package is five cgo calls and two allocations. Here a
// vector's raw parts come in one call, a chunk's strings are read straight from
// DuckDB's duckdb_string_t array, and written with one cgo call per chunk from one
// packed buffer. The vector handle comes from the raw-vector adapter (vectordata.go);
// TestVectorStrings and TestRawVectorAdapter fail loudly if either side stops
// matching duckdb-go's own reads and writes.

// vectorInfo returns a vector's type id, data and validity mask (nil: all valid).
func vectorInfo(mv mapping.Vector) (duckdb.Type, unsafe.Pointer, *uint64) {
	r := C.duckinfer_vector_info(mv.Ptr)
	return duckdb.Type(r.id), r.data, (*uint64)(unsafe.Pointer(r.validity))
}

// stringWriter packs one chunk's result strings and writes them in one call.
type stringWriter struct {
	buf   []byte
	ends  []uint32
	nulls []int32 // NULL rows
}

var stringWriters = sync.Pool{New: func() any { return new(stringWriter) }}

func (w *stringWriter) reset(n int) {
	w.buf = w.buf[:0]
	w.ends = w.ends[:0]
	w.nulls = w.nulls[:0]
	if cap(w.ends) < n {
		w.ends = make([]uint32, 0, n)
	}
}

// end closes the current row's string (the bytes appended to buf since the last end).
func (w *stringWriter) end() { w.ends = append(w.ends, uint32(len(w.buf))) }

// null makes the current row NULL.
func (w *stringWriter) null(r int) {
	w.nulls = append(w.nulls, int32(r))
	w.end()
}

// writeClassStructs fills ml_infer's STRUCT(predicted_class, confidence) result vector
// mv for len(rows) chunk rows in one cgo call (duckvec.WriteClassStruct): each row's
// label and its confidence, or NULL. rows maps a chunk row to its model row in out (-1:
// NULL).
func writeClassStructs(mv mapping.Vector, out *models.ClassData, rows []int32) {
	labels, ends := out.PackedLabels()
	duckvec.WriteClassStruct(unsafe.Pointer(C.duckinfer_vec_api()), mv.Ptr, rows, out.Class, out.Confidence, labels, ends)
}

// flush writes the rows to the VARCHAR vector mv. Every string must be valid UTF-8.
func (w *stringWriter) flush(mv mapping.Vector) {
	if n := len(w.ends); n > 0 {
		var buf *C.char
		if len(w.buf) > 0 {
			buf = (*C.char)(unsafe.Pointer(unsafe.SliceData(w.buf)))
		}
		C.duckinfer_assign_strings(mv.Ptr, buf, (*C.uint32_t)(unsafe.Pointer(unsafe.SliceData(w.ends))), C.uint64_t(n))
	}
	if len(w.nulls) == 0 {
		return
	}
	mapping.VectorEnsureValidityWritable(mv)
	mask := unsafe.Slice((*uint64)(mapping.VectorGetValidity(mv)), (len(w.ends)+63)/64)
	for _, r := range w.nulls {
		mask[r/64] &^= 1 << (r % 64)
	}
}
