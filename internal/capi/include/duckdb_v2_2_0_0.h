// The part of DuckDB 2.0.0's C API v2 that the macro companion extension
// (../v2ext/duckinfer_v2.c) calls, for exactly DuckDB v2.0.0 (ABI C_STRUCT_UNSTABLE).
//
// Where this comes from. DuckDB 2.0.0's duckdb_v2.h / duckdb_extension_v2.h are not in
// any module or package this repository downloads, and none of the stored copies of the
// upstream headers (duckdb/duckdb, Maxxen/duckdb, serenedb/duckdb, ...) is the 2.0.0
// one: their function-table order and several names differ from the release (e.g.
// duckdb_v2_connect vs the release's duckdb_v2_connection_create, or
// duckdb_v2_table_function_register vs duckdb_v2_extension_register_table_function).
// So this file is written from the release itself, the static library of
// go.duckdb.org/libduckdb/linux-amd64 v0.20000.0 (duckdb source d54cbbe3df17, see its
// provenance.json), and declares nothing else:
//   - every slot index below is where the loader's ExtensionGetAPIV2 stores that
//     function into duckdb_ext_api_v2 (CreateAPIv2 inlined: one 8-byte store per
//     function, 620 in all); internal/capi/hosttest's TestV2APILayout disassembles the
//     library and fails if any index here differs;
//   - every prototype was read from the disassembly of that function in the same
//     library (which argument registers it checks, dereferences or stores through) and
//     uses the type names of upstream's duckdb_v2.h for the same function where upstream
//     has one (duckdb/duckdb src/include/duckdb_v2.h: duckdb_v2_str, the *_handle
//     types, DUCKDB_V2_ERROR, duckdb_v2_extension_input);
//   - enum values were read from the same code (see each one).
// The end-to-end host tests (hosttest: the macros registered, called with and without
// named parameters) are what prove the calls right.
#ifndef DUCKINFER_DUCKDB_V2_2_0_0_H
#define DUCKINFER_DUCKDB_V2_2_0_0_H

#include <stdbool.h>
#include <stdint.h>

typedef uint64_t idx_t;

// DUCKDB_V2_ERROR: 0 is success (every function returns 0 on its success path).
typedef int32_t DUCKDB_V2_ERROR;
#define DUCKDB_V2_ERROR_NONE 0

// A borrowed, length-delimited string: ptr first, then len (the library's Convert reads
// the first word as the pointer: a NULL pointer is accepted only with a zero length).
typedef struct duckdb_v2_str {
	const char *ptr;
	idx_t len;
} duckdb_v2_str;
typedef duckdb_v2_str duckdb_v2_identifier_t;

typedef struct _duckdb_extension_info *duckdb_v2_extension_handle;
typedef struct _duckdb_v2_context *duckdb_v2_context_handle;
typedef struct _duckdb_v2_factory *duckdb_v2_factory_handle;
typedef struct _duckdb_v2_error_info *duckdb_v2_error_info_handle;
typedef struct _duckdb_v2_logical_type *duckdb_v2_logical_type_handle;
typedef struct _duckdb_v2_value *duckdb_v2_value_handle;
typedef struct _duckdb_v2_macro_function *duckdb_v2_macro_function_handle;
typedef struct _duckdb_v2_function_signature *duckdb_v2_function_signature_handle;

// What the loader hands the entry point <name>_init_c_api_v2 (InvokeCAPIV2Entrypoint /
// CallEntrypoint store these four words in this order). get_api must be called first, or
// the load is refused; failures are reported by filling *err.
struct duckdb_v2_extension_input {
	const void *(*get_api)(duckdb_v2_extension_handle extension, const char *version);
	duckdb_v2_extension_handle extension;
	duckdb_v2_context_handle context;
	duckdb_v2_error_info_handle *err;
};

// duckdb_v2_macro_function_create's kind: 0 makes a scalar macro, 1 a table macro (the
// library maps 0 to MacroType::SCALAR_MACRO and 1 to TABLE_MACRO, and refuses others).
typedef int32_t DUCKDB_V2_MACRO_TYPE;
#define DUCKDB_V2_MACRO_TYPE_SCALAR 0
#define DUCKDB_V2_MACRO_TYPE_TABLE 1

// duckdb_v2_function_signature_add_parameter's kind (0..4, passed through unchanged to
// FunctionParameterKind: POSITIONAL_ONLY, STANDARD, VAR_POSITIONAL, KEYWORD_ONLY,
// VAR_KEYWORD). A macro accepts only STANDARD ("The parameters of a macro function can
// always be passed by position or by name"), which the host tests exercise.
typedef int32_t DUCKDB_V2_FUNCTION_PARAMETER_KIND;
#define DUCKDB_V2_FUNCTION_PARAMETER_KIND_STANDARD 1

// duckdb_v2_factory_create_type_from_id's id: passed through as DuckDB's LogicalTypeId
// (the library names it with LogicalTypeId's own EnumToString, and refuses 0 INVALID,
// 1 SQLNULL, 2 UNKNOWN and 6). ANY, 3, is what an untyped macro parameter is given.
typedef uint8_t DUCKDB_V2_LOGICAL_TYPE_ID;
#define DUCKDB_V2_LOGICAL_TYPE_ID_ANY 3

// The functions called, as pointer types, with their slot in duckdb_ext_api_v2.
typedef DUCKDB_V2_ERROR (*duckdb_v2_context_get_factory_fn)(duckdb_v2_context_handle context,
                                                            duckdb_v2_factory_handle *out_factory,
                                                            duckdb_v2_error_info_handle *err);
typedef DUCKDB_V2_ERROR (*duckdb_v2_factory_create_type_from_text_fn)(duckdb_v2_factory_handle factory,
                                                                      const duckdb_v2_str *text,
                                                                      duckdb_v2_logical_type_handle *out_type,
                                                                      duckdb_v2_error_info_handle *err);
typedef DUCKDB_V2_ERROR (*duckdb_v2_factory_create_type_from_id_fn)(
    duckdb_v2_factory_handle factory, DUCKDB_V2_LOGICAL_TYPE_ID type_id, const duckdb_v2_identifier_t *param_names,
    const duckdb_v2_value_handle *param_values, idx_t param_count, duckdb_v2_logical_type_handle *out_type,
    duckdb_v2_error_info_handle *err);
typedef DUCKDB_V2_ERROR (*duckdb_v2_logical_type_destroy_fn)(duckdb_v2_logical_type_handle *type);
typedef DUCKDB_V2_ERROR (*duckdb_v2_value_create_null_fn)(duckdb_v2_factory_handle factory,
                                                          duckdb_v2_logical_type_handle type,
                                                          duckdb_v2_value_handle *out_value,
                                                          duckdb_v2_error_info_handle *err);
typedef DUCKDB_V2_ERROR (*duckdb_v2_value_destroy_fn)(duckdb_v2_value_handle *value);
typedef DUCKDB_V2_ERROR (*duckdb_v2_function_signature_add_parameter_fn)(
    duckdb_v2_function_signature_handle sig, const duckdb_v2_identifier_t *name, duckdb_v2_logical_type_handle type,
    duckdb_v2_value_handle default_value, DUCKDB_V2_FUNCTION_PARAMETER_KIND kind, duckdb_v2_error_info_handle *err);
typedef DUCKDB_V2_ERROR (*duckdb_v2_macro_function_create_fn)(duckdb_v2_factory_handle factory,
                                                              DUCKDB_V2_MACRO_TYPE kind,
                                                              duckdb_v2_macro_function_handle *out_function,
                                                              duckdb_v2_error_info_handle *err);
typedef DUCKDB_V2_ERROR (*duckdb_v2_macro_function_destroy_fn)(duckdb_v2_macro_function_handle *function);
typedef DUCKDB_V2_ERROR (*duckdb_v2_macro_function_get_signature_fn)(duckdb_v2_macro_function_handle function,
                                                                     duckdb_v2_function_signature_handle *out_sig,
                                                                     duckdb_v2_error_info_handle *err);
typedef DUCKDB_V2_ERROR (*duckdb_v2_macro_function_set_body_fn)(duckdb_v2_macro_function_handle function,
                                                                const duckdb_v2_str *body,
                                                                duckdb_v2_error_info_handle *err);
typedef DUCKDB_V2_ERROR (*duckdb_v2_macro_function_set_name_fn)(duckdb_v2_macro_function_handle function,
                                                                const duckdb_v2_identifier_t *name,
                                                                duckdb_v2_error_info_handle *err);
typedef DUCKDB_V2_ERROR (*duckdb_v2_extension_register_macro_function_fn)(duckdb_v2_extension_handle extension,
                                                                          duckdb_v2_macro_function_handle function,
                                                                          duckdb_v2_error_info_handle *err);

// duckdb_ext_api_v2 of DuckDB 2.0.0: 620 function pointers. Only the slots below are
// declared; TestV2APILayout checks each against the library.
#define DI_V2_API_SLOTS 620
typedef struct {
	void *slot[DI_V2_API_SLOTS];
} duckdb_ext_api_v2;

#define DI_V2_SLOT_duckdb_v2_logical_type_destroy 49
#define DI_V2_SLOT_duckdb_v2_value_create_null 96
#define DI_V2_SLOT_duckdb_v2_value_destroy 118
#define DI_V2_SLOT_duckdb_v2_factory_create_type_from_id 38
#define DI_V2_SLOT_duckdb_v2_factory_create_type_from_text 40
#define DI_V2_SLOT_duckdb_v2_function_signature_add_parameter 174
#define DI_V2_SLOT_duckdb_v2_context_get_factory 530
#define DI_V2_SLOT_duckdb_v2_extension_register_macro_function 581
#define DI_V2_SLOT_duckdb_v2_macro_function_create 596
#define DI_V2_SLOT_duckdb_v2_macro_function_destroy 597
#define DI_V2_SLOT_duckdb_v2_macro_function_get_signature 599
#define DI_V2_SLOT_duckdb_v2_macro_function_set_body 600
#define DI_V2_SLOT_duckdb_v2_macro_function_set_name 601

// DI_V2(api, duckdb_v2_x) is the function in api's slot for duckdb_v2_x, typed.
#define DI_V2(api, name) ((name##_fn)((api)->slot[DI_V2_SLOT_##name]))

#endif
