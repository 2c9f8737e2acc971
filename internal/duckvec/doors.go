package duckvec

/*
#include <stdlib.h>
#include <string.h>
#include "duckvec.h"

// door_assign stands in for DuckDB's assign function: it copies the string into a
// malloc'ed buffer and writes row i as a non-inlined duckdb_string_t pointing to it,
// as DuckDB would point into the vector's heap. door_free frees those copies.
static char *door_heap[1 << 16];
static int door_nheap;
static void door_assign(void *vec, uint64_t i, const char *s, uint64_t len) {
	char *p = malloc(len ? len : 1);
	memcpy(p, s, len);
	door_heap[door_nheap++ % (1 << 16)] = p;
	char *d = (char *)vec + 16 * i; // vec is the data array itself here
	uint32_t l = (uint32_t)len;
	memcpy(d, &l, 4);
	memcpy(d + 4, s, 4);
	memcpy(d + 8, &p, 8);
}
static uint64_t door_write_classes(void *d0, void *d1, uint64_t n, const int32_t *rows, const int32_t *cls,
                                   const float *conf, const char *labels, const uint32_t *ends, uint32_t nlabels,
                                   uint8_t *seen, duckvec_str *forms, int32_t *nulls, int *assigns) {
	int before = door_nheap;
	uint64_t nn = duckvec_write_classes(d0, d0, d1, n, rows, cls, conf, labels, ends, nlabels, seen, forms, door_assign, nulls);
	*assigns = door_nheap - before;
	return nn;
}
static void door_free(void) {
	for (int i = 0; i < door_nheap && i < (1 << 16); i++) free(door_heap[i]);
	door_nheap = 0;
}
*/
import "C"

import "unsafe"

// The doors through which this package's tests reach classes.c directly, over plain
// arrays instead of DuckDB vectors.

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

// WriteClasses runs duckvec_write_classes over plain arrays for rows (model row per
// chunk row, -1 for NULL), cls, conf and labels; the stand-in assign function copies
// each label longer than 12 bytes into C memory. It returns each row's label and
// confidence ("" for NULL rows), the NULL rows, and how many times assign ran.
func WriteClasses(rows, cls []int32, conf []float32, labels []string) (label, confidence []string, nulls []int32, assigns int) {
	n := len(rows)
	var buf []byte
	var ends []uint32
	for _, l := range labels {
		buf = append(buf, l...)
		ends = append(ends, uint32(len(buf)))
	}
	d0, d1 := make([][16]byte, n), make([][16]byte, n)
	w := NewClasses(n, len(labels), func(r int) int { return int(rows[r]) })
	defer w.Release()
	var na C.int
	nn := C.door_write_classes(unsafe.Pointer(&d0[0]), unsafe.Pointer(&d1[0]), C.uint64_t(n), (*C.int32_t)(unsafe.Pointer(&w.Rows[0])),
		(*C.int32_t)(unsafe.Pointer(unsafe.SliceData(cls))), (*C.float)(unsafe.Pointer(unsafe.SliceData(conf))),
		(*C.char)(unsafe.Pointer(&buf[0])), (*C.uint32_t)(unsafe.Pointer(&ends[0])), C.uint32_t(len(ends)),
		(*C.uint8_t)(unsafe.Pointer(&w.Seen[0])), (*C.duckvec_str)(unsafe.Pointer(&w.Forms[0])), (*C.int32_t)(unsafe.Pointer(&w.Nulls[0])), &na)
	defer C.door_free()
	nulls = append(nulls, w.Nulls[:nn]...)
	label, confidence = make([]string, n), make([]string, n)
	isNull := map[int32]bool{}
	for _, r := range nulls {
		isNull[r] = true
	}
	for r := range n {
		if !isNull[int32(r)] {
			label[r], confidence[r] = readStr(d0[r]), readStr(d1[r])
		}
	}
	return label, confidence, nulls, int(na)
}

// readStr reads a duckdb_string_t: inlined up to 12 bytes, else a pointer.
func readStr(s [16]byte) string {
	n := *(*uint32)(unsafe.Pointer(&s[0]))
	if n <= 12 {
		return string(s[4 : 4+n])
	}
	return C.GoStringN(*(**C.char)(unsafe.Pointer(&s[8])), C.int(n))
}
