package main

import (
	"github.com/duckinfer/duckinfer/internal/sqltext"
	"github.com/duckinfer/duckinfer/internal/valuetext"

	"context"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"
	// TIMESTAMPTZ values are shown in the session's TimeZone, which must load
	// where the system has no zoneinfo (Windows, slim containers) too.
	_ "time/tzdata"

	"github.com/duckdb/duckdb-go/v2"
)

// column describes one result column as the renderers need it.
type column struct {
	name    string
	dbType  string // as DuckDB names it, e.g. BIGINT, VARCHAR, DECIMAL(10,2)
	numeric bool   // right-aligned in tables, bare in json, quote and insert modes
	nested  bool   // LIST, ARRAY, STRUCT, MAP, UNION: written as JSON in the JSON modes
	json    bool   // the JSON type: its text is JSON already
	float   bool   // FLOAT, DOUBLE: cast through JSON in the JSON modes (nan, inf)

	loc *time.Location // direct path only: the session TimeZone, see prepareDirect
}

func newColumn(name, dbType string) column {
	return column{
		name: name, dbType: dbType,
		numeric: isNumericType(dbType),
		nested: strings.HasSuffix(dbType, "]") || strings.HasPrefix(dbType, "STRUCT(") ||
			strings.HasPrefix(dbType, "MAP(") || strings.HasPrefix(dbType, "UNION("),
		json:  dbType == "JSON",
		float: dbType == "FLOAT" || dbType == "DOUBLE",
	}
}

// jsonQuoted says whether the JSON modes write the column's values as strings:
// all but booleans and the numbers that fit a JSON number exactly, as the duckdb
// CLI decides.
func (c column) jsonQuoted() bool {
	switch {
	case c.dbType == "BOOLEAN":
		return false
	case !c.numeric:
		return true
	}
	switch c.dbType {
	case "UBIGINT", "HUGEINT", "UHUGEINT", "BIGNUM":
		return true
	}
	return strings.HasPrefix(c.dbType, "DECIMAL")
}

func isNumericType(t string) bool {
	switch t {
	case "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT",
		"UINTEGER", "UBIGINT", "UHUGEINT", "FLOAT", "DOUBLE", "BIGNUM":
		return true
	}
	return strings.HasPrefix(t, "DECIMAL")
}

// textQuery wraps body so that DuckDB itself writes every value as text: the
// same cast to VARCHAR its own CLI applies to every value it prints, so MAP,
// JSON, STRUCT, DECIMAL, floats, intervals, time zones and the rest come out
// exactly as DuckDB shows them. The JSON modes cast nested values and floats to
// JSON first, as the CLI's JSON modes do. Columns are named by position, so
// duplicate names in body do not matter.
func textQuery(body string, cols []column, jsonMode bool) string {
	var b strings.Builder
	b.WriteString("SELECT ")
	for i, c := range cols {
		if i > 0 {
			b.WriteString(", ")
		}
		ref := "#" + strconv.Itoa(i+1)
		if jsonMode && (c.nested || c.float) {
			b.WriteString("CAST(CAST(" + ref + " AS JSON) AS VARCHAR)")
		} else {
			b.WriteString("CAST(" + ref + " AS VARCHAR)")
		}
	}
	// No line break before body, so that DuckDB's "LINE n" in an error still
	// counts the lines of the statement as given; one after it, so that a
	// trailing -- comment cannot swallow the ')'.
	b.WriteString(" FROM (" + body + "\n)")
	return b.String()
}

// prepareDirect readies the columns of a statement that runs unwrapped (see
// directCell), once it has run. duckdb-go hands TIMESTAMPTZ values over in UTC,
// while DuckDB shows them in the session's TimeZone, so that zone is looked up
// here. And duckdb-go cannot read some types at all (TIME_NS): reading the rows
// would fail with a bare "unsupported data type" although the statement ran.
func (s *shell) prepareDirect(ctx context.Context, cols []column) error {
	var loc *time.Location
	for i, c := range cols {
		if !valuetext.Readable(c.dbType) {
			return fmt.Errorf("the statement ran, but its result column %s has a type that the Go driver cannot read (such as TIME_NS); cast the column to VARCHAR to see it, e.g. CAST(%s AS VARCHAR)",
				jsonString(c.name), sqlIdent(c.name))
		}
		if !strings.Contains(c.dbType, "TIMESTAMPTZ") {
			continue
		}
		if loc == nil {
			var name string
			// Without ICU there is no TimeZone setting, and DuckDB shows UTC.
			loc = time.UTC
			if s.conn.QueryRowContext(ctx, "SELECT current_setting('TimeZone')").Scan(&name) == nil {
				l, err := time.LoadLocation(name)
				if err != nil {
					return fmt.Errorf("the statement ran, but its result column %s is shown in the session TimeZone %s, which the shell does not know; cast the column to VARCHAR to see it, e.g. CAST(%s AS VARCHAR)",
						jsonString(c.name), name, sqlIdent(c.name))
				}
				loc = l
			}
		}
		cols[i].loc = loc
	}
	return nil
}

// directCell renders a value scanned by duckdb-go, for the statements that
// cannot be wrapped in textQuery (PRAGMA, CALL, EXECUTE, INSERT ... RETURNING),
// as textQuery would have DuckDB write it.
func directCell(v any, c column, jsonMode bool) cell {
	if v == nil {
		return cell{null: true}
	}
	if jsonMode && (c.nested || c.float) {
		var b strings.Builder
		writeJSON(&b, v, c.dbType, c.loc)
		return cell{text: b.String()}
	}
	s, _ := valuetext.Format(v, c.dbType, c.loc)
	return cell{text: s}
}

// displayType mirrors the duckdb CLI, which shows integer types by their width.
func displayType(t string) string {
	switch t {
	case "TINYINT":
		return "int8"
	case "SMALLINT":
		return "int16"
	case "INTEGER":
		return "int32"
	case "BIGINT":
		return "int64"
	case "HUGEINT":
		return "int128"
	case "UTINYINT":
		return "uint8"
	case "USMALLINT":
		return "uint16"
	case "UINTEGER":
		return "uint32"
	case "UBIGINT":
		return "uint64"
	case "UHUGEINT":
		return "uint128"
	}
	return strings.ToLower(t)
}

// writeJSON writes a scanned value as DuckDB's cast to JSON does, for the JSON
// modes: numbers bare, NaN and the infinities as the NaN, Infinity and -Infinity
// that cast writes, lists as arrays, structs and maps as objects in their order.
func writeJSON(b *strings.Builder, v any, dbType string, loc *time.Location) {
	if v != nil && valuetext.DecodedJSON(v, dbType) {
		b.WriteString(valuetext.JSONText(v))
		return
	}
	switch x := v.(type) {
	case nil:
		b.WriteString("null")
	case bool, int8, int16, int32, int64, int, uint8, uint16, uint32, uint64, uint:
		fmt.Fprint(b, x)
	case float32:
		b.WriteString(jsonFloat(float64(x), 32))
	case float64:
		b.WriteString(jsonFloat(x, 64))
	case *big.Int:
		b.WriteString(x.String())
	case duckdb.Decimal:
		b.WriteString(valuetext.FormatDecimal(x))
	case []any:
		b.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				b.WriteByte(',')
			}
			writeJSON(b, e, valuetext.ListChildType(dbType), loc)
		}
		b.WriteByte(']')
	case map[string]any:
		b.WriteByte('{')
		for i, f := range valuetext.StructFields(dbType, x) {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(jsonString(f.Name) + ":")
			writeJSON(b, x[f.Name], f.Type, loc)
		}
		b.WriteByte('}')
	case duckdb.OrderedMap:
		kt, vt := valuetext.MapTypes(dbType)
		keys, vals := x.Keys(), x.Values()
		b.WriteByte('{')
		for i := range keys {
			if i > 0 {
				b.WriteByte(',')
			}
			ks, _ := valuetext.Format(keys[i], kt, loc)
			b.WriteString(jsonString(ks) + ":")
			writeJSON(b, vals[i], vt, loc)
		}
		b.WriteByte('}')
	case duckdb.Union:
		writeJSON(b, x.Value, valuetext.UnionMemberType(dbType, x.Tag), loc)
	default:
		s, _ := valuetext.Format(v, dbType, loc)
		b.WriteString(jsonString(s))
	}
}

func jsonFloat(f float64, bits int) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	}
	return sqltext.FormatFloat(f, bits)
}
