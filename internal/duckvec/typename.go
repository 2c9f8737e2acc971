package duckvec

import "fmt"

// typeNames names each DuckDB type by its duckdb_type id (duckdb.h), as messages say
// it. Both bindings name a column's type from here, so that the same mistake reads
// the same in the Go binding and in the loadable extension.
var typeNames = [...]string{
	1:  "BOOLEAN",
	2:  "TINYINT",
	3:  "SMALLINT",
	4:  "INTEGER",
	5:  "BIGINT",
	6:  "UTINYINT",
	7:  "USMALLINT",
	8:  "UINTEGER",
	9:  "UBIGINT",
	10: "FLOAT",
	11: "DOUBLE",
	12: "a TIMESTAMP",
	13: "DATE",
	14: "TIME",
	15: "INTERVAL",
	16: "HUGEINT",
	17: "VARCHAR",
	18: "BLOB",
	19: "DECIMAL",
	20: "a TIMESTAMP",
	21: "a TIMESTAMP",
	22: "a TIMESTAMP",
	23: "an ENUM",
	24: "a LIST",
	25: "a STRUCT",
	26: "a MAP",
	27: "UUID",
	28: "a UNION",
	29: "BIT",
	30: "TIME WITH TIME ZONE",
	31: "a TIMESTAMP",
	32: "UHUGEINT",
	33: "an ARRAY",
	34: "ANY",
	35: "BIGNUM",
	36: "NULL",
	37: "a string literal",
	38: "an integer literal",
	39: "TIME_NS",
	40: "GEOMETRY",
	41: "VARIANT",
}

// TypeName names DuckDB type id (a duckdb_type) for messages: "INTERVAL", "a LIST".
func TypeName(id int) string {
	if id > 0 && id < len(typeNames) {
		return typeNames[id]
	}
	return fmt.Sprintf("of DuckDB type id %d", id)
}

// The errors of an array input's column, in one wording for both bindings.

// NotArrayError: column name is of type typ where k numbers per row are due.
func NotArrayError(name string, k int, typ string) error {
	return fmt.Errorf("column %q must be a FLOAT[%d] or DOUBLE[%d] array (or a list), not %s; the model input takes %d values per row", name, k, k, typ, k)
}

// NotNumbersError: column name's arrays hold elem values, not numbers.
func NotNumbersError(name, elem string) error {
	return fmt.Errorf("column %q must hold numbers, not %s", name, elem)
}

// ListLengthError: row r of column name holds a list of n values where k are due.
func ListLengthError(name string, n uint64, r, k int) error {
	return fmt.Errorf("column %q holds a list of %d values at row %d of its chunk, but the model input takes %d per row; every list must have %d", name, n, r, k, k)
}
