// Package sqltest runs DuckDB sqllogictest (.test) files against a *sql.DB, so that
// duckinfer's SQL surface (ml_predict and friends) is tested in the same format
// DuckDB extensions use.
//
// It supports the subset extension tests need: headers and comments, require
// (met by duckinfer and by extensions the database has loaded already; it never
// loads one), require-env (which also defines ${VAR}), statement ok/error/maybe,
// query with I/T/R type strings and nosort/rowsort/valuesort, connection labels,
// skipif/onlyif duckdb, mode skip/unskip, halt, loop/foreach (concurrent variants
// run sequentially; foreach takes several names, foreach a,b 1,x 2,y, and DuckDB's
// <signed>, <unsigned>, <integral>, <numeric> and <alltypes>, and refuses other
// collections), ${var} and __TEST_DIR__ substitution, and "N values hashing to H"
// results.
//
// Values are compared as DuckDB's own runner renders them: every query that can be
// used as a subquery is run as
//
//	SELECT typeof(COLUMNS(*)), COLUMNS(*)::VARCHAR FROM (<query>)
//
// so DuckDB itself renders each value; only BOOLEAN (1/0), NULL, the empty string
// ((empty)) and NUL bytes are post-processed, and numeric columns compare by value
// (FLOAT/DOUBLE within DuckDB's 1% tolerance), BOOLEAN ones accept true/false for
// 1/0. Statements that cannot be wrapped (PRAGMA, CALL, EXPLAIN, RETURNING, several
// statements) are rendered in Go as DuckDB's cast writes them (internal/valuetext,
// shared with the shell); nested values there are best effort.
//
// Deliberate differences from DuckDB's runner: rowsort/valuesort accept the expected
// rows in any order (as written, sorted, or else matched one to one by value); a
// token after the sort mode is a connection label, not a hash label; Run carries on
// after a failure so one report lists every mismatch, and a failure's diff shows
// the differing rows with a few unchanged ones around them.
//
// It must not open databases, load extensions or know about duckinfer's functions:
// the caller hands Run a fresh *sql.DB per file, which keeps the runner usable
// against plain DuckDB (its own tests) and against extension.Open (the .test files).
// It never writes outside the temporary directory it makes for __TEST_DIR__.
package sqltest
