package main

import (
	"github.com/duckinfer/duckinfer/internal/sqltext"

	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"sort"
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
		if !readableType(c.dbType) {
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

// readableType says whether duckdb-go can read values of the type it named t:
// it names a type it does not know "", also inside a nested type.
func readableType(t string) bool {
	switch {
	case t == "":
		return false
	case strings.HasSuffix(t, "]"):
		return readableType(listChildType(t))
	case strings.HasPrefix(t, "MAP("):
		k, v := mapTypes(t)
		return readableType(k) && readableType(v)
	case strings.HasPrefix(t, "STRUCT(") || strings.HasPrefix(t, "UNION("):
		for _, f := range typeFields(t) {
			if !readableType(f.typ) {
				return false
			}
		}
	}
	return true
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
	s, _ := formatValue(v, c.dbType, c.loc)
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

// formatValue renders a scanned value the way DuckDB casts it to VARCHAR; dbType
// is duckdb-go's name for its type, loc the session TimeZone (nil: UTC). ok is
// false for NULL.
func formatValue(v any, dbType string, loc *time.Location) (s string, ok bool) {
	if v == nil {
		return "NULL", false
	}
	if decodedJSON(v, dbType) {
		return jsonText(v), true
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
		return formatTime(x, dbType, loc), true
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
			parts[i] = nestedText(e, listChildType(dbType), loc)
		}
		return "[" + strings.Join(parts, ", ") + "]", true
	case map[string]any:
		fields := structFields(dbType, x)
		parts := make([]string, len(fields))
		for i, f := range fields {
			parts[i] = quoteNested(f.name) + ": " + nestedText(x[f.name], f.typ, loc)
		}
		return "{" + strings.Join(parts, ", ") + "}", true
	case duckdb.OrderedMap:
		kt, vt := mapTypes(dbType)
		keys, vals := x.Keys(), x.Values()
		parts := make([]string, len(keys))
		for i := range keys {
			parts[i] = nestedText(keys[i], kt, loc) + "=" + nestedText(vals[i], vt, loc)
		}
		return "{" + strings.Join(parts, ", ") + "}", true
	case duckdb.Union:
		return formatValue(x.Value, unionMemberType(dbType, x.Tag), loc)
	case fmt.Stringer:
		return x.String(), true
	}
	return fmt.Sprint(v), true
}

// nestedText writes a value inside a LIST, STRUCT or MAP as DuckDB's cast does:
// quoted where its text would be ambiguous there, nested values and NULL as is.
func nestedText(v any, dbType string, loc *time.Location) string {
	s, ok := formatValue(v, dbType, loc)
	switch v.(type) {
	case []any, map[string]any, duckdb.OrderedMap, duckdb.Union:
		return s
	}
	if !ok || decodedJSON(v, dbType) {
		return s
	}
	if s == "" || strings.EqualFold(s, "NULL") || strings.ContainsAny(s, `,=:'"{}()[]`) ||
		strings.TrimSpace(s) != s {
		return quoteNested(s)
	}
	return s
}

// quoteNested quotes text as DuckDB does inside nested values, and struct keys.
func quoteNested(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, "'", `\'`).Replace(s) + "'"
}

// decodedJSON says whether v is a JSON value that duckdb-go decoded: it does so
// for the JSON type, which it names VARCHAR inside nested types, where a VARCHAR
// value would be a string.
func decodedJSON(v any, dbType string) bool {
	if dbType == "JSON" {
		return true
	}
	_, isString := v.(string)
	return dbType == "VARCHAR" && !isString
}

// jsonText writes a decoded JSON value back as JSON text. The text DuckDB holds
// is lost by then: keys come out sorted and numbers as float64 writes them.
func jsonText(v any) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Sprint(v)
	}
	return strings.TrimSuffix(b.String(), "\n")
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

// formatTime writes times as DuckDB does: infinities by name, BC years marked,
// zone offsets as +HH or +HH:MM, TIMESTAMPTZ in the session TimeZone (loc).
func formatTime(t time.Time, dbType string, loc *time.Location) string {
	if pos, neg, ok := infinities(dbType); ok {
		switch {
		case t.Equal(pos):
			return "infinity"
		case t.Equal(neg):
			return "-infinity"
		}
	}
	switch {
	case dbType == "DATE":
		return formatDate(t)
	case dbType == "TIMETZ":
		return t.Format("15:04:05.999999") + formatOffset(t)
	case strings.HasPrefix(dbType, "TIME") && !strings.HasPrefix(dbType, "TIMESTAMP"):
		return t.Format("15:04:05.999999")
	case dbType == "TIMESTAMP_NS":
		return formatDate(t) + " " + t.Format("15:04:05.999999999")
	case dbType == "TIMESTAMPTZ":
		if loc != nil {
			t = t.In(loc)
		}
		return formatDate(t) + " " + t.Format("15:04:05.999999") + formatOffset(t)
	}
	return formatDate(t) + " " + t.Format("15:04:05.999999")
}

// infinities returns what duckdb-go makes of the type's infinity and -infinity,
// computed as it converts them (the largest tick counts, or days for DATE).
func infinities(dbType string) (pos, neg time.Time, ok bool) {
	switch dbType {
	case "TIMESTAMP", "TIMESTAMPTZ":
		return time.UnixMicro(math.MaxInt64), time.UnixMicro(-math.MaxInt64), true
	case "TIMESTAMP_NS":
		return time.Unix(0, math.MaxInt64), time.Unix(0, -math.MaxInt64), true
	case "TIMESTAMP_MS":
		return time.UnixMilli(math.MaxInt64), time.UnixMilli(-math.MaxInt64), true
	case "TIMESTAMP_S":
		return time.Unix(math.MaxInt64, 0), time.Unix(-math.MaxInt64, 0), true
	case "DATE":
		return time.Date(1970, 1, 1+math.MaxInt32, 0, 0, 0, 0, time.UTC),
			time.Date(1970, 1, 1-math.MaxInt32, 0, 0, 0, 0, time.UTC), true
	}
	return time.Time{}, time.Time{}, false
}

// formatDate writes year 0 and before as DuckDB does: 1 BC, 2 BC, ...
func formatDate(t time.Time) string {
	if y := t.Year(); y <= 0 {
		return fmt.Sprintf("%04d-%02d-%02d (BC)", 1-y, t.Month(), t.Day())
	}
	return fmt.Sprintf("%04d-%02d-%02d", t.Year(), t.Month(), t.Day())
}

// formatOffset writes a zone offset as DuckDB does: +05, -03:30 (no seconds).
func formatOffset(t time.Time) string {
	_, off := t.Zone()
	sign := "+"
	if off < 0 {
		sign, off = "-", -off
	}
	s := fmt.Sprintf("%s%02d", sign, off/3600)
	if m := off % 3600 / 60; m != 0 {
		s += fmt.Sprintf(":%02d", m)
	}
	return s
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

// listChildType returns the element type of a LIST (T[]) or ARRAY (T[n]).
func listChildType(t string) string {
	if i := strings.LastIndexByte(t, '['); i > 0 && strings.HasSuffix(t, "]") {
		return t[:i]
	}
	return ""
}

// mapTypes returns the key and value types of MAP(K, V).
func mapTypes(t string) (key, value string) {
	if strings.HasPrefix(t, "MAP(") && strings.HasSuffix(t, ")") {
		if kv := splitTopLevel(t[len("MAP(") : len(t)-1]); len(kv) == 2 {
			return strings.TrimSpace(kv[0]), strings.TrimSpace(kv[1])
		}
	}
	return "", ""
}

type field struct{ name, typ string }

// typeFields returns the fields of STRUCT(...) or members of UNION(...), whose
// names duckdb-go writes double-quoted.
func typeFields(t string) []field {
	open := strings.IndexByte(t, '(')
	if open < 0 || !strings.HasSuffix(t, ")") {
		return nil
	}
	var fields []field
	for _, f := range splitTopLevel(t[open+1 : len(t)-1]) {
		f = strings.TrimSpace(f)
		var name strings.Builder
		rest := ""
		if strings.HasPrefix(f, `"`) {
			i := 1
			for ; i < len(f); i++ {
				if f[i] == '"' {
					if i+1 < len(f) && f[i+1] == '"' {
						i++
					} else {
						break
					}
				}
				name.WriteByte(f[i])
			}
			rest = f[min(i+1, len(f)):]
		} else if sp := strings.IndexByte(f, ' '); sp >= 0 {
			name.WriteString(f[:sp])
			rest = f[sp:]
		} else {
			name.WriteString(f)
		}
		fields = append(fields, field{name.String(), strings.TrimSpace(rest)})
	}
	return fields
}

func unionMemberType(t, tag string) string {
	if strings.HasPrefix(t, "UNION(") {
		for _, f := range typeFields(t) {
			if f.name == tag {
				return f.typ
			}
		}
	}
	return ""
}

// structFields recovers the declared field order from the type name, because
// duckdb-go returns structs as Go maps, which have none; unknown fields sort last.
func structFields(dbType string, m map[string]any) []field {
	var fields []field
	seen := map[string]bool{}
	if strings.HasPrefix(dbType, "STRUCT(") {
		for _, f := range typeFields(dbType) {
			if _, ok := m[f.name]; ok && !seen[f.name] {
				fields = append(fields, f)
				seen[f.name] = true
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
	for _, k := range rest {
		fields = append(fields, field{name: k})
	}
	return fields
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

// writeJSON writes a scanned value as DuckDB's cast to JSON does, for the JSON
// modes: numbers bare, NaN and the infinities as the NaN, Infinity and -Infinity
// that cast writes, lists as arrays, structs and maps as objects in their order.
func writeJSON(b *strings.Builder, v any, dbType string, loc *time.Location) {
	if v != nil && decodedJSON(v, dbType) {
		b.WriteString(jsonText(v))
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
		b.WriteString(formatDecimal(x))
	case []any:
		b.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				b.WriteByte(',')
			}
			writeJSON(b, e, listChildType(dbType), loc)
		}
		b.WriteByte(']')
	case map[string]any:
		b.WriteByte('{')
		for i, f := range structFields(dbType, x) {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(jsonString(f.name) + ":")
			writeJSON(b, x[f.name], f.typ, loc)
		}
		b.WriteByte('}')
	case duckdb.OrderedMap:
		kt, vt := mapTypes(dbType)
		keys, vals := x.Keys(), x.Values()
		b.WriteByte('{')
		for i := range keys {
			if i > 0 {
				b.WriteByte(',')
			}
			ks, _ := formatValue(keys[i], kt, loc)
			b.WriteString(jsonString(ks) + ":")
			writeJSON(b, vals[i], vt, loc)
		}
		b.WriteByte('}')
	case duckdb.Union:
		writeJSON(b, x.Value, unionMemberType(dbType, x.Tag), loc)
	default:
		s, _ := formatValue(v, dbType, loc)
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
