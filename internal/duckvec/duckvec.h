// The C half of duckvec, included by both bindings' C code (internal/udf/capi.go,
// internal/capi/entry.c): what they call in classes.c, written once.
#ifndef DUCKINFER_DUCKVEC_H
#define DUCKINFER_DUCKVEC_H

#include <stdint.h>

// duckvec_str is one duckdb_string_t as its 16 raw bytes.
typedef struct {
	uint64_t w[2];
} duckvec_str;

// duckvec_assign_fn copies a string into row i of VARCHAR vector vec's heap (each
// binding's DuckDB assign function).
typedef void (*duckvec_assign_fn)(void *vec, uint64_t i, const char *s, uint64_t len);

// duckvec_write_classes writes rows [0, n) of ml_infer's STRUCT(predicted_class,
// confidence) fields, in one pass: row r shows model row m = rows[r], whose label index
// is cls[m] and confidence conf[m]; labels go to VARCHAR vector f0 (data d0),
// confidences to d1 (always inlined, formatted as models.AppendConfidence does). A row
// with m < 0 (or, defensively, a label index outside [0, nlabels)) is NULL: the fields
// are left alone, r goes to nulls (the caller masks the struct and both fields) and the
// count of them is returned. Label k is labels[ends[k-1]:ends[k]] (ends[-1] = 0), valid
// UTF-8. Each label is made into a duckdb_string_t once per call: inlined when it fits,
// else copied into f0's heap by assign at its first row, which later rows share (a flat
// vector's strings may point into its heap more than once). seen (one byte per label,
// zeroed by the caller) and forms (one per label) are scratch. Defined in classes.c,
// compiled with package duckvec (Go rebuilds a package when its own C files change, not
// when a header another package includes does).
uint64_t duckvec_write_classes(void *f0, void *d0, void *d1, uint64_t n, const int32_t *rows, const int32_t *cls,
                               const float *conf, const char *labels, const uint32_t *ends, uint32_t nlabels,
                               uint8_t *seen, duckvec_str *forms, duckvec_assign_fn assign, int32_t *nulls);

// duckvec_confidences formats n confidences (for the test that holds the C format to
// models.AppendConfidence).
void duckvec_confidences(const float *ps, uint64_t n, duckvec_str *out);

#endif
