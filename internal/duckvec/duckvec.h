// The C half of duckvec, included by both bindings' C code (internal/udf/capi.go,
// internal/capi/entry.c): what they call in classes.c, written once.
#ifndef DUCKINFER_DUCKVEC_H
#define DUCKINFER_DUCKVEC_H

#include <stdint.h>

// duckvec_str is one duckdb_string_t as its 16 raw bytes.
typedef struct {
	uint64_t w[2];
} duckvec_str;

// duckvec_api is the few DuckDB C API functions the class writer needs, as each binding
// reaches them (duckdb-go's linked symbols, or the extension API's function table).
typedef struct {
	void *(*struct_child)(void *vec, uint64_t index);      // duckdb_struct_vector_get_child
	void *(*data)(void *vec);                              // duckdb_vector_get_data
	uint64_t *(*writable_validity)(void *vec);             // ensure_validity_writable, then get_validity
	void (*assign)(void *vec, uint64_t i, const char *s, uint64_t len); // copy into the vector's heap
} duckvec_api;

// duckvec_write_class_struct fills rows [0, n) of ml_infer's STRUCT(predicted_class,
// confidence) result vector vec in one pass: row r shows model row m = rows[r], whose
// label index is cls[m] and confidence conf[m]. A row with m < 0 (or, defensively, a
// label index outside [0, nlabels)) is NULL: the struct and both fields, since DuckDB
// expects a NULL struct's fields to be NULL too. Label k is labels[ends[k-1]:ends[k]]
// (ends[-1] = 0), valid UTF-8 (DuckDB does not check it here). Each label is made into a
// duckdb_string_t once per call: inlined when it fits in 12 bytes, else copied into the
// label vector's heap at its first row, which later rows share (a flat vector's strings
// may point into its heap more than once). A confidence is formatted straight into an
// inlined string, as models.AppendConfidence formats it. seen (one byte per label,
// zeroed), forms (one per label) and nulls (n) are scratch. Defined in classes.c,
// compiled with package duckvec (Go rebuilds a package when its own C files change,
// not when a header another package includes does).
void duckvec_write_class_struct(const duckvec_api *api, void *vec, uint64_t n, const int32_t *rows,
                                const int32_t *cls, const float *conf, const char *labels, const uint32_t *ends,
                                uint32_t nlabels, uint8_t *seen, duckvec_str *forms, int32_t *nulls);

// duckvec_confidences formats n confidences (for the test that holds the C format to
// models.AppendConfidence).
void duckvec_confidences(const float *ps, uint64_t n, duckvec_str *out);

#endif
