package extension

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/duckdb/duckdb-go/v2"
)

// SQLValue is the set of Go types a Func exchanges with SQL: string (VARCHAR), int64
// (BIGINT), float64 (DOUBLE), bool (BOOLEAN), and a pointer to one of them where the
// value may be NULL. DuckDB casts an argument to the parameter's type where it can
// implicitly (INTEGER to BIGINT, FLOAT to DOUBLE); other types need a cast in SQL
// (confidence::DOUBLE, a DATE as d::VARCHAR).
type SQLValue interface {
	string | int64 | float64 | bool | *string | *int64 | *float64 | *bool
}

// A Func is a Go function that SQL calls by name: a row pre-processor in ml_predict's
// input query, a post-processor in the query around it, or any other scalar function.
// Make one with Func1, Func2 or Func3 and pass it to WithFuncs.
//
// NULLs: a NULL argument for a parameter of a non-pointer type makes the result NULL
// without calling the function; a pointer parameter receives nil for NULL. A function
// whose result type is a pointer returns nil for NULL: that is how a post-processor
// says "drop this row", with WHERE f(...) IS NOT NULL around it (see the README).
//
// DuckDB calls the function from its worker threads at the same time, so it must be
// safe for concurrent use. It calls it once per row for each place the query names it:
// a Func is volatile to DuckDB, which therefore neither folds a call with constant
// arguments at plan time nor copies one into a filter it pushes down (a deterministic
// post-processor under WHERE ... IS NOT NULL ran twice for every row kept), so a
// function that counts, logs or calls a service sees each row once. An error it
// returns, or a panic, fails the query with a message that starts with the function's
// name and the row's arguments; the error's text is kept, its type is not (the query's
// error is a string from DuckDB). So does a string result that is not valid UTF-8 (a
// byte-wise cut through 'é'): a VARCHAR cannot hold it, and DuckDB would store NULL,
// which WHERE f(...) IS NOT NULL would drop without a word.
type Func struct {
	name     string
	params   []duckdb.Type
	nullable []bool // per parameter: a pointer type, which receives nil for NULL
	result   duckdb.Type
	call     func(args []driver.Value) (any, error)
	err      error // a mistake found when the Func was made, reported by NewConnector
}

// Func1 makes fn callable from SQL as name(a).
func Func1[A, R SQLValue](name string, fn func(A) (R, error)) Func {
	a, r := fromSQL[A](), toSQL[R]()
	return newFunc(name, fn == nil, []sqlType{typeOf[A]()}, typeOf[R](), func(args []driver.Value) (any, error) {
		v, err := fn(a(args[0]))
		if err != nil {
			return nil, err
		}
		return r(v)
	})
}

// Func2 makes fn callable from SQL as name(a, b).
func Func2[A, B, R SQLValue](name string, fn func(A, B) (R, error)) Func {
	a, b, r := fromSQL[A](), fromSQL[B](), toSQL[R]()
	return newFunc(name, fn == nil, []sqlType{typeOf[A](), typeOf[B]()}, typeOf[R](), func(args []driver.Value) (any, error) {
		v, err := fn(a(args[0]), b(args[1]))
		if err != nil {
			return nil, err
		}
		return r(v)
	})
}

// Func3 makes fn callable from SQL as name(a, b, c).
func Func3[A, B, C, R SQLValue](name string, fn func(A, B, C) (R, error)) Func {
	a, b, c, r := fromSQL[A](), fromSQL[B](), fromSQL[C](), toSQL[R]()
	return newFunc(name, fn == nil, []sqlType{typeOf[A](), typeOf[B](), typeOf[C]()}, typeOf[R](), func(args []driver.Value) (any, error) {
		v, err := fn(a(args[0]), b(args[1]), c(args[2]))
		if err != nil {
			return nil, err
		}
		return r(v)
	})
}

// WithFuncs registers Go functions as SQL scalar functions of the database, visible to
// every connection and to every query, ml_predict's input query included:
//
//	extension.Open("", extension.WithFuncs(
//		extension.Func1("normalize", normalize),   // func(string) (string, error)
//		extension.Func2("action", action),         // func(string, float64) (*string, error)
//	))
//
// Names are case-insensitive, as in SQL. A name DuckDB already has (a built-in
// function, another Func), one its parser reads as syntax (a keyword other than an
// unreserved one, such as coalesce, cast or columns, and if, ifnull, try, unlist, date),
// or one starting with ml_ is an error of NewConnector, as is a Func not made by Func1,
// Func2 or Func3.
func WithFuncs(fns ...Func) Option {
	return func(c *config) { c.funcs = append(c.funcs, fns...) }
}

type sqlType struct {
	t        duckdb.Type
	nullable bool
}

func newFunc(name string, nilFn bool, params []sqlType, result sqlType, call func([]driver.Value) (any, error)) Func {
	f := Func{name: name, result: result.t, call: call}
	for _, p := range params {
		f.params = append(f.params, p.t)
		f.nullable = append(f.nullable, p.nullable)
	}
	switch {
	case name == "":
		f.err = fmt.Errorf("a Func needs a name")
	case nilFn:
		f.err = fmt.Errorf("function %q: the Go function is nil", name)
	}
	return f
}

// typeOf is the SQL type of a SQLValue type, and whether it takes NULL (a pointer).
func typeOf[T SQLValue]() sqlType {
	switch any(*new(T)).(type) {
	case string:
		return sqlType{duckdb.TYPE_VARCHAR, false}
	case *string:
		return sqlType{duckdb.TYPE_VARCHAR, true}
	case int64:
		return sqlType{duckdb.TYPE_BIGINT, false}
	case *int64:
		return sqlType{duckdb.TYPE_BIGINT, true}
	case float64:
		return sqlType{duckdb.TYPE_DOUBLE, false}
	case *float64:
		return sqlType{duckdb.TYPE_DOUBLE, true}
	case bool:
		return sqlType{duckdb.TYPE_BOOLEAN, false}
	default: // *bool
		return sqlType{duckdb.TYPE_BOOLEAN, true}
	}
}

// fromSQL returns the conversion of an argument, as duckdb-go reads it for the
// parameter's SQL type, into T; it is picked once per Func, not per row. A non-pointer T
// never sees nil (the caller returns NULL first).
func fromSQL[T SQLValue]() func(driver.Value) T {
	var f any
	switch any(*new(T)).(type) {
	case string:
		f = func(v driver.Value) string { return v.(string) }
	case int64:
		f = func(v driver.Value) int64 { return v.(int64) }
	case float64:
		f = func(v driver.Value) float64 { return v.(float64) }
	case bool:
		f = func(v driver.Value) bool { return v.(bool) }
	case *string:
		f = func(v driver.Value) *string { return ptr[string](v) }
	case *int64:
		f = func(v driver.Value) *int64 { return ptr[int64](v) }
	case *float64:
		f = func(v driver.Value) *float64 { return ptr[float64](v) }
	case *bool:
		f = func(v driver.Value) *bool { return ptr[bool](v) }
	}
	return f.(func(driver.Value) T)
}

func ptr[T any](v driver.Value) *T {
	if v == nil {
		return nil
	}
	x := v.(T)
	return &x
}

// toSQL returns the conversion of a result into what duckdb-go writes; nil is NULL. A
// string that is not valid UTF-8 is an error: DuckDB's C API stores NULL for it, which
// under WHERE f(...) IS NOT NULL would drop the row without a word.
func toSQL[T SQLValue]() func(T) (any, error) {
	var f any
	switch any(*new(T)).(type) {
	case string:
		f = validUTF8
	case int64:
		f = func(v int64) (any, error) { return v, nil }
	case float64:
		f = func(v float64) (any, error) { return v, nil }
	case bool:
		f = func(v bool) (any, error) { return v, nil }
	case *string:
		f = func(p *string) (any, error) {
			if p == nil {
				return nil, nil
			}
			return validUTF8(*p)
		}
	case *int64:
		f = deref[int64]
	case *float64:
		f = deref[float64]
	case *bool:
		f = deref[bool]
	}
	return f.(func(T) (any, error))
}

func deref[T any](p *T) (any, error) {
	if p == nil {
		return nil, nil
	}
	return *p, nil
}

// validUTF8 refuses a string result that is not valid UTF-8, which a VARCHAR cannot hold.
func validUTF8(s string) (any, error) {
	if !utf8.ValidString(s) {
		return nil, fmt.Errorf("returned %s, which is not valid UTF-8 (a VARCHAR cannot hold it; DuckDB would make it NULL); "+
			"cut strings at character boundaries (range over the string, or []rune), or clean them with strings.ToValidUTF8", quoteResult(s))
	}
	return s, nil
}

// quoteResult writes a result for an error message, Go-quoted so that its bad bytes
// show, a long one cut short.
func quoteResult(s string) string {
	const max = 60
	if len(s) > max {
		return strconv.Quote(s[:max]) + "…"
	}
	return strconv.Quote(s)
}

// scalarFunc is a Func as a duckdb-go scalar UDF.
type scalarFunc struct{ f Func }

func (s *scalarFunc) Config() duckdb.ScalarFuncConfig {
	cfg := duckdb.ScalarFuncConfig{Volatile: true} // once per row and place: see Func
	for i, t := range s.f.params {
		info, _ := duckdb.NewTypeInfo(t)
		cfg.InputTypeInfos = append(cfg.InputTypeInfos, info)
		// DuckDB's default is NULL in, NULL out; a pointer parameter wants its NULLs.
		cfg.SpecialNullHandling = cfg.SpecialNullHandling || s.f.nullable[i]
	}
	cfg.ResultTypeInfo, _ = duckdb.NewTypeInfo(s.f.result)
	return cfg
}

func (s *scalarFunc) Executor() duckdb.ScalarFuncExecutor {
	return duckdb.ScalarFuncExecutor{RowExecutor: s.row}
}

// row runs the function for one row, on the DuckDB worker thread that evaluates it.
func (s *scalarFunc) row(args []driver.Value) (res any, err error) {
	for i, v := range args {
		if v == nil && !s.f.nullable[i] {
			return nil, nil
		}
	}
	defer func() {
		if p := recover(); p != nil {
			err = s.rowError(args, fmt.Errorf("panic: %v", p))
		}
	}()
	if res, err = s.f.call(args); err != nil {
		return nil, s.rowError(args, err)
	}
	return res, nil
}

// rowError names the function and the row's arguments, as SQL would write them.
func (s *scalarFunc) rowError(args []driver.Value, err error) error {
	var b strings.Builder
	b.WriteString(s.f.name)
	b.WriteByte('(')
	for i, v := range args {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(sqlLiteral(v))
	}
	b.WriteString("): ")
	b.WriteString(err.Error())
	return fmt.Errorf("%s", b.String())
}

// sqlLiteral writes an argument for an error message, a long string cut short.
func sqlLiteral(v driver.Value) string {
	const max = 60
	switch x := v.(type) {
	case nil:
		return "NULL"
	case string:
		if len(x) > max {
			x = strings.ToValidUTF8(x[:max], "") + "…"
		}
		return "'" + strings.ReplaceAll(x, "'", "''") + "'"
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	default:
		return fmt.Sprint(x)
	}
}

// registerFuncs adds the user's functions to the database through conn.
func registerFuncs(conn *sql.Conn, fns []Func) error {
	seen := map[string]bool{}
	for _, f := range fns {
		if f.call == nil && f.err == nil {
			f.err = fmt.Errorf("a Func must be made by Func1, Func2 or Func3")
		}
		if f.err != nil {
			return fmt.Errorf("extension: %w", f.err)
		}
		key := strings.ToLower(f.name)
		if seen[key] {
			return fmt.Errorf("extension: function %q is registered twice", f.name)
		}
		seen[key] = true
		// DuckDB would let a new function replace a built-in one (lower) or ours
		// (ml_infer, which ml_predict calls) without a word.
		if strings.HasPrefix(key, "ml_") {
			return fmt.Errorf("extension: function %q: names starting with ml_ are duckinfer's; pick another", f.name)
		}
		var n int
		if err := conn.QueryRowContext(context.Background(), `SELECT count(*) FROM duckdb_functions() WHERE lower(function_name) = ?`, key).Scan(&n); err != nil {
			return fmt.Errorf("extension: function %q: %w", f.name, err)
		}
		if n > 0 {
			return fmt.Errorf("extension: function %q: DuckDB already has a function of that name; pick another", f.name)
		}
		if err := checkSyntaxName(conn, f.name, key); err != nil {
			return err
		}
		if err := duckdb.RegisterScalarUDF(conn, f.name, &scalarFunc{f: f}); err != nil {
			return fmt.Errorf("extension: registering function %q: %w", f.name, err)
		}
	}
	return nil
}

// specialForms are names that are not SQL keywords, or only unreserved ones, yet DuckDB's
// parser turns name(...) into an expression of its own (IF and IFNULL into CASE and
// COALESCE, TRY, UNLIST into UNNEST, DATE into a cast, OPERATOR(...) into an operator),
// quoted or not: a function of that name registers, and never runs. Found by calling a
// function of every keyword's name, and of other candidates, on DuckDB 1.5.
var specialForms = map[string]bool{"if": true, "ifnull": true, "try": true, "unlist": true, "date": true, "operator": true}

// checkSyntaxName refuses a name that DuckDB's parser reads as syntax rather than as a
// function call: a keyword of any category but 'unreserved' (coalesce(...) runs DuckDB's
// COALESCE, cast(...) and exists(...) do not parse, columns(...) is a star expression),
// or one of the specialForms. Some type_function keywords (like, join) would work as
// names, but the parser may claim any of them, so all are refused.
func checkSyntaxName(conn *sql.Conn, name, key string) error {
	if specialForms[key] {
		return fmt.Errorf("extension: function %q: DuckDB's parser reads %s(...) as its own expression, so the Go function would never run; pick another name", name, key)
	}
	var category string
	err := conn.QueryRowContext(context.Background(), `SELECT keyword_category FROM duckdb_keywords() WHERE keyword_name = ?`, key).Scan(&category)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil
	case err != nil:
		return fmt.Errorf("extension: function %q: %w", name, err)
	case category != "unreserved":
		return fmt.Errorf("extension: function %q: %s is a SQL keyword (%s) to DuckDB's parser, so %s(...) would not call the Go function; pick another name", name, key, category, key)
	}
	return nil
}
