package udf

import (
	"context"
	"database/sql/driver"
	"fmt"
)

// Sep joins the columns list that the macro hands to ml_infer.
const Sep = "\x1f"

// ml_infer returns one VARCHAR, confidence (ConfidenceWidth characters) then label,
// which the macro slices: ~4× cheaper than a STRUCT result through duckdb-go
// (research/duckdb-table-functions.md), and slicing by position beat split_part.

// MacroSQL defines ml_predict over ml_infer. Options reach ml_infer as VARCHAR, ” for
// "not given": duckdb-go 2.10506 aborts the process when it folds a typed NULL
// argument at bind time, so no NULL may reach it.
//
// Also: ml_predict over ml_infer. query() reads a table or view name as
// 'FROM name' and a query string as itself, inside the caller's own query, so the
// caller's transaction, temp tables and views are visible, every column passes through
// untouched, and DuckDB's parallel scan, LIMIT and filter pushdown drive inference.
const MacroSQL = `CREATE OR REPLACE TEMP MACRO ml_predict(task, input, columns := NULL, batch_size := NULL,
    device := NULL, models_per_gpu := NULL, gpu_mem_limit_mb := NULL, on_error := NULL) AS TABLE
SELECT * EXCLUDE (__ml),
       __ml[9:] AS predicted_class,
       __ml[1:8] AS confidence
FROM (
    SELECT *, ml_infer(coalesce(task::VARCHAR, ''), coalesce(array_to_string(columns::VARCHAR[], chr(31)), ''),
                       coalesce(batch_size::VARCHAR, ''), coalesce(device::VARCHAR, ''),
                       coalesce(models_per_gpu::VARCHAR, ''), coalesce(gpu_mem_limit_mb::VARCHAR, ''),
                       coalesce(on_error::VARCHAR, ''),
                       *COLUMNS(coalesce(columns, ml_task_inputs(task)))) AS __ml
    FROM query(ml_input_sql(input))
)`

// InitConn creates the per-connection macro; pass it to duckdb.NewConnector.
func InitConn(ctx context.Context, execer driver.ExecerContext) error {
	if _, err := execer.ExecContext(ctx, MacroSQL, nil); err != nil {
		return fmt.Errorf("ml_predict: creating the macro: %w", err)
	}
	return nil
}
