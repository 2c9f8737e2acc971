// Package sqltest runs DuckDB sqllogictest (.test) files against a *sql.DB, so that
// duckinfer's SQL surface (ml_predict and friends) is tested in the same format
// DuckDB extensions use.
//
// It supports the subset extension tests need: headers and comments, require,
// statement ok/error/maybe, query with I/T/R type strings and nosort/rowsort/valuesort,
// connection labels, skipif/onlyif duckdb, mode skip/unskip, halt, loop/foreach
// (concurrent variants run sequentially), ${var} and __TEST_DIR__ substitution, and
// "N values hashing to H" results.
//
// Values are compared as DuckDB's own runner renders them: every query that can be
// used as a subquery is run as
//
//	SELECT typeof(COLUMNS(*)), COLUMNS(*)::VARCHAR FROM (<query>)
//
// so DuckDB itself renders each value; only BOOLEAN (1/0), NULL, the empty string
// ((empty)) and NUL bytes are post-processed, and numeric columns compare by value
// (FLOAT/DOUBLE within DuckDB's 1% tolerance). Statements that cannot be wrapped
// (PRAGMA, CALL, EXPLAIN, RETURNING, several statements) are rendered in Go,
// best effort.
//
// Deliberate differences from DuckDB's runner: rowsort/valuesort sort the expected
// rows too (so they may be written in any order); a token after the sort mode is a
// connection label, not a hash label; Run carries on after a failure so one report
// lists every mismatch.
//
// It must not open databases, load extensions or know about duckinfer's functions:
// the caller hands Run a fresh *sql.DB per file, which keeps the runner usable
// against plain DuckDB (its own tests) and against extension.Open (the .test files).
// It never writes outside the temporary directory it makes for __TEST_DIR__.
package sqltest
