// The C side of the loadable extension: DuckDB's C extension API is a table of
// function pointers (duckdb_ext_api), which cgo cannot call, so every call goes
// through these small forwarders. The stable API v1.5.6 is the one targeted: DuckDB
// 1.5.6 and 2.0 load it (C_STRUCT ABI).
#ifndef DUCKINFER_CAPI_H
#define DUCKINFER_CAPI_H

#define DUCKDB_EXTENSION_API_VERSION_MAJOR 1
#define DUCKDB_EXTENSION_API_VERSION_MINOR 5
#define DUCKDB_EXTENSION_API_VERSION_PATCH 6
#include "include/duckdb_extension.h"
#include "../duckvec/duckvec.h"
#include <stdint.h>
#include <stdlib.h>

DUCKDB_EXTENSION_EXTERN

// Function kinds: what the C trampolines tell Go about the function being called.
enum di_kind {
	DI_INFER = 0,          // ml_infer: packed VARCHAR
	DI_INFER_PROBS = 1,    // ml_infer_probs: packed VARCHAR with probabilities
	DI_INFER_REGRESS = 2,  // ml_infer_regress: DOUBLE
	DI_INFER_REGRESS_LIST = 3, // ml_infer_regress_list: DOUBLE[]
	DI_PREDICT_SQL = 4,    // ml_predict_sql: VARCHAR, the generated query
	DI_KEEP_COLUMN = 5,    // ml_keep_column: BOOLEAN
	DI_INFER_EMBED = 6,    // ml_infer_embed: FLOAT[]
};

// Registration (entry.c).
int di_register_scalar(duckdb_connection con, const char *name, int kind, uintptr_t env, int nfixed,
                       duckdb_type fixed_type, int varargs, duckdb_type last_type, duckdb_logical_type result,
                       int is_volatile);
int di_register_table(duckdb_connection con, const char *name, uintptr_t env, int which);
int di_register_option(duckdb_connection con, const char *name, const char *description);
int di_exec(duckdb_connection con, const char *sql, char **err);
int di_query_int64(duckdb_connection con, const char *sql, int64_t *out, char **err);
char *di_option(duckdb_client_context ctx, const char *name);
char *di_bind_option(duckdb_bind_info info, const char *name);
char *di_table_bind_option(duckdb_bind_info info, const char *name);

// Writing results (entry.c).
void di_assign_strings(duckdb_vector v, idx_t n, const char *buf, const uint32_t *off, const uint8_t *null);
const duckvec_api *di_vec_api(void);
duckdb_logical_type di_pair_type(const char *a, const char *b);
void di_set_table_string(duckdb_vector v, idx_t row, const char *s, idx_t len);
int di_write_lists(duckdb_vector v, idx_t n, const void *vals, size_t elem, const uint64_t *off, const uint8_t *null);
int di_write_string_list(duckdb_vector v, idx_t row, idx_t offset, const char **items, const uint32_t *lens, idx_t k);

// The extension's own file, for finding ONNX Runtime and the v2 companion beside it.
const char *di_self_path(void);
static inline const char *di_library_version(void) { return duckdb_library_version(); }

static inline duckdb_vector di_chunk_vector(duckdb_data_chunk c, idx_t i) { return duckdb_data_chunk_get_vector(c, i); }
static inline idx_t di_chunk_size(duckdb_data_chunk c) { return duckdb_data_chunk_get_size(c); }
static inline void *di_vector_data(duckdb_vector v) { return duckdb_vector_get_data(v); }
static inline uint64_t *di_vector_validity(duckdb_vector v) { return duckdb_vector_get_validity(v); }
static inline void di_set_invalid(duckdb_vector v, idx_t row) {
	duckdb_vector_ensure_validity_writable(v);
	duckdb_validity_set_row_invalid(duckdb_vector_get_validity(v), row);
}
static inline duckdb_vector di_list_child(duckdb_vector v) { return duckdb_list_vector_get_child(v); }
static inline duckdb_vector di_array_child(duckdb_vector v) { return duckdb_array_vector_get_child(v); }
static inline void di_scalar_error(duckdb_function_info info, const char *msg) { duckdb_scalar_function_set_error(info, msg); }
static inline void di_bind_error(duckdb_bind_info info, const char *msg) { duckdb_scalar_function_bind_set_error(info, msg); }
static inline void *di_bind_data(duckdb_function_info info) { return duckdb_scalar_function_get_bind_data(info); }
static inline void *di_bind_extra(duckdb_bind_info info) { return duckdb_scalar_function_bind_get_extra_info(info); }
static inline idx_t di_bind_argc(duckdb_bind_info info) { return duckdb_scalar_function_bind_get_argument_count(info); }
static inline void di_free(void *p) { duckdb_free(p); }
static inline idx_t di_vector_size(void) { return duckdb_vector_size(); }

// Column type facts: type id, and for DECIMAL its scale and storage type, for ARRAY
// its size and for LIST/ARRAY the element type.
typedef struct {
	duckdb_type id;
	uint8_t scale;
	duckdb_type internal; // DECIMAL storage
	idx_t array_size;
	duckdb_type child;
} di_type_info;
void di_vector_type(duckdb_vector v, di_type_info *out);

// di_arg folds bind argument i to a value; 0 when it is not a constant (err says why).
duckdb_value di_bind_arg(duckdb_bind_info info, idx_t i, char **err);
void di_set_bind_data(duckdb_bind_info info, uintptr_t handle);

// Values.
static inline void di_destroy_value(duckdb_value v) { duckdb_destroy_value(&v); }
static inline int di_value_is_null(duckdb_value v) { return duckdb_is_null_value(v); }
static inline char *di_value_varchar(duckdb_value v) { return duckdb_get_varchar(v); }
static inline int64_t di_value_int64(duckdb_value v) { return duckdb_get_int64(v); }
static inline idx_t di_value_list_size(duckdb_value v) { return duckdb_get_list_size(v); }
static inline duckdb_value di_value_list_child(duckdb_value v, idx_t i) { return duckdb_get_list_child(v, i); }
duckdb_type di_value_type(duckdb_value v);
// di_value_vector copies v into a new one-row vector (destroy it with
// di_destroy_vector): the value API reads no ARRAY's elements, a vector does.
static inline duckdb_vector di_value_vector(duckdb_value v) {
	duckdb_vector vec = duckdb_create_vector(duckdb_get_value_type(v), 1);
	duckdb_vector_reference_value(vec, v);
	return vec;
}
static inline void di_destroy_vector(duckdb_vector v) { duckdb_destroy_vector(&v); }
void di_table_init_error(duckdb_init_info info, const char *msg);

// Table functions (ml_tasks, ml_devices, ml_errors): bind info accessors.
static inline void di_table_add_column(duckdb_bind_info info, const char *name, duckdb_logical_type t) {
	duckdb_bind_add_result_column(info, name, t);
}
static inline duckdb_logical_type di_type(duckdb_type t) { return duckdb_create_logical_type(t); }
static inline duckdb_logical_type di_list_type(duckdb_type t) {
	duckdb_logical_type c = duckdb_create_logical_type(t);
	duckdb_logical_type l = duckdb_create_list_type(c);
	duckdb_destroy_logical_type(&c);
	return l;
}
static inline void di_destroy_type(duckdb_logical_type t) { duckdb_destroy_logical_type(&t); }
static inline void di_table_bind_error(duckdb_bind_info info, const char *msg) { duckdb_bind_set_error(info, msg); }
static inline void di_table_function_error(duckdb_function_info info, const char *msg) { duckdb_function_set_error(info, msg); }
static inline void di_chunk_set_size(duckdb_data_chunk c, idx_t n) { duckdb_data_chunk_set_size(c, n); }
void di_table_set_bind_data(duckdb_bind_info info, uintptr_t handle);
static inline void *di_table_bind_data(duckdb_function_info info) { return duckdb_function_get_bind_data(info); }

#endif
