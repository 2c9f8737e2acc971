package extension

import (
	"errors"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/duckinfer/duckinfer/internal/partitions"
)

func str(s string) *string { return &s }

// Each SQL type goes in and comes out with its value; DuckDB casts INTEGER to BIGINT
// and FLOAT to DOUBLE on the way in.
func TestFuncTypes(t *testing.T) {
	db, _ := open(t, WithFuncs(
		Func1("shout", func(s string) (string, error) { return strings.ToUpper(s) + "!", nil }),
		Func1("twice", func(n int64) (int64, error) { return 2 * n, nil }),
		Func1("half", func(x float64) (float64, error) { return x / 2, nil }),
		Func1("flip", func(b bool) (bool, error) { return !b, nil }),
		Func2("repeat_to", func(s string, n int64) (string, error) { return strings.Repeat(s, int(n)), nil }),
		Func3("clamp", func(x, lo, hi float64) (float64, error) { return min(max(x, lo), hi), nil }),
	))
	for _, tc := range []struct{ query, want string }{
		{`SELECT shout('héllo wörld')`, "HÉLLO WÖRLD!"},
		{`SELECT twice(21)::VARCHAR`, "42"},                                   // INTEGER → BIGINT
		{`SELECT twice(4611686018427387903)::VARCHAR`, "9223372036854775806"}, // the whole int64 range
		{`SELECT half(5::FLOAT)::VARCHAR`, "2.5"},                             // FLOAT → DOUBLE
		{`SELECT flip(true)::VARCHAR || flip(false)::VARCHAR`, "falsetrue"},
		{`SELECT repeat_to('ab', 3)`, "ababab"},
		{`SELECT clamp(7, 0, 5)::VARCHAR || ' ' || clamp(-1.5, 0, 5)::VARCHAR`, "5.0 0.0"},
		{`SELECT typeof(shout('x')) || typeof(twice(1)) || typeof(half(1)) || typeof(flip(true))`, "VARCHARBIGINTDOUBLEBOOLEAN"},
		// Names are case-insensitive, as in SQL; a whole column goes through, in order.
		{`SELECT string_agg(SHOUT(i::VARCHAR), ',' ORDER BY i) FROM range(3) r(i)`, "0!,1!,2!"},
	} {
		if got := one[string](t, db, tc.query); got != tc.want {
			t.Errorf("%s = %q, want %q", tc.query, got, tc.want)
		}
	}
	// A VARCHAR column is not a DOUBLE: DuckDB asks for a cast, as for its own functions.
	const q = `SELECT half(confidence) FROM ml_predict('sentiment', 'SELECT ''good'' AS text')`
	if _, err := db.Exec(q); err == nil || !strings.Contains(err.Error(), "explicit type casts") {
		t.Fatalf("%s: %v", q, err)
	}
	if got := one[string](t, db, `SELECT (half(confidence::DOUBLE) * 2 = confidence::DOUBLE)::VARCHAR FROM ml_predict('sentiment', 'SELECT ''good'' AS text')`); got != "true" {
		t.Fatalf("half(confidence::DOUBLE): %s", got)
	}
}

// A NULL argument of a value parameter is NULL out, without a call; a pointer parameter
// receives nil; a nil pointer result is NULL, which WHERE ... IS NOT NULL drops.
func TestFuncNulls(t *testing.T) {
	var calls atomic.Int64
	db, _ := open(t, WithFuncs(
		Func1("shout", func(s string) (string, error) { calls.Add(1); return strings.ToUpper(s), nil }),
		Func2("or_default", func(s *string, def string) (string, error) {
			if s == nil {
				return def, nil
			}
			return *s, nil
		}),
		Func1("keep_long", func(s string) (*string, error) {
			if len(s) < 4 {
				return nil, nil
			}
			return &s, nil
		}),
		Func1("is_null", func(n *int64) (bool, error) { return n == nil, nil }),
	))
	exec(t, db, `CREATE TABLE w AS SELECT * FROM (VALUES (1, 'apple'), (2, NULL), (3, 'fig'), (4, 'banana')) t(id, word)`)
	for _, tc := range []struct{ query, want string }{
		{`SELECT string_agg(coalesce(shout(word), 'NULL'), ',' ORDER BY id) FROM w`, "APPLE,NULL,FIG,BANANA"},
		{`SELECT string_agg(or_default(word, '?'), ',' ORDER BY id) FROM w`, "apple,?,fig,banana"},
		// def is a value parameter: a NULL there is NULL out for every row.
		{`SELECT string_agg(coalesce(or_default(word, NULL), 'NULL'), ',' ORDER BY id) FROM w`, "NULL,NULL,NULL,NULL"},
		{`SELECT string_agg(id::VARCHAR, ',' ORDER BY id) FROM w WHERE keep_long(word) IS NOT NULL`, "1,4"},
		{`SELECT string_agg(is_null(CASE WHEN id % 2 = 0 THEN id END)::VARCHAR, ',' ORDER BY id) FROM w`, "true,false,true,false"},
	} {
		if got := one[string](t, db, tc.query); got != tc.want {
			t.Errorf("%s = %q, want %q", tc.query, got, tc.want)
		}
	}
	if n := calls.Load(); n != 3 {
		t.Fatalf("shout ran %d times for 3 non-NULL words", n)
	}
}

// An error or a panic in a Func fails the query with the function's name, the row's
// arguments and the cause; the connector keeps working.
func TestFuncErrors(t *testing.T) {
	db, _ := open(t, WithFuncs(
		Func2("validate", func(s string, n int64) (string, error) {
			if n < 0 {
				return "", errors.New("n must not be negative")
			}
			return s, nil
		}),
		Func1("explode", func(x float64) (float64, error) {
			var m map[string]float64
			m["x"] = x // a nil map: panics
			return x, nil
		}),
	))
	for _, tc := range []struct{ query, want string }{
		{`SELECT validate(s, n) FROM (VALUES ('fine', 1), ('it''s bad', -2)) t(s, n)`, `validate('it''s bad', -2): n must not be negative`},
		{`SELECT validate(repeat('x', 100), -1)`, `validate('` + strings.Repeat("x", 60) + `…', -1): n must not be negative`},
		{`SELECT explode(i / 4) FROM range(3) r(i)`, `explode(0): panic: assignment to entry in nil map`},
		// In ml_predict's input query and around it, the same.
		{`SELECT * FROM ml_predict('sentiment', 'SELECT validate(''good'', -5) AS text')`, `validate('good', -5): n must not be negative`},
		{`SELECT validate(predicted_class, -1) FROM ml_predict('sentiment', 'SELECT ''good'' AS text')`, `validate('positive', -1): n must not be negative`},
	} {
		_, err := db.Exec(tc.query)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want an error with %q", tc.query, err, tc.want)
		}
	}
	if got := one[string](t, db, `SELECT validate('still here', 1)`); got != "still here" {
		t.Fatalf("after the errors: %q", got)
	}
}

func TestFuncRegistrationErrors(t *testing.T) {
	upper := func(s string) (string, error) { return strings.ToUpper(s), nil }
	for _, tc := range []struct {
		name string
		fns  []Func
		want string
	}{
		{"no name", []Func{Func1("", upper)}, "a Func needs a name"},
		{"nil function", []Func{Func1[string, string]("f", nil)}, `function "f": the Go function is nil`},
		{"zero Func", []Func{{}}, "a Func must be made by Func1, Func2 or Func3"},
		{"twice", []Func{Func1("f", upper), Func1("F", upper)}, `function "F" is registered twice`},
		{"built-in name", []Func{Func1("lower", upper)}, `function "lower": DuckDB already has a function of that name`},
		{"duckinfer's name", []Func{Func1("ml_infer", upper)}, `function "ml_infer": names starting with ml_ are duckinfer's`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := NewConnector("", WithFuncs(tc.fns...))
			if err == nil {
				c.Close()
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want %q", err, tc.want)
			}
		})
	}
}

// A Go pre-processor in the input query and a Go post-processor around ml_predict run
// on DuckDB's worker threads, in parallel, like the model between them.
func TestFuncsAroundModelInParallel(t *testing.T) {
	var preThreads, postThreads partitions.Threads
	var pre, post atomic.Int64
	db, c := open(t, WithFuncs(
		Func1("clean", func(s string) (string, error) {
			preThreads.Current()
			pre.Add(1)
			return strings.ToLower(strings.TrimSpace(s)), nil
		}),
		Func1("action", func(label string) (*string, error) {
			postThreads.Current()
			post.Add(1)
			if label == "positive" {
				return str("thank"), nil
			}
			return nil, nil // drop the row
		}),
	))
	exec(t, db, `SET threads = 4`)
	// Three row groups (122,880 rows each), so that DuckDB scans in parallel.
	exec(t, db, `CREATE TABLE ev AS SELECT i AS id, CASE WHEN i % 4 = 0 THEN '  I LOVE IT  ' ELSE 'Terrible, broken' END AS body FROM range(300000) r(i)`)
	conn, err := db.Conn(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var n, thanked int64
	var minID int64
	err = conn.QueryRowContext(t.Context(), `SELECT count(*), count(*) FILTER (WHERE a = 'thank'), min(id) FROM (
		SELECT id, action(predicted_class) AS a FROM ml_predict('sentiment', 'SELECT id, clean(body) AS text FROM ev')
	) WHERE a IS NOT NULL`).Scan(&n, &thanked, &minID)
	if err != nil {
		t.Fatal(err)
	}
	if n != 75000 || thanked != 75000 || minID != 0 {
		t.Fatalf("%d rows kept (%d thanked, first id %d), want the 75000 positive ones from id 0", n, thanked, minID)
	}
	if pre.Load() != 300000 || post.Load() != 300000 {
		t.Fatalf("clean ran %d times, action %d times, want 300000 each", pre.Load(), post.Load())
	}
	if preThreads.Count() < 2 || postThreads.Count() < 2 || c.Stats().Partitions < 2 {
		t.Fatalf("clean ran on %d threads, action on %d, the model on %d; want ≥ 2 each", preThreads.Count(), postThreads.Count(), c.Stats().Partitions)
	}
}

// A pre-processor feeds a numeric (float32) model input as well as a text one: iris
// measured in millimetres, converted to the centimetres the model was trained on.
func TestFuncPreprocessesNumericInputs(t *testing.T) {
	db, _ := open(t, WithFuncs(Func1("mm_to_cm", func(mm float64) (float64, error) { return mm / 10, nil })))
	got := one[string](t, db, `SELECT string_agg(predicted_class, ',' ORDER BY id) FROM ml_predict('iris', '
		SELECT id, mm_to_cm(sl) AS sepal_length, mm_to_cm(sw) AS sepal_width, mm_to_cm(pl) AS petal_length, mm_to_cm(pw) AS petal_width
		FROM (VALUES (1, 51, 35, 14, 2), (2, 70, 32, 47, 14), (3, 63, 33, 60, 25)) t(id, sl, sw, pl, pw)')`)
	if got != "setosa,versicolor,virginica" {
		t.Fatalf("got %s", got)
	}
}

// Pins: a string result that is not valid UTF-8 silently became NULL (DuckDB stores NULL
// for it), so WHERE f(...) IS NOT NULL dropped the row without a word.
func TestFuncInvalidUTF8ResultIsNotNull(t *testing.T) {
	cut := func(s string) (*string, error) {
		if len(s) < 4 {
			return nil, nil // "drop this row"
		}
		r := s[:2] // byte-wise: cuts 'é' in two
		return &r, nil
	}
	db, _ := open(t, WithFuncs(
		Func1("first2", cut),
		Func1("first2v", func(s string) (string, error) { p, err := cut(s); return *p, err }),
	))
	exec(t, db, `CREATE TABLE w AS SELECT * FROM (VALUES (1, 'apple'), (2, 'héllo'), (3, 'ok')) t(id, word)`)
	for _, tc := range []struct{ query, want string }{
		{`SELECT id FROM w WHERE first2(word) IS NOT NULL ORDER BY id`, `first2('héllo'): returned "h\xc3", which is not valid UTF-8`},
		{`SELECT first2v(word) FROM w WHERE id = 2`, `first2v('héllo'): returned "h\xc3", which is not valid UTF-8`},
	} {
		_, err := db.Exec(tc.query)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want an error with %q", tc.query, err, tc.want)
		}
	}
	// Valid results, and a nil one, are as before.
	if got := one[string](t, db, `SELECT string_agg(first2(word), ',' ORDER BY id) FROM w WHERE id <> 2`); got != "ap" {
		t.Fatalf("valid results: %q", got)
	}
}

// Pins: WithFuncs accepted names DuckDB's parser treats as syntax, so name(...) ran
// DuckDB's own expression (coalesce) or failed to parse, and the Go function never ran.
func TestFuncShadowedName(t *testing.T) {
	upper := func(s string) (string, error) { return "GO:" + s, nil }
	for _, name := range []string{
		"coalesce", "COALESCE", "exists", "cast", "try_cast", "columns", "grouping", "grouping_id", "unpack", // keywords
		"select", "case", "interval", "varchar", "semi", "like", "operator",
		"if", "ifnull", "try", "unlist", "date", // not keywords, parsed specially all the same
	} {
		c, err := NewConnector("", WithFuncs(Func1(name, upper)))
		if err == nil {
			c.Close()
			t.Errorf("%s: accepted", name)
			continue
		}
		if want := `function "` + name + `"`; !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "pick another name") {
			t.Errorf("%s: %v, want an error naming %s and saying to pick another name", name, err, want)
		}
	}
	// Unreserved keywords are names like any other: name(...) calls the Go function.
	db, _ := open(t, WithFuncs(Func1("text", upper), Func1("label", upper), Func1("value", upper), Func1("source", upper)))
	if got := one[string](t, db, `SELECT text('a') || label('b') || value('c') || source('d')`); got != "GO:aGO:bGO:cGO:d" {
		t.Fatalf("unreserved keywords as names: %q", got)
	}
}
