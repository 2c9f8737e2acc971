package sqltest

import "testing"

// A BLOB holding a quote, read through a statement the runner cannot wrap (INSERT ...
// RETURNING), must be written as DuckDB's cast (and its own runner) writes it, the
// same as through a SELECT.
func TestReturningBlobQuote(t *testing.T) {
	res := runScript(t, "statement ok\nCREATE TABLE t(b BLOB)\n\n"+
		"query T\nSELECT 'a''b'::BLOB\n----\na\\x27b\n\n"+
		"query T\nINSERT INTO t VALUES ('a''b'::BLOB) RETURNING b\n----\na\\x27b\n")
	wantPass(t, res, 3)
}
