package udf

import (
	"database/sql"
	"fmt"

	"github.com/duckdb/duckdb-go/v2"
)

// Register adds ml_predict_sql, ml_infer, ml_infer_regress, ml_infer_regress_list, ml_infer_embed,
// ml_keep_column, ml_tasks, ml_devices and ml_errors to the database conn
// belongs to; DuckDB keeps them in the catalog, so every connection sees them.
func Register(conn *sql.Conn, env *Env) error {
	if err := duckdb.RegisterScalarUDF(conn, "ml_infer", &inferFunc{fns: env}); err != nil {
		return fmt.Errorf("ml_predict: registering ml_infer: %w", err)
	}
	if err := duckdb.RegisterScalarUDF(conn, "ml_infer_probs", &inferFunc{fns: env, mode: modeClassifyProbs}); err != nil {
		return fmt.Errorf("ml_predict: registering ml_infer_probs: %w", err)
	}
	if err := duckdb.RegisterScalarUDF(conn, "ml_infer_regress", &inferFunc{fns: env, mode: modeRegress}); err != nil {
		return fmt.Errorf("ml_predict: registering ml_infer_regress: %w", err)
	}
	if err := duckdb.RegisterScalarUDF(conn, "ml_infer_regress_list", &inferFunc{fns: env, mode: modeRegressList}); err != nil {
		return fmt.Errorf("ml_predict: registering ml_infer_regress_list: %w", err)
	}
	if err := duckdb.RegisterScalarUDF(conn, "ml_infer_embed", &inferFunc{fns: env, mode: modeEmbed}); err != nil {
		return fmt.Errorf("ml_predict: registering ml_infer_embed: %w", err)
	}
	if err := duckdb.RegisterScalarUDF(conn, "ml_predict_sql", &predictSQLFunc{env: env}); err != nil {
		return fmt.Errorf("ml_predict: registering ml_predict_sql: %w", err)
	}
	if err := duckdb.RegisterScalarUDF(conn, "ml_keep_column", &keepColumnFunc{env: env}); err != nil {
		return fmt.Errorf("ml_predict: registering ml_keep_column: %w", err)
	}
	if err := duckdb.RegisterTableUDF(conn, "ml_tasks", tasksFunc(env)); err != nil {
		return fmt.Errorf("ml_predict: registering ml_tasks: %w", err)
	}
	if err := duckdb.RegisterTableUDF(conn, "ml_devices", devicesFunc(env)); err != nil {
		return fmt.Errorf("ml_predict: registering ml_devices: %w", err)
	}
	if err := duckdb.RegisterTableUDF(conn, "ml_errors", errorsFunc(env)); err != nil {
		return fmt.Errorf("ml_predict: registering ml_errors: %w", err)
	}
	return nil
}
