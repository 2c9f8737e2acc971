package extension

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/duckdb/duckdb-go/v2"
)

// The loadable extension's catalog form (duckinfer.ml_predict, duckinfer.main.predict,
// …) works in the Go binding too, so a view saved with it through either binding
// reads back in the other (internal/capi/hosttest's
// TestViewSavedThroughExtensionReadsInGoBinding has the extension's half). Before,
// every such name was "does not exist" here.
func TestCatalogFormNames(t *testing.T) {
	db, _ := open(t)
	exec(t, db, `CREATE TABLE r AS SELECT i AS id, CASE WHEN i % 2 = 0 THEN 'a great film' ELSE 'awful, dull' END AS text FROM range(50) r(i)`)
	rows := func(q string) string {
		t.Helper()
		return one[string](t, db, `SELECT string_agg(id || ':' || predicted_class || ':' || confidence, ',' ORDER BY id) FROM `+q)
	}
	want := rows(`ml_predict('sentiment', 'r')`)
	for _, name := range []string{"duckinfer.ml_predict", "duckinfer.main.ml_predict", "duckinfer.predict", "duckinfer.main.predict"} {
		if got := rows(name + `('sentiment', 'r', batch_size := 7)`); got != want {
			t.Errorf("%s gave %.80s…, ml_predict %.80s…", name, got, want)
		}
	}
	for _, name := range []string{"duckinfer.ml_embed", "duckinfer.embed"} {
		_, err := db.Exec(`SELECT * FROM ` + name + `('sentiment', 'r')`)
		if err == nil || !strings.Contains(err.Error(), "call ml_predict('sentiment', ...) instead") {
			t.Errorf("%s over a classify task: %v, want ml_embed's own refusal", name, err)
		}
	}
}

// The catalog's macros are one for every connection; each statement still runs with
// its own connection's context (sqlgen.ConnCurrent): a row counter on one connection
// sees that connection's rows, whichever connection made the view it reads through.
func TestCatalogFormRunsOnTheCallersContext(t *testing.T) {
	db, _ := open(t)
	ctx := context.Background()
	a, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	exec(t, a, `CREATE TABLE r AS SELECT i AS id, 'a fine sentence ' || i AS text FROM range(3000) r(i)`)
	exec(t, a, `CREATE VIEW v AS SELECT * FROM duckinfer.ml_predict('sentiment', 'r')`)
	for _, c := range []struct {
		conn *sql.Conn
		name string
	}{{a, "a"}, {b, "b"}} {
		var n atomic.Int64
		var got int64
		if err := c.conn.QueryRowContext(CountRows(ctx, &n), `SELECT count(predicted_class) FROM v`).Scan(&got); err != nil {
			t.Fatalf("connection %s: %v", c.name, err)
		}
		if got != 3000 || n.Load() != 3000 {
			t.Errorf("connection %s: %d rows, %d counted on its context; want 3000 and 3000", c.name, got, n.Load())
		}
	}
}

// A file named duckinfer.duckdb takes the catalog's name; it opens as any other file,
// unqualified ml_predict works, and no macro is saved into it.
func TestCatalogNameTakenByTheUsersFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "duckinfer.duckdb")
	c, err := NewConnector(path, WithTaskDirs(filepath.Join("..", "testdata", "tasks")))
	if err != nil {
		t.Fatal(err)
	}
	db := sql.OpenDB(c)
	exec(t, db, `CREATE TABLE r AS SELECT 'a great film' AS text`)
	if got := one[string](t, db, `SELECT predicted_class FROM ml_predict('sentiment', 'r')`); got != "positive" {
		t.Errorf("predicted %q", got)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	// Plain DuckDB, without duckinfer: the file holds the table and nothing of ours.
	pc, err := duckdb.NewConnector(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	plain := sql.OpenDB(pc)
	defer plain.Close()
	if n := one[int64](t, plain, `SELECT count(*) FROM duckdb_functions() WHERE database_name = 'duckinfer' AND function_type = 'table_macro'`); n != 0 {
		t.Errorf("%d macros were saved into the user's file duckinfer.duckdb", n)
	}
	if n := one[int64](t, plain, `SELECT count(*) FROM r`); n != 1 {
		t.Errorf("the user's table has %d rows", n)
	}
}

// A database opened read-only still gets the catalog form (attached READ_WRITE: in a
// read-only instance an in-memory attach would default to read-only and fail).
func TestCatalogFormReadOnlyDatabase(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ro.duckdb")
	db, _ := openPath(t, path)
	exec(t, db, `CREATE TABLE r AS SELECT 'awful, dull' AS text`)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	ro, _ := openPath(t, path+"?access_mode=read_only")
	if got := one[string](t, ro, `SELECT predicted_class FROM duckinfer.ml_predict('sentiment', 'r')`); got != "negative" {
		t.Errorf("predicted %q", got)
	}
}

func openPath(t *testing.T, dsn string) (*sql.DB, *Connector) {
	t.Helper()
	c, err := NewConnector(dsn, WithTaskDirs(filepath.Join("..", "testdata", "tasks")))
	if err != nil {
		t.Fatal(err)
	}
	db := sql.OpenDB(c)
	t.Cleanup(func() { db.Close() })
	return db, c
}

// The way out README gives for a database of the user's to be attached as duckinfer:
// DETACH the catalog first; unqualified ml_predict keeps working, on the user's tables
// in it too.
func TestCatalogDetachedForTheUsersDatabase(t *testing.T) {
	db, _ := open(t)
	db.SetMaxOpenConns(1)
	exec(t, db, `DETACH duckinfer`)
	exec(t, db, `ATTACH '`+filepath.Join(t.TempDir(), "mine.duckdb")+`' AS duckinfer`)
	exec(t, db, `CREATE TABLE duckinfer.r AS SELECT 'a great film' AS text`)
	if got := one[string](t, db, `SELECT predicted_class FROM ml_predict('sentiment', 'duckinfer.r')`); got != "positive" {
		t.Errorf("predicted %q", got)
	}
}
