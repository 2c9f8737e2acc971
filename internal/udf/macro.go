package udf

import (
	"context"
	"database/sql/driver"
	"fmt"
	"strconv"

	"github.com/duckinfer/duckinfer/internal/sqlgen"
)

// The SQL side of ml_predict lives in internal/sqlgen, shared with the loadable
// extension; these names keep this binding's code short.
const (
	Sep          = sqlgen.Sep
	packedColumn = sqlgen.PackedColumn
)

var (
	predictOutputs = sqlgen.PredictOutputs
	regressOutputs = sqlgen.RegressOutputs
)

// macroSQL defines ml_predict and ml_embed for one connection as temp macros; connID is that
// connection's DuckDB id ("" when unknown), which lets ml_infer find the context of
// the statement executing now (see conncontext.go). See sqlgen.MacroBody for how the
// generated query works.
func macroSQL(connID string) string {
	return sqlgen.MacroSQL("CREATE OR REPLACE TEMP MACRO", "ml_predict", connID) + ";\n" +
		sqlgen.EmbedMacroSQL("CREATE OR REPLACE TEMP MACRO", "ml_embed", connID)
}

func unpackSQL(packed string) (label, confidence string) { return sqlgen.UnpackSQL(packed) }

func packResult(b []byte, label string, p float32) []byte { return sqlgen.PackResult(b, label, p) }

func quoteSQL(s string) string { return sqlgen.Quote(s) }

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
