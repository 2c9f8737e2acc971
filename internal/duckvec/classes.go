package duckvec

/*
#include "duckvec.h"
*/
import "C"

import (
	"sync"
	"unsafe"
)

// classScratch is WriteClassStruct's per-chunk scratch, pooled: nothing is allocated
// per chunk in steady state. Nothing in it holds a Go pointer, so C may be given any of
// it.
type classScratch struct {
	nulls []int32    // filled by C: the NULL rows
	seen  []byte     // one per label, zeroed
	forms [][16]byte // one duckvec_str per label
}

var classScratchPool = sync.Pool{New: func() any { return new(classScratch) }}

// WriteClassStruct fills ml_infer's STRUCT(predicted_class, confidence) result vector
// vec (a duckdb_vector) for len(rows) chunk rows in one C call
// (duckvec_write_class_struct in classes.c), reaching DuckDB through api, the binding's
// *duckvec_api: chunk row r shows model row rows[r] (-1: NULL) of cls and conf
// (core.Chunk.Results). labels and ends are the labels back to back, label k ending at
// ends[k] (models.ClassData.PackedLabels).
func WriteClassStruct(api, vec unsafe.Pointer, rows []int32, cls []int32, conf []float32, labels []byte, ends []uint32) {
	n := len(rows)
	if n == 0 {
		return
	}
	s := classScratchPool.Get().(*classScratch)
	defer classScratchPool.Put(s)
	s.nulls = Grow(s.nulls, n)
	s.seen, s.forms = Grow(s.seen, len(ends)), Grow(s.forms, len(ends))
	clear(s.seen)
	C.duckvec_write_class_struct((*C.duckvec_api)(api), vec, C.uint64_t(n), (*C.int32_t)(unsafe.Pointer(&rows[0])),
		(*C.int32_t)(unsafe.Pointer(unsafe.SliceData(cls))), (*C.float)(unsafe.Pointer(unsafe.SliceData(conf))),
		(*C.char)(unsafe.Pointer(&labels[0])), (*C.uint32_t)(unsafe.Pointer(&ends[0])), C.uint32_t(len(ends)),
		(*C.uint8_t)(unsafe.Pointer(&s.seen[0])), (*C.duckvec_str)(unsafe.Pointer(&s.forms[0])), (*C.int32_t)(unsafe.Pointer(&s.nulls[0])))
}

// Grow returns s resliced to length n, reusing its array when it is large enough (the
// contents are not kept otherwise): the bindings' per-chunk scratch.
func Grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}
