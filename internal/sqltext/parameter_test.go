package sqltext

import (
	"context"
	"database/sql/driver"
	"testing"
)

// Parameter finds a parameter exactly where DuckDB's parser does: outside strings,
// quoted names, dollar quotes and comments. Each text is prepared in DuckDB, whose
// count of parameters is the truth; ml_predict refuses an input for which Parameter
// is not "", so a miss there would refuse a working input.
func TestParameterAsDuckDB(t *testing.T) {
	db, err := duckdb()
	if err != nil {
		t.Fatal(err)
	}
	conn, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(context.Background(), `CREATE OR REPLACE TABLE pt AS SELECT 1 AS id, '{"a": 1}' AS j, 'x' AS "col?", 2 AS a$b`); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ q, want string }{
		{"SELECT * FROM pt WHERE id = ?", "?"},
		{"SELECT * FROM pt WHERE id = $1", "$1"},
		{"SELECT * FROM pt WHERE id = $12", "$12"},
		{"SELECT * FROM pt WHERE id = $id", "$id"},
		{"SELECT * FROM pt WHERE id = ?::INT", "?"},
		{"SELECT * FROM pt WHERE id IN (?, ?)", "?"},
		{"SELECT '?' AS q, * FROM pt WHERE id = ?", "?"},
		{"SELECT 'x ''?'' y' AS text", ""},
		{"SELECT $$ ? $1 $$ AS text", ""},
		{"SELECT $t$ ? $1 $x $t$ AS text", ""},
		{"SELECT j->>'$.a' AS a FROM pt", ""},
		{"SELECT 1 AS x -- where id = ?", ""},
		{"SELECT /* $1 ? */ 1 AS x", ""},
		{`SELECT "col?" FROM pt`, ""},
		{"SELECT a$b FROM pt", ""},
		{`SELECT E'\' ?' AS text`, ""},
	} {
		if got := Parameter(c.q); got != c.want {
			t.Errorf("Parameter(%q) = %q, want %q", c.q, got, c.want)
		}
		var n int
		err := conn.Raw(func(dc any) error {
			st, err := dc.(driver.ConnPrepareContext).PrepareContext(context.Background(), wrap(c.q))
			if err != nil {
				return err
			}
			defer st.Close()
			n = st.NumInput()
			return nil
		})
		if err != nil {
			t.Errorf("DuckDB cannot prepare %q: %v", c.q, err)
		} else if (n > 0) != (c.want != "") {
			t.Errorf("DuckDB counts %d parameters in %q; the case says %q", n, c.q, c.want)
		}
	}
}

// Statement names a statement that is no query and so no input of rows; a keyword
// that may name a table (alone, or schema-qualified) is not one.
func TestStatement(t *testing.T) {
	for q, want := range map[string]string{
		"EXPLAIN SELECT 1": "EXPLAIN", "  explain analyze SELECT 1": "EXPLAIN", "PRAGMA table_info('t')": "PRAGMA",
		"COPY t TO 'x.csv'": "COPY", "set threads = 4": "SET", "INSERT INTO t VALUES (1)": "INSERT",
		"-- c\nCREATE TABLE x (a INT)": "CREATE", "ATTACH 'x.db'": "ATTACH",
		"explain": "", "copy.t": "", "explain;": "", "explains x": "", "set_x y": "", "SELECT 1": "",
		"events": "", "(EXPLAIN SELECT 1)": "", "comment SELECT id, text": "", "start SELECT *": "", "vacuum PIVOT x ON y": "", "explain SELECT 1": "EXPLAIN", `"explain" x`: "", "explain1 x": "",
		"insert WHERE id = 1": "", "update AS u": "", "copy, other": "", "delete JOIN t USING (id)": "",
	} {
		if got := Statement(q); got != want {
			t.Errorf("Statement(%q) = %q, want %q", q, got, want)
		}
	}
}

// IsPath flags only what no table name can be.
func TestIsPath(t *testing.T) {
	for q, want := range map[string]bool{
		"/tmp/x.csv": true, " ./data.parquet": true, "../x.json": true, "~/x.csv": true, "s3://b/x.parquet": true,
		"data.csv": false, "main.events": false, "/* c */ events": false, `"my table"`: false, "events": false,
		`'s3://b/x.parquet'`: false,
	} {
		if got := IsPath(q); got != want {
			t.Errorf("IsPath(%q) = %v, want %v", q, got, want)
		}
	}
}
