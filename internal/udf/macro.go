package udf

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"

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

// macroSQL defines ml_predict and ml_embed as temp macros of one connection, callable
// there unqualified. sqlgen.ConnCurrent lets ml_infer find the context of the statement
// executing now (see conncontext.go). See sqlgen.MacroBody for how the generated query
// works.
func macroSQL() string {
	return sqlgen.MacroSQL("CREATE OR REPLACE TEMP MACRO", "ml_predict", sqlgen.ConnCurrent) + ";\n" +
		sqlgen.EmbedMacroSQL("CREATE OR REPLACE TEMP MACRO", "ml_embed", sqlgen.ConnCurrent)
}

func unpackSQL(packed string) (label, confidence string) { return sqlgen.UnpackSQL(packed) }

func packResult(b []byte, label string, p float32) []byte { return sqlgen.PackResult(b, label, p) }

func quoteSQL(s string) string { return sqlgen.Quote(s) }

// InitConn creates the per-connection macros; pass it to duckdb.NewConnector.
func (e *Env) InitConn(ctx context.Context, execer driver.ExecerContext) error {
	e.conns.find(execer)
	if _, err := execer.ExecContext(ctx, macroSQL(), nil); err != nil {
		return fmt.Errorf("ml_predict: creating the macro: %w", err)
	}
	return nil
}

// AttachCatalog gives the database the loadable extension's catalog form,
// duckinfer.ml_predict(...) (and predict, ml_embed, embed): an attached in-memory
// database, so nothing is written into the user's, and a view saved with that name
// through either binding reads back in the other. A database that already has the name
// (a file duckinfer.duckdb opened under its default name) gets no catalog form, since
// the macros would be saved into that file; the temp macros still work there.
func AttachCatalog(ctx context.Context, conn *sql.Conn) error {
	var n int
	if err := conn.QueryRowContext(ctx, "SELECT count(*) FROM duckdb_databases() WHERE database_name = "+sqlgen.Quote(sqlgen.Catalog)).Scan(&n); err != nil {
		return fmt.Errorf("ml_predict: looking for a database named %s: %w", sqlgen.Catalog, err)
	}
	if n > 0 {
		return nil
	}
	// READ_WRITE: in a read-only database instance every attach defaults to read-only,
	// which an in-memory database refuses.
	stmts := append([]string{"ATTACH ':memory:' AS " + sqlgen.Catalog + " (READ_WRITE)"}, sqlgen.CatalogMacros(sqlgen.ConnCurrent)...)
	for _, q := range stmts {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("ml_predict: creating the catalog %s that holds %s.ml_predict: %w", sqlgen.Catalog, sqlgen.Catalog, err)
		}
	}
	return nil
}
