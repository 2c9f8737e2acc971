package sqltest

import (
	"github.com/duckinfer/duckinfer/internal/sqltext"
	"github.com/duckinfer/duckinfer/internal/valuetext"

	"context"
	"crypto/md5"
	"database/sql"
	"encoding/hex"
	"fmt"
	"math"
	"math/big"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	// TIMESTAMPTZ values are written in the session's TimeZone, which must load
	// where the system has no zoneinfo too.
	_ "time/tzdata"
)

// table is a query result rendered to sqllogictest text.
type table struct {
	cols  int
	types []string // DuckDB type names per column; nil when unknown (no rows)
	rows  [][]string
}

func (t *table) typeOf(col int) string {
	if col < len(t.types) {
		return t.types[col]
	}
	return ""
}

// runQuery runs q and renders its rows. Queries that can be a subquery are wrapped so
// that DuckDB renders every value itself; anything else is scanned and rendered in Go.
func runQuery(ctx context.Context, c *sql.Conn, q string) (*table, error) {
	body := trimSQL(q)
	if wrappable(body) {
		t, err := runWrapped(ctx, c, body)
		// A parser error here usually means q is valid but not a subquery (several
		// statements, a trailing comment after ';'); running it as is either works
		// or reports the error against the text the author wrote.
		if err == nil || !strings.HasPrefix(err.Error(), "Parser Error") {
			return t, err
		}
	}
	return runDirect(ctx, c, q)
}

func trimSQL(q string) string {
	q = strings.TrimSpace(q)
	for strings.HasSuffix(q, ";") {
		q = strings.TrimSpace(strings.TrimSuffix(q, ";"))
	}
	return q
}

// wrappable reports whether q is a statement DuckDB accepts inside FROM (...).
func wrappable(q string) bool { return sqltext.IsQuery(q) && sqltext.Balanced(q) }

// runWrapped renders through DuckDB: typeof gives each column's type (needed for
// BOOLEAN's 1/0 and numeric comparison) and ::VARCHAR is DuckDB's own text, the
// same cast its sqllogictest runner applies. The newline before ')' keeps a
// trailing -- comment from swallowing it. DuckDB keeps the subquery's ORDER BY
// through this projection (checked on 3M rows with parallel scans, DuckDB 1.5.6).
func runWrapped(ctx context.Context, c *sql.Conn, body string) (*table, error) {
	rows, err := c.QueryContext(ctx, "SELECT typeof(COLUMNS(*)), COLUMNS(*)::VARCHAR FROM (\n"+body+"\n)")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	names, err := rows.Columns()
	if err != nil {
		return nil, fmt.Errorf("reading columns: %w", err)
	}
	n := len(names) / 2
	vals := make([]sql.NullString, 2*n)
	ptrs := make([]any, 2*n)
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	t := &table{cols: n}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return nil, fmt.Errorf("scanning row: %w", err)
		}
		if t.types == nil {
			t.types = make([]string, n)
			for i := range n {
				t.types[i] = vals[i].String
			}
		}
		row := make([]string, n)
		for i := range n {
			row[i] = renderText(vals[n+i], t.types[i])
		}
		t.rows = append(t.rows, row)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return t, nil
}

func renderText(v sql.NullString, typ string) string {
	switch {
	case !v.Valid:
		return "NULL"
	case typ == "BOOLEAN" && v.String == "true":
		return "1"
	case typ == "BOOLEAN" && v.String == "false":
		return "0"
	}
	return textCell(v.String)
}

// textCell applies the sqllogictest conventions for strings that would otherwise be
// invisible or break the line format.
func textCell(s string) string {
	if s == "" {
		return "(empty)"
	}
	return strings.ReplaceAll(s, "\x00", `\0`)
}

// runDirect runs a statement that cannot be wrapped and renders duckdb-go's values
// as DuckDB's VARCHAR cast would (valuetext, shared with the shell).
func runDirect(ctx context.Context, c *sql.Conn, q string) (*table, error) {
	rows, err := c.QueryContext(ctx, q)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cts, err := rows.ColumnTypes()
	if err != nil {
		return nil, fmt.Errorf("reading column types: %w", err)
	}
	t := &table{cols: len(cts), types: make([]string, len(cts))}
	var loc *time.Location
	for i, ct := range cts {
		t.types[i] = ct.DatabaseTypeName()
		if !valuetext.Readable(t.types[i]) {
			return nil, fmt.Errorf("the statement ran, but its result column %q has a type that the Go driver cannot read (such as TIME_NS): cast it to VARCHAR in the statement", ct.Name())
		}
		if strings.Contains(t.types[i], "TIMESTAMPTZ") && loc == nil {
			// duckdb-go hands TIMESTAMPTZ over in UTC; DuckDB's cast writes it in the
			// session TimeZone, which the statement itself may have set.
			if loc, err = sessionZone(ctx, c); err != nil {
				return nil, err
			}
		}
	}
	vals := make([]any, t.cols)
	ptrs := make([]any, t.cols)
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return nil, fmt.Errorf("scanning row: %w", err)
		}
		row := make([]string, t.cols)
		for i, v := range vals {
			row[i] = renderGo(v, t.types[i], loc)
		}
		t.rows = append(t.rows, row)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return t, nil
}

// sessionZone is the connection's TimeZone setting; UTC without ICU, which has none.
func sessionZone(ctx context.Context, c *sql.Conn) (*time.Location, error) {
	var name string
	if c.QueryRowContext(ctx, "SELECT current_setting('TimeZone')").Scan(&name) != nil {
		return time.UTC, nil
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("the statement ran, but its TIMESTAMPTZ result is written in the session TimeZone %s, which Go does not know: cast the column to VARCHAR in the statement: %w", name, err)
	}
	return loc, nil
}

// renderGo writes a value scanned by duckdb-go as runWrapped would have DuckDB
// write it, then applies the same sqllogictest conventions (renderText).
func renderGo(v any, typ string, loc *time.Location) string {
	s, ok := valuetext.Format(v, typ, loc)
	return renderText(sql.NullString{String: s, Valid: ok}, typ)
}

var hashRE = regexp.MustCompile(`^[0-9]+ values hashing to [0-9a-z]+$`)

// hashValues is DuckDB's result hash: MD5 over every value followed by a newline.
func hashValues(rows [][]string) string {
	h := md5.New()
	n := 0
	for _, r := range rows {
		for _, v := range r {
			h.Write([]byte(v + "\n"))
			n++
		}
	}
	return fmt.Sprintf("%d values hashing to %s", n, hex.EncodeToString(h.Sum(nil)))
}

func sortRows(rows [][]string, mode SortMode, ncols int) [][]string {
	switch mode {
	case RowSort:
		rows = slices.Clone(rows)
		slices.SortStableFunc(rows, slices.Compare[[]string])
	case ValueSort:
		var flat []string
		for _, r := range rows {
			flat = append(flat, r...)
		}
		slices.Sort(flat)
		rows = nil
		for i := 0; i < len(flat); i += ncols {
			rows = append(rows, flat[i:min(i+ncols, len(flat))])
		}
	}
	return rows
}

// splitExpected turns result lines into rows the way DuckDB's runner reads them:
// tab-separated rows, or (the sqlite layout) one value per line.
func splitExpected(lines []string, ncols, actualRows int) ([][]string, error) {
	rowWise := ncols == 1 || len(lines) == actualRows
	if !rowWise && len(lines) > 0 {
		rowWise = true
		for _, l := range lines {
			if !strings.Contains(l, "\t") {
				rowWise = false
				break
			}
		}
	}
	var rows [][]string
	if rowWise {
		for i, l := range lines {
			vals := []string{l}
			if ncols > 1 {
				vals = strings.Split(l, "\t")
			}
			if len(vals) != ncols {
				return nil, fmt.Errorf("expected result line %d has %d tab-separated values, the type string declares %d columns", i+1, len(vals), ncols)
			}
			rows = append(rows, vals)
		}
		return rows, nil
	}
	if len(lines)%ncols != 0 {
		return nil, fmt.Errorf("expected result has %d values, not a multiple of the %d declared columns", len(lines), ncols)
	}
	for i := 0; i < len(lines); i += ncols {
		rows = append(rows, lines[i:i+ncols])
	}
	return rows, nil
}

func isNumeric(typ string) bool {
	switch typ {
	case "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT",
		"UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT", "UHUGEINT",
		"FLOAT", "DOUBLE", "BIGNUM", "VARINT":
		return true
	}
	return strings.HasPrefix(typ, "DECIMAL")
}

// valueEqual is DuckDB's CompareValues: exact text, a <REGEX>: pattern, or for numeric
// columns equal values (FLOAT/DOUBLE within 1%, so "0.3" matches 0.30000000000000004).
func valueEqual(act, exp, typ string) bool {
	if act == exp {
		return true
	}
	if strings.HasPrefix(exp, "<REGEX>:") || strings.HasPrefix(exp, "<!REGEX>:") {
		return matchText(act, exp)
	}
	if typ == "BOOLEAN" {
		// As DuckDB's CompareValues: true/false in any case equal 1/0.
		b, ok := boolText(exp)
		return ok && b == act
	}
	if !isNumeric(typ) || act == "NULL" || exp == "NULL" {
		return false
	}
	if typ == "FLOAT" || typ == "DOUBLE" {
		a, err1 := strconv.ParseFloat(act, 64)
		e, err2 := strconv.ParseFloat(exp, 64)
		return err1 == nil && err2 == nil && approxEqual(a, e)
	}
	// big.Rat also reads a fraction ("4/2"), which DuckDB's cast of the expected
	// text to the column's type refuses (its 0x prefix DuckDB reads too).
	if strings.Contains(act, "/") || strings.Contains(exp, "/") {
		return false
	}
	a, ok1 := new(big.Rat).SetString(act)
	e, ok2 := new(big.Rat).SetString(exp)
	return ok1 && ok2 && a.Cmp(e) == 0
}

// boolText is the 1 or 0 that an expected BOOLEAN value stands for.
func boolText(s string) (string, bool) {
	switch {
	case s == "1" || strings.EqualFold(s, "true"):
		return "1", true
	case s == "0" || strings.EqualFold(s, "false"):
		return "0", true
	}
	return "", false
}

func approxEqual(a, e float64) bool {
	if math.IsNaN(a) && math.IsNaN(e) {
		return true
	}
	if math.IsInf(a, 0) || math.IsInf(e, 0) || math.IsNaN(a) || math.IsNaN(e) {
		return a == e
	}
	return math.Abs(a-e) <= math.Abs(e)*0.01+1e-8
}

func rowLines(rows [][]string) []string {
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = strings.Join(r, "\t")
	}
	return out
}

func joinLines(l []string) string { return strings.Join(l, "\n") }

// compare checks a result against a query record; nil means it matches.
func compare(rec Record, expected []string, t *table) *Failure {
	ncols := len(rec.Types)
	if t.cols != ncols {
		return &Failure{
			Message:  fmt.Sprintf("wrong column count: type string %q declares %d, the query returned %d", rec.Types, ncols, t.cols),
			Expected: joinLines(expected),
			Actual:   joinLines(rowLines(t.rows)),
		}
	}
	actual := sortRows(t.rows, rec.Sort, ncols)
	if len(expected) == 1 && hashRE.MatchString(expected[0]) {
		if h := hashValues(actual); h != expected[0] {
			return &Failure{Message: "wrong result hash", Expected: expected[0], Actual: h + "\n" + joinLines(rowLines(actual))}
		}
		return nil
	}
	exp, err := splitExpected(expected, ncols, len(t.rows))
	if err != nil {
		return &Failure{Message: err.Error(), Expected: joinLines(expected), Actual: joinLines(rowLines(actual))}
	}
	colType := func(j int) string {
		// After a valuesort the flat values no longer belong to one column; DuckDB
		// compares each with the type at its position, which is one type when all
		// columns share it.
		if rec.Sort == ValueSort && slices.ContainsFunc(t.types, func(typ string) bool { return typ != t.typeOf(0) }) {
			return ""
		}
		return t.typeOf(j)
	}
	mismatch := func(exp [][]string) string {
		if len(exp) != len(actual) {
			return fmt.Sprintf("wrong row count: expected %d, got %d", len(exp), len(actual))
		}
		for i := range actual {
			for j := range actual[i] {
				if !valueEqual(actual[i][j], exp[i][j], colType(j)) {
					return fmt.Sprintf("wrong value at row %d, column %d: expected %q, got %q", i+1, j+1, exp[i][j], actual[i][j])
				}
			}
		}
		return ""
	}
	// DuckDB compares the rows as written with the sorted result; sorting them too
	// lets them be written in any order, and matching them as a multiset keeps a
	// float written rounded (whose text sorts elsewhere) paired with its row.
	if rec.Sort != NoSort && mismatch(exp) == "" {
		return nil
	}
	exp = sortRows(exp, rec.Sort, ncols)
	msg := mismatch(exp)
	if msg != "" && rec.Sort != NoSort && len(exp) == len(actual) && sameMultiset(exp, actual, rec.Sort, colType) {
		msg = ""
	}
	if msg == "" {
		return nil
	}
	same := func(e, a []string) bool {
		for j := range a {
			if !valueEqual(a[j], e[j], colType(j)) {
				return false
			}
		}
		return true
	}
	return &Failure{
		Message:  msg,
		Expected: joinLines(rowLines(exp)),
		Actual:   joinLines(rowLines(actual)),
		Diff:     diffRows(exp, actual, same),
	}
}

// maxMatchPairs bounds the pairs of leftover rows sameMultiset compares.
const maxMatchPairs = 1_000_000

// sameMultiset reports whether the expected rows (values, for valuesort) can be
// paired one to one with equal actual ones, whatever their order. Rows with the
// same text pair first; the rest, which differ in text only where valueEqual
// allows it (a rounded float, true for 1), are paired by bipartite matching.
func sameMultiset(exp, act [][]string, mode SortMode, colType func(int) string) bool {
	same := func(e, a []string) bool {
		for j := range a {
			if !valueEqual(a[j], e[j], colType(j)) {
				return false
			}
		}
		return true
	}
	if mode == ValueSort {
		flat := func(rows [][]string) (out [][]string) {
			for _, r := range rows {
				for _, v := range r {
					out = append(out, []string{v})
				}
			}
			return out
		}
		exp, act = flat(exp), flat(act)
		same = func(e, a []string) bool { return valueEqual(a[0], e[0], colType(0)) }
	}
	if len(exp) != len(act) {
		return false
	}
	key := func(r []string) string { return strings.Join(r, "\x00") }
	left := map[string]int{}
	for _, r := range act {
		left[key(r)]++
	}
	var restE, restA [][]string
	for _, r := range exp {
		if k := key(r); left[k] > 0 {
			left[k]--
		} else {
			restE = append(restE, r)
		}
	}
	for _, r := range act {
		if k := key(r); left[k] > 0 {
			left[k]--
			restA = append(restA, r)
		}
	}
	n := len(restE)
	if n == 0 {
		return true
	}
	if n*n > maxMatchPairs {
		return false
	}
	adj := make([][]int, n)
	for i, e := range restE {
		for j, a := range restA {
			if len(e) == len(a) && same(e, a) {
				adj[i] = append(adj[i], j)
			}
		}
		if len(adj[i]) == 0 {
			return false
		}
	}
	// Kuhn's augmenting paths: owner[j] is the expected row paired with actual row j.
	owner := make([]int, n)
	for j := range owner {
		owner[j] = -1
	}
	var seen []bool
	var augment func(i int) bool
	augment = func(i int) bool {
		for _, j := range adj[i] {
			if seen[j] {
				continue
			}
			seen[j] = true
			if owner[j] < 0 || augment(owner[j]) {
				owner[j] = i
				return true
			}
		}
		return false
	}
	for i := range n {
		seen = make([]bool, n)
		if !augment(i) {
			return false
		}
	}
	return true
}
