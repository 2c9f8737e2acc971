package valuetext

import (
	"database/sql"
	"testing"

	_ "github.com/duckdb/duckdb-go/v2"
)

// Pins: Format wrote ' and " in a BLOB as themselves; DuckDB's cast to VARCHAR escapes
// them (and \) as \xNN, so a statement the runner or shell cannot wrap (INSERT ...
// RETURNING, several statements) showed another text than the wrapped path.
func TestBlobLikeDuckDB(t *testing.T) {
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, e := range blobCases {
		rows, err := db.Query("SELECT " + e + ", (" + e + ")::VARCHAR")
		if err != nil {
			t.Fatal(err)
		}
		cts, _ := rows.ColumnTypes()
		typ := cts[0].DatabaseTypeName()
		rows.Next()
		var v any
		var want string
		if err := rows.Scan(&v, &want); err != nil {
			t.Fatal(err)
		}
		rows.Close()
		if got, _ := Format(v, typ, nil); got != want {
			t.Errorf("%s (%s): Format %q, DuckDB's cast %q", e, typ, got, want)
		}
	}
}

var blobCases = []string{
	`'a''b"c\x5Cd'::BLOB`, `['\x27'::BLOB]`, `[','::BLOB, '[x]'::BLOB, ' a'::BLOB, ''::BLOB, 'NULL'::BLOB]`,
	`{'k': 'a''b'::BLOB, 'l': 'x,y'::BLOB}`,
}
