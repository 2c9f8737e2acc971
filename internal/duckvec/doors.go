package duckvec

/*
#include <stdlib.h>
#include <string.h>
#include "duckvec.h"

// A stand-in for DuckDB behind duckvec_api, over plain memory: a vector is a door_vec
// (its strings, its validity mask, and for a STRUCT its two fields); assign copies a
// string into a malloc'ed buffer and points the row at it, as DuckDB points into a
// vector's heap (door_free frees them).
typedef struct door_vec {
	duckvec_str data[64];
	uint64_t mask;
	struct door_vec *child[2];
} door_vec;

static char *door_heap[4096];
static int door_nheap;

static void *door_child(void *vec, uint64_t i) { return ((door_vec *)vec)->child[i]; }
static void *door_data(void *vec) { return ((door_vec *)vec)->data; }
static uint64_t *door_validity(void *vec) { return &((door_vec *)vec)->mask; }
static void door_assign(void *vec, uint64_t i, const char *s, uint64_t len) {
	char *p = malloc(len ? len : 1);
	memcpy(p, s, len);
	door_heap[door_nheap++ % 4096] = p;
	char *d = (char *)((door_vec *)vec)->data + 16 * i;
	uint32_t l = (uint32_t)len;
	memcpy(d, &l, 4);
	memcpy(d + 4, s, 4);
	memcpy(d + 8, &p, 8);
}
static const duckvec_api door_api_table = {door_child, door_data, door_validity, door_assign};
static const duckvec_api *door_api(void) { return &door_api_table; }

// door_struct_vec is a STRUCT of two VARCHAR fields, every row valid, in C memory.
static door_vec *door_struct_vec(void) {
	door_vec *v = calloc(3, sizeof(door_vec));
	v[0].child[0] = &v[1];
	v[0].child[1] = &v[2];
	for (int i = 0; i < 3; i++) v[i].mask = ~(uint64_t)0;
	return v;
}
static int door_assigns(void) { return door_nheap; }
static void door_free(door_vec *v) {
	for (int i = 0; i < door_nheap && i < 4096; i++) free(door_heap[i]);
	door_nheap = 0;
	free(v);
}
*/
import "C"

import "unsafe"

// The doors through which this package's tests reach classes.c directly, over plain
// memory instead of DuckDB vectors.

// Confidences formats each p with classes.c's confidence format, the C half of the
// confidence format both bindings write results with: the door through which
// TestConfidenceFormats holds it to models.AppendConfidence, its Go half.
func Confidences(ps []float32) []string {
	if len(ps) == 0 {
		return nil
	}
	raw := make([][16]byte, len(ps))
	C.duckvec_confidences((*C.float)(unsafe.Pointer(&ps[0])), C.uint64_t(len(ps)), (*C.duckvec_str)(unsafe.Pointer(&raw[0])))
	out := make([]string, len(ps))
	for i, s := range raw {
		out[i] = readStr(s)
	}
	return out
}

// ClassRow is one row as WriteClasses reads it back.
type ClassRow struct {
	Label, Confidence               string
	StructNull, LabelNull, ConfNull bool
}

// WriteClasses runs WriteClassStruct over a stand-in STRUCT vector of at most 64 rows:
// rows (model row per chunk row, -1 for NULL), cls, conf and labels as a binding gives
// them. It returns each row read back and how many times a label was copied into the
// heap.
func WriteClasses(rows, cls []int32, conf []float32, labels []string) (out []ClassRow, assigns int) {
	var buf []byte
	var ends []uint32
	for _, l := range labels {
		buf = append(buf, l...)
		ends = append(ends, uint32(len(buf)))
	}
	v := C.door_struct_vec()
	defer C.door_free(v)
	WriteClassStruct(unsafe.Pointer(C.door_api()), unsafe.Pointer(v), rows, cls, conf, buf, ends)
	vs := unsafe.Slice(v, 3)
	for r := range rows {
		null := func(i int) bool { return vs[i].mask&(1<<r) == 0 }
		row := ClassRow{StructNull: null(0), LabelNull: null(1), ConfNull: null(2)}
		if !row.LabelNull {
			row.Label = readStr(*(*[16]byte)(unsafe.Pointer(&vs[1].data[r])))
		}
		if !row.ConfNull {
			row.Confidence = readStr(*(*[16]byte)(unsafe.Pointer(&vs[2].data[r])))
		}
		out = append(out, row)
	}
	return out, int(C.door_assigns())
}

// readStr reads a duckdb_string_t: inlined up to 12 bytes, else a pointer.
func readStr(s [16]byte) string {
	n := *(*uint32)(unsafe.Pointer(&s[0]))
	if n <= 12 {
		return string(s[4 : 4+n])
	}
	return C.GoStringN(*(**C.char)(unsafe.Pointer(&s[8])), C.int(n))
}
