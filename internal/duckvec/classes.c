// The C half of duckvec's result writing, compiled once with package duckvec and
// linked into both bindings (declared in duckvec.h).
#include "duckvec.h"

#include <string.h>

// duckvec_inline_str is duckdb_string_t's inlined form (duckdb.h): a string of at most
// 12 bytes lives in the vector's data itself, zero-padded (DuckDB compares the 16 bytes
// whole).
typedef struct {
	uint32_t length;
	char inlined[12];
} duckvec_inline_str;

// put_inline writes s as row i of a VARCHAR vector whose duckdb_string_t array is
// data, when it fits inline (len <= 12), and says whether it did; a longer string must
// go through DuckDB's assign function, which copies it into the vector's heap. The
// caller guarantees valid UTF-8: DuckDB does not check it here.
static inline int put_inline(void *data, uint64_t i, const char *s, uint32_t len) {
	if (len > 12) {
		return 0;
	}
	duckvec_inline_str *d = (duckvec_inline_str *)data + i;
	d->length = len;
	memset(d->inlined, 0, 12);
	memcpy(d->inlined, s, len);
	return 1;
}

// confidence is p (a probability) with six decimals, "0.123456", as DuckDB's
// inlined string: the one confidence format, the same as models.AppendConfidence's
// (TestConfidenceFormats holds them together). NaN and p <= 0 give 0, p > 1 gives 1.
static inline duckvec_str confidence(float p) {
	static const char pairs[] = "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
	                            "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
	                            "8081828384858687888990919293949596979899";
	if (!(p > 0)) {
		p = 0;
	} else if (p > 1) {
		p = 1;
	}
	uint32_t v = (uint32_t)((double)p * 1e6 + 0.5);
	uint32_t hi = v / 10000, mid = v / 100 % 100, lo = v % 100;
	duckvec_str s = {{0, 0}};
	char *c = (char *)&s;
	uint32_t len = 8;
	memcpy(c, &len, 4);
	c[4] = (char)('0' + hi / 100);
	c[5] = '.';
	memcpy(c + 6, pairs + 2 * (hi % 100), 2);
	memcpy(c + 8, pairs + 2 * mid, 2);
	memcpy(c + 10, pairs + 2 * lo, 2);
	return s;
}

// write_classes writes the two fields' rows (data d0 and d1; f0 for assign) and lists
// the NULL rows in nulls, returning their count.
static uint64_t write_classes(void *f0, void *d0, void *d1, uint64_t n, const int32_t *rows,
                              const int32_t *cls, const float *conf, const char *labels, const uint32_t *ends,
                              uint32_t nlabels, uint8_t *seen, duckvec_str *forms,
                              void (*assign)(void *, uint64_t, const char *, uint64_t), int32_t *nulls) {
	duckvec_str *out0 = (duckvec_str *)d0, *out1 = (duckvec_str *)d1;
	uint64_t nnull = 0;
	for (uint64_t r = 0; r < n; r++) {
		int32_t m = rows[r];
		int32_t k = m < 0 ? -1 : cls[m];
		if (k < 0 || (uint32_t)k >= nlabels) { // a row without a result (callers map those to m < 0)
			nulls[nnull++] = (int32_t)r;
			continue;
		}
		if (!seen[k]) {
			uint32_t start = k ? ends[k - 1] : 0, len = ends[k] - start;
			if (!put_inline(d0, r, labels + start, len)) {
				assign(f0, r, labels + start, len);
			}
			forms[k] = out0[r];
			seen[k] = 1;
		} else {
			out0[r] = forms[k];
		}
		out1[r] = confidence(conf[m]);
	}
	return nnull;
}

// duckvec_write_class_struct: see duckvec.h.
void duckvec_write_class_struct(const duckvec_api *api, void *vec, uint64_t n, const int32_t *rows,
                                const int32_t *cls, const float *conf, const char *labels, const uint32_t *ends,
                                uint32_t nlabels, uint8_t *seen, duckvec_str *forms, int32_t *nulls) {
	void *f[2] = {api->struct_child(vec, 0), api->struct_child(vec, 1)};
	uint64_t nnull = write_classes(f[0], api->data(f[0]), api->data(f[1]), n, rows, cls, conf, labels, ends, nlabels,
	                               seen, forms, api->assign, nulls);
	if (nnull == 0) {
		return;
	}
	void *all[3] = {vec, f[0], f[1]};
	for (int v = 0; v < 3; v++) {
		uint64_t *mask = api->writable_validity(all[v]);
		for (uint64_t j = 0; j < nnull; j++) {
			mask[nulls[j] / 64] &= ~((uint64_t)1 << (nulls[j] % 64));
		}
	}
}

void duckvec_confidences(const float *ps, uint64_t n, duckvec_str *out) {
	for (uint64_t i = 0; i < n; i++) {
		out[i] = confidence(ps[i]);
	}
}
