package udf

import (
	"context"
	"database/sql/driver"
	"fmt"
	"strconv"

	"github.com/duckinfer/duckinfer/internal/models"
)

// Sep joins the columns list that the macro hands to ml_infer.
const Sep = "\x1f"

// The packed result: ml_infer returns one VARCHAR, the confidence in ConfidenceWidth
// characters followed by the label, and the macro slices it by position. One VARCHAR is
// ~4× cheaper than a STRUCT result through duckdb-go, and slicing by position beat
// split_part. packResult (Go) and unpackSQL (SQL) are the only two places that know it.
const ConfidenceWidth = models.ConfidenceWidth

// Output column names of ml_predict: predictOutputs for classify tasks,
// regressOutputs for regress tasks. An input column with one of these names (in any
// case) is replaced by the new value, so re-scoring a scored table gives new predictions.
var (
	predictOutputs = []string{"predicted_class", "confidence"}
	regressOutputs = []string{"prediction"}
	embedOutputs   = []string{"embedding"}
	probsOutput    = "probabilities" // with probabilities := true
)

// packedColumn names ml_infer's packed result inside the generated query. An input
// column of that name would be ambiguous, so ml_keep_column refuses it clearly.
const packedColumn = "__duckinfer_packed"

// macroSQL defines ml_predict for one connection; connID is that connection's DuckDB
// id ("" when unknown), which lets ml_infer find the context of the statement
// executing now (see conncontext.go). The query itself is written by ml_predict_sql
// (predict_sql.go) for the task's output kind, and read by query() at bind:
//
//   - COLUMNS(lambda c: ml_keep_column(...)) passes every input column through except those the
//     outputs replace; evaluated at bind over all input column names, it also checks that
//     the task's input columns exist, so those mistakes get ml_predict's own messages.
//   - *COLUMNS(list) unpacks the columns in the input's order, not the list's, so
//     typeof(struct_pack(<the same>)), folded to a constant at bind, tells ml_infer the
//     order they arrive in (see argPositions).
//   - ml_infer runs once per row that reaches it: a classify task's packed result is one
//     hidden column of an inner projection, which the outer projection slices and drops,
//     and the inference functions are volatile, so DuckDB pushes no filter on a
//     prediction below that projection. A deterministic ml_infer (or ml_infer twice in one
//     projection, or cut by substring) was copied into a pushed-down filter and ran the
//     model again for every row the filter kept. Volatile also keeps DuckDB from folding
//     a constant input at plan time. Filters on input columns are still pushed into the
//     input (TestPredictInfersEachRowOnce).
//   - Options reach ml_infer as VARCHAR, the empty string for "not given": duckdb-go
//     aborts the process when it folds a typed NULL argument at bind time, and cannot
//     fold LIST arguments.
//   - query() reads a table or view name as 'FROM name' and a query string as itself,
//     inside the caller's own query, so the caller's transaction, temp tables and views are
//     visible, and DuckDB's parallel scan, LIMIT and filter pushdown drive inference.
//
// ml_embed (text embedders) is the same query with an embedding column instead; both
// macros call ml_predict_sql, which checks the task's kind against the macro (embed).
func macroSQL(connID string) string {
	return fmt.Sprintf(`CREATE OR REPLACE TEMP MACRO ml_predict(task, input, columns := NULL, batch_size := NULL,
    device := NULL, models_per_gpu := NULL, gpu_mem_limit_mb := NULL, on_error := NULL,
    probabilities := NULL, max_length := NULL) AS TABLE
FROM query(ml_predict_sql(task, input, columns, coalesce(batch_size::VARCHAR, ''), coalesce(device::VARCHAR, ''),
    coalesce(models_per_gpu::VARCHAR, ''), coalesce(gpu_mem_limit_mb::VARCHAR, ''),
    coalesce(on_error::VARCHAR, ''), %[1]s, coalesce(probabilities::VARCHAR, ''),
    coalesce(max_length::VARCHAR, ''), '', '', 'false'));
CREATE OR REPLACE TEMP MACRO ml_embed(task, input, columns := NULL, batch_size := NULL,
    device := NULL, models_per_gpu := NULL, gpu_mem_limit_mb := NULL, on_error := NULL,
    max_length := NULL, pooling := NULL, normalize := NULL) AS TABLE
FROM query(ml_predict_sql(task, input, columns, coalesce(batch_size::VARCHAR, ''), coalesce(device::VARCHAR, ''),
    coalesce(models_per_gpu::VARCHAR, ''), coalesce(gpu_mem_limit_mb::VARCHAR, ''),
    coalesce(on_error::VARCHAR, ''), %[1]s, '', coalesce(max_length::VARCHAR, ''),
    coalesce(pooling::VARCHAR, ''), coalesce(normalize::VARCHAR, ''), 'true'))`, quoteSQL(connID))
}

// probsSep ends the packed label when ml_infer_probs appends every label's probability
// (comma-separated, in label order); labels hold no control characters.
const probsSep = '\x1f'

// unpackSQL returns the SQL expressions that cut packed, a packResult value, into
// label and confidence: by position, since the confidence has a fixed width.
func unpackSQL(packed string) (label, confidence string) {
	return fmt.Sprintf("%s[%d:]", packed, ConfidenceWidth+1), fmt.Sprintf("%s[1:%d]", packed, ConfidenceWidth)
}

// packResult appends one row's packed ml_infer result to b.
func packResult(b []byte, label string, p float32) []byte {
	return append(models.AppendConfidence(b, p), label...)
}

func quoteSQL(s string) string {
	out := []byte{'\''}
	for i := range len(s) {
		if s[i] == '\'' {
			out = append(out, '\'')
		}
		out = append(out, s[i])
	}
	return string(append(out, '\''))
}

// InitConn creates the per-connection macro; pass it to duckdb.NewConnector.
func (e *Env) InitConn(ctx context.Context, execer driver.ExecerContext) error {
	id := ""
	if n, ok := e.conns.connID(execer); ok {
		id = strconv.FormatUint(n, 10)
	}
	if _, err := execer.ExecContext(ctx, macroSQL(id), nil); err != nil {
		return fmt.Errorf("ml_predict: creating the macro: %w", err)
	}
	return nil
}
