package sqlgen

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/duckinfer/duckinfer/internal/models"
)

// Sep joins the columns list that the macro hands to ml_infer.
const Sep = "\x1f"

// ConfidenceWidth is the packed result's fixed-width confidence prefix: ml_infer_probs
// returns one VARCHAR, the confidence in ConfidenceWidth characters followed by the
// label (and the probabilities), and the macro slices it by position. PackResult (Go)
// and UnpackSQL (SQL) are the only two places that know it. Plain ml_infer returns a
// STRUCT instead (StructSQL): both bindings write its fields straight into DuckDB's
// vectors, and struct_extract costs nothing where slicing cost more than a light model.
const ConfidenceWidth = models.ConfidenceWidth

// Output column names of ml_predict: PredictOutputs for classify tasks,
// RegressOutputs for regress tasks. An input column with one of these names (in any
// case) is replaced by the new value, so re-scoring a scored table gives new predictions.
var (
	PredictOutputs = []string{"predicted_class", "confidence"}
	RegressOutputs = []string{"prediction"}
	EmbedOutputs   = []string{"embedding"} // ml_embed (text embedders)
	ProbsOutput    = "probabilities"       // with probabilities := true
)

// PackedColumn names ml_infer's packed result inside the generated query. An input
// column of that name would be ambiguous, so ml_keep_column refuses it clearly.
const PackedColumn = "__duckinfer_packed"

// ProbsSep ends the packed label when ml_infer_probs appends every label's probability
// (comma-separated, in label order); labels hold no control characters.
const ProbsSep = '\x1f'

// MacroParams is ml_predict's parameter list, shared by every form of the macro.
const MacroParams = `task, input, columns := NULL, batch_size := NULL,
    device := NULL, models_per_gpu := NULL, gpu_mem_limit_mb := NULL, on_error := NULL,
    probabilities := NULL, max_length := NULL`

// EmbedMacroParams is ml_embed's parameter list.
const EmbedMacroParams = `task, input, columns := NULL, batch_size := NULL,
    device := NULL, models_per_gpu := NULL, gpu_mem_limit_mb := NULL, on_error := NULL,
    max_length := NULL, pooling := NULL, normalize := NULL`

// The connection argument of MacroBody: the SQL that tells ml_infer which connection
// runs it, so that it finds that connection's context (settings, cancellation).
const (
	// ConnFromContext: none; the loadable extension reads the connection from the
	// function's client context.
	ConnFromContext = "''"
	// ConnCurrent: DuckDB's id of the connection expanding the macro, for the duckdb-go
	// binding, whose functions get no client context (internal/udf/conncontext.go). It
	// is folded at bind like the other arguments, so one macro serves every connection.
	ConnCurrent = "current_connection_id()::VARCHAR"
)

// Catalog is the attached in-memory database that holds the macros in both bindings,
// callable as duckinfer.ml_predict(...): nothing is written into the user's database,
// and a view saved with that name reads back in either binding.
const Catalog = "duckinfer"

// MacroBody is ml_predict's table-macro body: conn is ConnFromContext or ConnCurrent,
// as the binding tells its connections apart. The query
// itself is written by ml_predict_sql (PredictSQL) for the task's output kind and read
// by query() at bind:
//
//   - COLUMNS(lambda c: ml_keep_column(...)) passes every input column through except those the
//     outputs replace; evaluated at bind over all input column names, it also checks that
//     the task's input columns exist, so those mistakes get ml_predict's own messages.
//   - *COLUMNS(list) unpacks the columns in the input's order, not the list's, so
//     typeof(struct_pack(<the same>)), folded to a constant at bind, tells ml_infer the
//     order they arrive in (see ArgPositions).
//   - ml_infer runs once per row that reaches it: a classify task's packed result is one
//     hidden column of an inner projection, which the outer projection slices and drops,
//     and the inference functions are volatile, so DuckDB pushes no filter on a
//     prediction below that projection. A deterministic ml_infer (or ml_infer twice in one
//     projection, or cut by substring) was copied into a pushed-down filter and ran the
//     model again for every row the filter kept. Volatile also keeps DuckDB from folding
//     a constant input at plan time. Filters on input columns are still pushed into the
//     input.
//   - Options reach ml_infer as VARCHAR, the empty string for "not given": duckdb-go
//     aborts the process when it folds a typed NULL argument at bind time, and cannot
//     fold LIST arguments.
//   - query() reads a table or view name as 'FROM name' and a query string as itself,
//     inside the caller's own query, so the caller's transaction, temp tables and views are
//     visible, and DuckDB's parallel scan, LIMIT and filter pushdown drive inference.
//
// ml_embed (text embedders) is the same query with an embedding column instead; both
// macros call ml_predict_sql, which checks the task's kind against the macro.
func MacroBody(conn string) string {
	return fmt.Sprintf(`FROM query(ml_predict_sql(task, input, columns, coalesce(batch_size::VARCHAR, ''), coalesce(device::VARCHAR, ''),
    coalesce(models_per_gpu::VARCHAR, ''), coalesce(gpu_mem_limit_mb::VARCHAR, ''),
    coalesce(on_error::VARCHAR, ''), %s, coalesce(probabilities::VARCHAR, ''),
    coalesce(max_length::VARCHAR, ''), '', '', 'false', %s))`, conn, nulArgs(MacroParams))
}

// EmbedMacroBody is ml_embed's table-macro body (see MacroBody).
func EmbedMacroBody(conn string) string {
	return fmt.Sprintf(`FROM query(ml_predict_sql(task, input, columns, coalesce(batch_size::VARCHAR, ''), coalesce(device::VARCHAR, ''),
    coalesce(models_per_gpu::VARCHAR, ''), coalesce(gpu_mem_limit_mb::VARCHAR, ''),
    coalesce(on_error::VARCHAR, ''), %s, '', coalesce(max_length::VARCHAR, ''),
    coalesce(pooling::VARCHAR, ''), coalesce(normalize::VARCHAR, ''), 'true', %s))`, conn, nulArgs(EmbedMacroParams))
}

// nulArgs is ml_predict_sql's last argument: the names of the parameters in paramList
// whose value holds a NUL byte, comma-separated (the empty string for none). The loadable extension
// reads constant arguments through DuckDB's C API as C strings, which end at a NUL
// byte, and a task name, query or option cut there is another one; PredictSQL refuses
// them instead. (An error() in the macro would make the arguments unfoldable.)
func nulArgs(paramList string) string {
	params, err := SplitParams(paramList)
	if err != nil {
		panic(err) // the lists are this package's constants (TestSplitParams)
	}
	parts := make([]string, len(params))
	for i, p := range params {
		parts[i] = fmt.Sprintf("CASE WHEN contains(%s::VARCHAR, chr(0)) THEN '%s' END", p.Name, p.Name)
	}
	return "concat_ws(',', " + strings.Join(parts, ", ") + ")"
}

// MacroSQL is the statement that creates ml_predict as the table macro name (see
// MacroBody for conn).
func MacroSQL(create, name, conn string) string {
	return fmt.Sprintf("%s %s(%s) AS TABLE\n%s", create, name, MacroParams, MacroBody(conn))
}

// EmbedMacroSQL is the statement that creates ml_embed as the table macro name.
func EmbedMacroSQL(create, name, conn string) string {
	return fmt.Sprintf("%s %s(%s) AS TABLE\n%s", create, name, EmbedMacroParams, EmbedMacroBody(conn))
}

// CatalogMacros are the statements that create the macros in Catalog, the same in
// both bindings: ml_predict and ml_embed, and predict and embed, the names DuckDB
// 2.0's unqualified macros also have (cmd/duckinfer-v2macros).
func CatalogMacros(conn string) []string {
	var out []string
	for _, m := range []struct {
		name string
		sql  func(create, name, conn string) string
	}{{"ml_predict", MacroSQL}, {"predict", MacroSQL}, {"ml_embed", EmbedMacroSQL}, {"embed", EmbedMacroSQL}} {
		out = append(out, m.sql("CREATE OR REPLACE MACRO", Catalog+".main."+m.name, conn))
	}
	return out
}

// MacroParam is one parameter of a macro's parameter list: its name, and the SQL text
// of its default ("" for a positional parameter without one).
type MacroParam struct {
	Name, Default string
}

// SplitParams reads a parameter list such as MacroParams into its parameters, for
// registering the same macro through an API that takes them one by one (the DuckDB
// 2.0 companion extension, cmd/duckinfer-v2macros).
func SplitParams(list string) ([]MacroParam, error) {
	var out []MacroParam
	for _, p := range strings.Split(list, ",") {
		name, def, named := strings.Cut(p, ":=")
		name, def = strings.TrimSpace(name), strings.TrimSpace(def)
		if name == "" || strings.ContainsAny(name, " \t\n\"'()") || (named && def == "") {
			return nil, fmt.Errorf("sqlgen: cannot read the macro parameter %q in %q", strings.TrimSpace(p), list)
		}
		out = append(out, MacroParam{Name: name, Default: def})
	}
	return out, nil
}

// UnpackSQL returns the SQL expressions that cut packed, a PackResult value, into
// label and confidence: by position, since the confidence has a fixed width.
func UnpackSQL(packed string) (label, confidence string) {
	return fmt.Sprintf("%s[%d:]", packed, ConfidenceWidth+1), fmt.Sprintf("%s[1:%d]", packed, ConfidenceWidth)
}

// StructSQL returns the SQL expressions that take ml_infer's STRUCT result v apart.
func StructSQL(v string) (label, confidence string) {
	return fmt.Sprintf("struct_extract(%s, %s)", v, Quote(PredictOutputs[0])),
		fmt.Sprintf("struct_extract(%s, %s)", v, Quote(PredictOutputs[1]))
}

// PackResult appends one row's packed ml_infer_probs result to b (without the
// probabilities).
func PackResult(b []byte, label string, p float32) []byte {
	return append(models.AppendConfidence(b, p), label...)
}

// AppendProbsResult appends one row's whole ml_infer_probs result to b: PackResult, then
// ProbsSep and every label's probability (comma-separated, in label order), which
// PredictSQL cuts. Both bindings write it.
func AppendProbsResult(b []byte, label string, p float32, probs []float64) []byte {
	b = append(PackResult(b, label, p), ProbsSep)
	for j, q := range probs {
		if j > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendFloat(b, q, 'g', 9, 64)
	}
	return b
}

// Quote writes s as a SQL string literal.
func Quote(s string) string {
	out := []byte{'\''}
	for i := range len(s) {
		if s[i] == '\'' {
			out = append(out, '\'')
		}
		out = append(out, s[i])
	}
	return string(append(out, '\''))
}

// ListSQL writes names as a SQL list of strings.
func ListSQL(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = Quote(n)
	}
	return "[" + strings.Join(q, ", ") + "]"
}
