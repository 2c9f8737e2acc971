// Package valuetext writes the values duckdb-go scans as DuckDB's cast to VARCHAR
// writes them. The shell and the SQL test runner need it for the statements they
// cannot wrap in a SELECT that casts every column to VARCHAR (INSERT ... RETURNING,
// EXECUTE, CALL, PRAGMA, several statements in one): there only the Go values are
// left. It lives apart from internal/sqltext, which must stay plain Go, because it
// reads duckdb-go's types (Decimal, Interval, OrderedMap, Union).
package valuetext

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/duckdb/duckdb-go/v2"

	"github.com/duckinfer/duckinfer/internal/sqltext"
)

// Readable says whether duckdb-go can read values of the type it named t:
// it names a type it does not know "", also inside a nested type.
func Readable(t string) bool {
	switch {
	case t == "":
		return false
	case strings.HasSuffix(t, "]"):
		return Readable(ListChildType(t))
	case strings.HasPrefix(t, "MAP("):
		k, v := MapTypes(t)
		return Readable(k) && Readable(v)
	case strings.HasPrefix(t, "STRUCT(") || strings.HasPrefix(t, "UNION("):
		for _, f := range typeFields(t) {
			if !Readable(f.Type) {
				return false
			}
		}
	}
	return true
}

// Format renders a scanned value the way DuckDB casts it to VARCHAR; dbType
// is duckdb-go's name for its type, loc the session TimeZone (nil: UTC). ok is
// false for NULL.
func Format(v any, dbType string, loc *time.Location) (s string, ok bool) {
	if v == nil {
		return "NULL", false
	}
	if DecodedJSON(v, dbType) {
		return JSONText(v), true
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
		return FormatDecimal(x), true
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
			parts[i] = nestedText(e, ListChildType(dbType), loc)
		}
		return "[" + strings.Join(parts, ", ") + "]", true
	case map[string]any:
		fields := StructFields(dbType, x)
		parts := make([]string, len(fields))
		for i, f := range fields {
			parts[i] = quoteNested(f.Name) + ": " + nestedText(x[f.Name], f.Type, loc)
		}
		return "{" + strings.Join(parts, ", ") + "}", true
	case duckdb.OrderedMap:
		kt, vt := MapTypes(dbType)
		keys, vals := x.Keys(), x.Values()
		parts := make([]string, len(keys))
		for i := range keys {
			parts[i] = nestedText(keys[i], kt, loc) + "=" + nestedText(vals[i], vt, loc)
		}
		return "{" + strings.Join(parts, ", ") + "}", true
	case duckdb.Union:
		return Format(x.Value, UnionMemberType(dbType, x.Tag), loc)
	case fmt.Stringer:
		return x.String(), true
	}
	return fmt.Sprint(v), true
}

// nestedText writes a value inside a LIST, STRUCT or MAP as DuckDB's cast does:
// quoted where its text would be ambiguous there, nested values and NULL as is.
func nestedText(v any, dbType string, loc *time.Location) string {
	s, ok := Format(v, dbType, loc)
	switch v.(type) {
	case []any, map[string]any, duckdb.OrderedMap, duckdb.Union:
		return s
	}
	if !ok || DecodedJSON(v, dbType) {
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

// DecodedJSON says whether v is a JSON value that duckdb-go decoded: it does so
// for the JSON type, which it names VARCHAR inside nested types, where a VARCHAR
// value would be a string.
func DecodedJSON(v any, dbType string) bool {
	if dbType == "JSON" {
		return true
	}
	_, isString := v.(string)
	return dbType == "VARCHAR" && !isString
}

// JSONText writes a decoded JSON value back as JSON text. The text DuckDB holds
// is lost by then: keys come out sorted and numbers as float64 writes them.
func JSONText(v any) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Sprint(v)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// FormatDecimal keeps the type's scale (12.30, not 12.3), unlike Decimal.String.
func FormatDecimal(d duckdb.Decimal) string {
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

// formatBlob escapes non-printable bytes, the backslash and both quotes as \xNN, as
// DuckDB's cast of a BLOB to VARCHAR does.
func formatBlob(b []byte) string {
	var sb strings.Builder
	for _, c := range b {
		if c >= 32 && c <= 126 && c != '\\' && c != '\'' && c != '"' {
			sb.WriteByte(c)
		} else {
			fmt.Fprintf(&sb, "\\x%02X", c)
		}
	}
	return sb.String()
}

// ListChildType returns the element type of a LIST (T[]) or ARRAY (T[n]).
func ListChildType(t string) string {
	if i := strings.LastIndexByte(t, '['); i > 0 && strings.HasSuffix(t, "]") {
		return t[:i]
	}
	return ""
}

// MapTypes returns the key and value types of MAP(K, V).
func MapTypes(t string) (key, value string) {
	if strings.HasPrefix(t, "MAP(") && strings.HasSuffix(t, ")") {
		if kv := splitTopLevel(t[len("MAP(") : len(t)-1]); len(kv) == 2 {
			return strings.TrimSpace(kv[0]), strings.TrimSpace(kv[1])
		}
	}
	return "", ""
}

// Field is a STRUCT field or UNION member: its name and its type as duckdb-go names it.
type Field struct{ Name, Type string }

// typeFields returns the fields of STRUCT(...) or members of UNION(...), whose
// names duckdb-go writes double-quoted.
func typeFields(t string) []Field {
	open := strings.IndexByte(t, '(')
	if open < 0 || !strings.HasSuffix(t, ")") {
		return nil
	}
	var fields []Field
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
		fields = append(fields, Field{name.String(), strings.TrimSpace(rest)})
	}
	return fields
}

func UnionMemberType(t, tag string) string {
	if strings.HasPrefix(t, "UNION(") {
		for _, f := range typeFields(t) {
			if f.Name == tag {
				return f.Type
			}
		}
	}
	return ""
}

// StructFields recovers the declared field order from the type name, because
// duckdb-go returns structs as Go maps, which have none; unknown fields sort last.
func StructFields(dbType string, m map[string]any) []Field {
	var fields []Field
	seen := map[string]bool{}
	if strings.HasPrefix(dbType, "STRUCT(") {
		for _, f := range typeFields(dbType) {
			if _, ok := m[f.Name]; ok && !seen[f.Name] {
				fields = append(fields, f)
				seen[f.Name] = true
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
		fields = append(fields, Field{Name: k})
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
