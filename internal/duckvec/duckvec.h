// The C half of duckvec, included by both bindings' C code (internal/udf/capi.go,
// internal/capi/entry.c): DuckDB vector layout both rely on, written once.
#ifndef DUCKINFER_DUCKVEC_H
#define DUCKINFER_DUCKVEC_H

#include <stdint.h>
#include <string.h>

// duckvec_inline_str is duckdb_string_t's inlined form (duckdb.h): a string of at most
// 12 bytes lives in the vector's data itself, zero-padded (DuckDB compares the 16 bytes
// whole).
typedef struct {
	uint32_t length;
	char inlined[12];
} duckvec_inline_str;

// duckvec_put_inline writes s as row i of a VARCHAR vector whose duckdb_string_t array is
// data, when it fits inline (len <= 12), and says whether it did; a longer string must
// go through DuckDB's assign function, which copies it into the vector's heap. The
// caller guarantees valid UTF-8: DuckDB does not check it here.
static inline int duckvec_put_inline(void *data, uint64_t i, const char *s, uint32_t len) {
	if (len > 12) {
		return 0;
	}
	duckvec_inline_str *d = (duckvec_inline_str *)data + i;
	d->length = len;
	memset(d->inlined, 0, 12);
	memcpy(d->inlined, s, len);
	return 1;
}

#endif
