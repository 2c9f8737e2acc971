package main

import (
	"github.com/duckinfer/duckinfer/internal/sqltext"

	"encoding/json"
	"fmt"
	"math/big"
	"sort"
	"strconv"
	"strings"
	"time"

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

// directCell renders a value scanned by duckdb-go, for the statements that
// cannot be wrapped in textQuery (PRAGMA, CALL, EXPLAIN, INSERT ... RETURNING).
func directCell(v any, c column, jsonMode bool) cell {
	if v == nil {
		return cell{null: true}
	}
	if jsonMode && c.nested {
		if enc, err := json.Marshal(jsonValue(v, c.dbType)); err == nil {
			return cell{text: string(enc)}
		}
	}
	s, _ := formatValue(v, c.dbType)
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

// formatValue renders a scanned value the way DuckDB prints it; ok is false for NULL.
func formatValue(v any, dbType string) (s string, ok bool) {
	if v == nil {
		return "NULL", false
	}
	switch x := v.(type) {
	case string:
		return x, true
	case bool:
		return strconv.FormatBool(x), true
	case int8, int16, int32, int64, int, uint8, uint16, uint32, uint64, uint:
		return fmt.Sprint(x), true
	case float32:
		return sqltext.FormatFloat(float64(x), 32), true
	case float64:
		return sqltext.FormatFloat(x, 64), true
	case *big.Int:
		return x.String(), true
	case duckdb.Decimal:
		return formatDecimal(x), true
	case time.Time:
		return formatTime(x, dbType), true
	case duckdb.Interval:
		return formatInterval(x), true
	case []byte:
		if dbType == "UUID" && len(x) == 16 {
			return fmt.Sprintf("%x-%x-%x-%x-%x", x[0:4], x[4:6], x[6:8], x[8:10], x[10:]), true
		}
		return formatBlob(x), true
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i], _ = formatValue(e, listChildType(dbType))
		}
		return "[" + strings.Join(parts, ", ") + "]", true
	case map[string]any:
		keys := structFieldOrder(dbType, x)
		parts := make([]string, len(keys))
		for i, k := range keys {
			val, _ := formatValue(x[k], "")
			parts[i] = "'" + k + "': " + val
		}
		return "{" + strings.Join(parts, ", ") + "}", true
	case duckdb.Map:
		parts := make([]string, 0, len(x))
		for k, val := range x {
			ks, _ := formatValue(k, "")
			vs, _ := formatValue(val, "")
			parts = append(parts, ks+"="+vs)
		}
		sort.Strings(parts) // Go maps have no order; sorting keeps output stable
		return "{" + strings.Join(parts, ", ") + "}", true
	case duckdb.Union:
		return formatValue(x.Value, "")
	case fmt.Stringer:
		return x.String(), true
	}
	return fmt.Sprint(v), true
}

// formatDecimal keeps the type's scale (12.30, not 12.3), unlike Decimal.String.
func formatDecimal(d duckdb.Decimal) string {
	if d.Value == nil {
		return "NULL"
	}
	s := new(big.Int).Abs(d.Value).String()
	scale := int(d.Scale)
	if scale > 0 {
		if len(s) <= scale {
			s = strings.Repeat("0", scale-len(s)+1) + s
		}
		s = s[:len(s)-scale] + "." + s[len(s)-scale:]
	}
	if d.Value.Sign() < 0 {
		s = "-" + s
	}
	return s
}

func formatTime(t time.Time, dbType string) string {
	switch {
	case dbType == "DATE":
		return t.Format("2006-01-02")
	case dbType == "TIMETZ":
		return t.Format("15:04:05.999999-07:00")
	case strings.HasPrefix(dbType, "TIME") && !strings.HasPrefix(dbType, "TIMESTAMP"):
		return t.Format("15:04:05.999999")
	case dbType == "TIMESTAMP_NS":
		return t.Format("2006-01-02 15:04:05.999999999")
	case dbType == "TIMESTAMPTZ":
		return t.Format("2006-01-02 15:04:05.999999-07")
	}
	return t.Format("2006-01-02 15:04:05.999999")
}

func formatInterval(iv duckdb.Interval) string {
	var parts []string
	unit := func(n int64, name string) {
		if n == 0 {
			return
		}
		if n == 1 || n == -1 {
			parts = append(parts, fmt.Sprintf("%d %s", n, name))
		} else {
			parts = append(parts, fmt.Sprintf("%d %ss", n, name))
		}
	}
	unit(int64(iv.Months/12), "year")
	unit(int64(iv.Months%12), "month")
	unit(int64(iv.Days), "day")
	if iv.Micros != 0 || len(parts) == 0 {
		m := iv.Micros
		sign := ""
		if m < 0 {
			sign, m = "-", -m
		}
		s := fmt.Sprintf("%s%02d:%02d:%02d", sign, m/3600e6, m/60e6%60, m/1e6%60)
		if frac := m % 1e6; frac != 0 {
			s += strings.TrimRight(fmt.Sprintf(".%06d", frac), "0")
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, " ")
}

// formatBlob escapes non-printable bytes as \xNN, as DuckDB prints BLOBs.
func formatBlob(b []byte) string {
	var sb strings.Builder
	for _, c := range b {
		if c >= 32 && c <= 126 && c != '\\' {
			sb.WriteByte(c)
		} else {
			fmt.Fprintf(&sb, "\\x%02X", c)
		}
	}
	return sb.String()
}

func listChildType(t string) string {
	if strings.HasSuffix(t, "[]") {
		return strings.TrimSuffix(t, "[]")
	}
	return ""
}

// structFieldOrder recovers the declared field order from the type name, because
// duckdb-go returns structs as Go maps, which have none; unknown fields sort last.
func structFieldOrder(dbType string, m map[string]any) []string {
	var keys []string
	seen := map[string]bool{}
	if strings.HasPrefix(dbType, "STRUCT(") && strings.HasSuffix(dbType, ")") {
		for _, f := range splitTopLevel(dbType[len("STRUCT(") : len(dbType)-1]) {
			name := strings.TrimSpace(f)
			if strings.HasPrefix(name, `"`) {
				if end := strings.Index(name[1:], `"`); end >= 0 {
					name = name[1 : end+1]
				}
			} else if sp := strings.IndexByte(name, ' '); sp >= 0 {
				name = name[:sp]
			}
			if _, ok := m[name]; ok && !seen[name] {
				keys = append(keys, name)
				seen[name] = true
			}
		}
	}
	var rest []string
	for k := range m {
		if !seen[k] {
			rest = append(rest, k)
		}
	}
	sort.Strings(rest)
	return append(keys, rest...)
}

// splitTopLevel splits on commas that are not inside parentheses or quotes.
func splitTopLevel(s string) []string {
	var parts []string
	depth, start := 0, 0
	inQuote := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"':
			inQuote = !inQuote
		case inQuote:
		case c == '(':
			depth++
		case c == ')':
			depth--
		case c == ',' && depth == 0:
			parts = append(parts, s[start:i])
			start = i + 1
		}
	}
	return append(parts, s[start:])
}

// jsonValue converts a scanned value to something encoding/json writes as the
// natural JSON type: numbers stay numbers, lists arrays, structs objects.
func jsonValue(v any, dbType string) any {
	switch x := v.(type) {
	case nil, bool, string, int8, int16, int32, int64, int, uint8, uint16, uint32, uint64, uint:
		return x
	case float32:
		return jsonFloat(sqltext.FormatFloat(float64(x), 32))
	case float64:
		return jsonFloat(sqltext.FormatFloat(x, 64))
	case *big.Int:
		return json.Number(x.String())
	case duckdb.Decimal:
		return json.Number(formatDecimal(x))
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = jsonValue(e, listChildType(dbType))
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = jsonValue(e, "")
		}
		return out
	}
	s, _ := formatValue(v, dbType)
	return s
}

func jsonFloat(f string) any {
	if f == "nan" || f == "inf" || f == "-inf" {
		return f // JSON has no literal for these
	}
	return json.Number(f)
}
