// The extension's entry point and the C halves of its callbacks (see capi.h).
#define _GNU_SOURCE
#define DUCKDB_EXTENSION_NAME duckinfer
#include "capi.h"
#include "_cgo_export.h"
#include <dlfcn.h>
#include <string.h>
#include "../duckvec/duckvec.h"

// duckinfer_init_c_api: DuckDB calls it on LOAD, once per database. It copies the
// function table, opens a connection for the Go side to register through, and
// closes it again (the handle is valid only during load).
DUCKDB_EXTENSION_ENTRYPOINT(duckdb_connection connection, duckdb_extension_info info,
                            struct duckdb_extension_access *access) {
	char *err = NULL;
	if (!goInit(connection, &err)) {
		access->set_error(info, err ? err : "duckinfer: initialisation failed");
		free(err);
		return false;
	}
	return true;
}

typedef struct {
	int kind;
	uintptr_t env;
} di_extra;

static void di_scalar_cb(duckdb_function_info info, duckdb_data_chunk input, duckdb_vector output) {
	di_extra *x = (di_extra *)duckdb_scalar_function_get_extra_info(info);
	goScalar(info, input, output, x->kind);
}

static void di_scalar_bind_cb(duckdb_bind_info info) {
	di_extra *x = (di_extra *)duckdb_scalar_function_bind_get_extra_info(info);
	goScalarBind(info, x->kind, x->env);
}

static void di_handle_delete(void *p) { goHandleDelete((uintptr_t)p); }

// Each registered function holds a reference to its database's Go state; DuckDB frees
// the extra info when the database closes, and the last one frees the state (and the
// models it loaded).
static void di_extra_free(void *p) {
	goEnvRelease(((di_extra *)p)->env);
	free(p);
}
static void *di_handle_copy(void *p) { return (void *)goHandleCopy((uintptr_t)p); }

int di_register_scalar(duckdb_connection con, const char *name, int kind, uintptr_t env, int nfixed,
                       duckdb_type fixed_type, int varargs, duckdb_type last_type, duckdb_logical_type result,
                       int is_volatile) {
	duckdb_scalar_function f = duckdb_create_scalar_function();
	duckdb_scalar_function_set_name(f, name);
	duckdb_logical_type ft = duckdb_create_logical_type(fixed_type);
	for (int i = 0; i < nfixed; i++) {
		duckdb_scalar_function_add_parameter(f, ft);
	}
	duckdb_destroy_logical_type(&ft);
	duckdb_logical_type lt = duckdb_create_logical_type(last_type);
	if (varargs) {
		duckdb_scalar_function_set_varargs(f, lt);
	} else if (last_type != DUCKDB_TYPE_INVALID) {
		duckdb_scalar_function_add_parameter(f, lt);
	}
	duckdb_destroy_logical_type(&lt);
	duckdb_scalar_function_set_return_type(f, result);
	duckdb_scalar_function_set_special_handling(f);
	if (is_volatile) {
		duckdb_scalar_function_set_volatile(f);
	}
	di_extra *x = (di_extra *)malloc(sizeof(di_extra));
	x->kind = kind;
	x->env = env;
	goEnvRetain(env);
	duckdb_scalar_function_set_extra_info(f, x, di_extra_free);
	duckdb_scalar_function_set_bind(f, di_scalar_bind_cb);
	duckdb_scalar_function_set_function(f, di_scalar_cb);
	duckdb_state st = duckdb_register_scalar_function(con, f);
	duckdb_destroy_scalar_function(&f);
	return st == DuckDBSuccess;
}

void di_set_bind_data(duckdb_bind_info info, uintptr_t handle) {
	duckdb_scalar_function_set_bind_data(info, (void *)handle, di_handle_delete);
	duckdb_scalar_function_set_bind_data_copy(info, di_handle_copy);
}

duckdb_value di_bind_arg(duckdb_bind_info info, idx_t i, char **err) {
	duckdb_expression e = duckdb_scalar_function_bind_get_argument(info, i);
	if (!e) {
		*err = strdup("cannot read the argument");
		return NULL;
	}
	if (!duckdb_expression_is_foldable(e)) {
		duckdb_destroy_expression(&e);
		return NULL;
	}
	duckdb_client_context ctx = NULL;
	duckdb_scalar_function_get_client_context(info, &ctx);
	duckdb_value v = NULL;
	duckdb_error_data ed = duckdb_expression_fold(ctx, e, &v);
	duckdb_destroy_expression(&e);
	duckdb_destroy_client_context(&ctx);
	if (ed && duckdb_error_data_has_error(ed)) {
		*err = strdup(duckdb_error_data_message(ed));
		duckdb_destroy_error_data(&ed);
		return NULL;
	}
	if (ed) {
		duckdb_destroy_error_data(&ed);
	}
	return v;
}

duckdb_type di_value_type(duckdb_value v) { return duckdb_get_type_id(duckdb_get_value_type(v)); }

void di_vector_type(duckdb_vector v, di_type_info *out) {
	memset(out, 0, sizeof(*out));
	duckdb_logical_type t = duckdb_vector_get_column_type(v);
	out->id = duckdb_get_type_id(t);
	switch (out->id) {
	case DUCKDB_TYPE_DECIMAL:
		out->scale = duckdb_decimal_scale(t);
		out->internal = duckdb_decimal_internal_type(t);
		break;
	case DUCKDB_TYPE_ARRAY: {
		out->array_size = duckdb_array_type_array_size(t);
		duckdb_logical_type c = duckdb_array_type_child_type(t);
		out->child = duckdb_get_type_id(c);
		duckdb_destroy_logical_type(&c);
		break;
	}
	case DUCKDB_TYPE_LIST: {
		duckdb_logical_type c = duckdb_list_type_child_type(t);
		out->child = duckdb_get_type_id(c);
		duckdb_destroy_logical_type(&c);
		break;
	}
	default:
		break;
	}
	duckdb_destroy_logical_type(&t);
}

// di_assign_strings writes n strings (buf[off[i]:off[i+1]]) or NULLs in one call.
void di_assign_strings(duckdb_vector v, idx_t n, const char *buf, const uint32_t *off, const uint8_t *null) {
	for (idx_t i = 0; i < n; i++) {
		if (null && null[i]) {
			duckdb_vector_ensure_validity_writable(v);
			duckdb_validity_set_row_invalid(duckdb_vector_get_validity(v), i);
			continue;
		}
		duckdb_vector_assign_string_element_len(v, i, buf + off[i], off[i + 1] - off[i]);
	}
}

// di_vec_api is duckvec's access to DuckDB (duckvec.h) through the extension API.
static void *di_child(void *vec, uint64_t i) { return duckdb_struct_vector_get_child((duckdb_vector)vec, i); }
static void *di_data(void *vec) { return duckdb_vector_get_data((duckdb_vector)vec); }
static uint64_t *di_writable_validity(void *vec) {
	duckdb_vector_ensure_validity_writable((duckdb_vector)vec);
	return duckdb_vector_get_validity((duckdb_vector)vec);
}
static void di_assign(void *vec, uint64_t i, const char *s, uint64_t len) {
	duckdb_vector_assign_string_element_len((duckdb_vector)vec, i, s, len);
}
static const duckvec_api di_vec_api_table = {di_child, di_data, di_writable_validity, di_assign};
const duckvec_api *di_vec_api(void) { return &di_vec_api_table; }

// di_pair_type is STRUCT(a VARCHAR, b VARCHAR).
duckdb_logical_type di_pair_type(const char *a, const char *b) {
	duckdb_logical_type v = duckdb_create_logical_type(DUCKDB_TYPE_VARCHAR);
	duckdb_logical_type types[2] = {v, v};
	const char *names[2] = {a, b};
	duckdb_logical_type t = duckdb_create_struct_type(types, names, 2);
	duckdb_destroy_logical_type(&v);
	return t;
}

void di_set_table_string(duckdb_vector v, idx_t row, const char *s, idx_t len) {
	duckdb_vector_assign_string_element_len(v, row, s, len);
}

// di_write_lists fills a LIST vector of fixed-width elements (DOUBLE or FLOAT) of
// elem bytes each: vals holds every row's values back to back, row i at off[i]..off[i+1].
int di_write_lists(duckdb_vector v, idx_t n, const void *vals, size_t elem, const uint64_t *off, const uint8_t *null) {
	idx_t total = off[n];
	if (duckdb_list_vector_reserve(v, total) != DuckDBSuccess) {
		return 0;
	}
	duckdb_vector child = duckdb_list_vector_get_child(v);
	void *cd = duckdb_vector_get_data(child);
	if (total) {
		memcpy(cd, vals, total * elem);
	}
	duckdb_list_entry *ents = (duckdb_list_entry *)duckdb_vector_get_data(v);
	for (idx_t i = 0; i < n; i++) {
		ents[i].offset = off[i];
		ents[i].length = off[i + 1] - off[i];
		if (null && null[i]) {
			duckdb_vector_ensure_validity_writable(v);
			duckdb_validity_set_row_invalid(duckdb_vector_get_validity(v), i);
		}
	}
	return duckdb_list_vector_set_size(v, total) == DuckDBSuccess;
}

int di_write_string_list(duckdb_vector v, idx_t row, idx_t offset, const char **items, const uint32_t *lens, idx_t k) {
	if (duckdb_list_vector_reserve(v, offset + k) != DuckDBSuccess) {
		return 0;
	}
	duckdb_vector child = duckdb_list_vector_get_child(v);
	for (idx_t i = 0; i < k; i++) {
		duckdb_vector_assign_string_element_len(child, offset + i, items[i], lens[i]);
	}
	duckdb_list_entry *ents = (duckdb_list_entry *)duckdb_vector_get_data(v);
	ents[row].offset = offset;
	ents[row].length = k;
	return duckdb_list_vector_set_size(v, offset + k) == DuckDBSuccess;
}

// Table functions (ml_tasks, ml_devices, ml_errors, ml_stats): the columns fixed at
// bind, the rows computed at init, so that each run of a prepared statement (which
// DuckDB 1.5 binds once) shows them as they are then.
typedef struct {
	int which;
	uintptr_t env;
} di_table_extra;

static void di_table_extra_free(void *p) {
	goEnvRelease(((di_table_extra *)p)->env);
	free(p);
}

static void di_table_bind_cb(duckdb_bind_info info) {
	di_table_extra *x = (di_table_extra *)duckdb_bind_get_extra_info(info);
	goTableBind(info, x->which, x->env);
}

static void di_table_init_cb(duckdb_init_info info) {
	duckdb_init_set_max_threads(info, 1);
	uintptr_t scan = goTableInit(info, (uintptr_t)duckdb_init_get_bind_data(info));
	if (scan) {
		duckdb_init_set_init_data(info, (void *)scan, di_handle_delete);
	}
}

static void di_table_cb(duckdb_function_info info, duckdb_data_chunk output) {
	goTableFill(info, (uintptr_t)duckdb_function_get_init_data(info), output);
}

void di_table_init_error(duckdb_init_info info, const char *msg) { duckdb_init_set_error(info, msg); }

void di_table_set_bind_data(duckdb_bind_info info, uintptr_t handle) {
	duckdb_bind_set_bind_data(info, (void *)handle, di_handle_delete);
}

int di_register_table(duckdb_connection con, const char *name, uintptr_t env, int which) {
	duckdb_table_function f = duckdb_create_table_function();
	duckdb_table_function_set_name(f, name);
	di_table_extra *x = (di_table_extra *)malloc(sizeof(di_table_extra));
	x->which = which;
	x->env = env;
	goEnvRetain(env);
	duckdb_table_function_set_extra_info(f, x, di_table_extra_free);
	duckdb_table_function_set_bind(f, di_table_bind_cb);
	duckdb_table_function_set_init(f, di_table_init_cb);
	duckdb_table_function_set_function(f, di_table_cb);
	duckdb_state st = duckdb_register_table_function(con, f);
	duckdb_destroy_table_function(&f);
	return st == DuckDBSuccess;
}

int di_register_option(duckdb_connection con, const char *name, const char *description) {
	duckdb_config_option o = duckdb_create_config_option();
	duckdb_config_option_set_name(o, name);
	duckdb_logical_type t = duckdb_create_logical_type(DUCKDB_TYPE_VARCHAR);
	duckdb_config_option_set_type(o, t);
	duckdb_destroy_logical_type(&t);
	duckdb_value d = duckdb_create_varchar("");
	duckdb_config_option_set_default_value(o, d);
	duckdb_destroy_value(&d);
	duckdb_config_option_set_description(o, description);
	duckdb_state st = duckdb_register_config_option(con, o);
	duckdb_destroy_config_option(&o);
	return st == DuckDBSuccess;
}

// di_option reads a setting as the calling client sees it; NULL when unset.
char *di_option(duckdb_client_context ctx, const char *name) {
	duckdb_config_option_scope scope;
	duckdb_value v = duckdb_client_context_get_config_option(ctx, name, &scope);
	if (!v) {
		return NULL;
	}
	char *s = duckdb_is_null_value(v) ? NULL : duckdb_get_varchar(v);
	duckdb_destroy_value(&v);
	return s;
}

char *di_bind_option(duckdb_bind_info info, const char *name) {
	duckdb_client_context ctx = NULL;
	duckdb_scalar_function_get_client_context(info, &ctx);
	char *s = di_option(ctx, name);
	duckdb_destroy_client_context(&ctx);
	return s;
}

char *di_table_bind_option(duckdb_bind_info info, const char *name) {
	duckdb_client_context ctx = NULL;
	duckdb_table_function_get_client_context(info, &ctx);
	char *s = di_option(ctx, name);
	duckdb_destroy_client_context(&ctx);
	return s;
}

int di_exec(duckdb_connection con, const char *sql, char **err) {
	duckdb_result r;
	duckdb_state st = duckdb_query(con, sql, &r);
	if (st != DuckDBSuccess) {
		const char *e = duckdb_result_error(&r);
		*err = strdup(e ? e : "unknown error");
	}
	duckdb_destroy_result(&r);
	return st == DuckDBSuccess;
}

int di_query_int64(duckdb_connection con, const char *sql, int64_t *out, char **err) {
	duckdb_result r;
	duckdb_state st = duckdb_query(con, sql, &r);
	if (st != DuckDBSuccess) {
		const char *e = duckdb_result_error(&r);
		*err = strdup(e ? e : "unknown error");
	} else {
		*out = duckdb_value_int64(&r, 0, 0);
	}
	duckdb_destroy_result(&r);
	return st == DuckDBSuccess;
}

const char *di_self_path(void) {
	Dl_info dl;
	if (dladdr((void *)di_self_path, &dl) && dl.dli_fname) {
		return dl.dli_fname;
	}
	return "";
}
