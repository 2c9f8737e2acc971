package hosttest

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"

	"github.com/duckinfer/duckinfer/extension"
	"github.com/duckinfer/duckinfer/internal/sqltest"
)

// predictionQueries cover a string-input classify task (sentiment, in-graph tokenizer),
// a numeric classify task with probabilities (iris) and NULL inputs.
var predictionQueries = []string{
	`SELECT id, predicted_class, confidence FROM ml_predict('sentiment', 'SELECT * FROM read_csv(''%s/testdata/reviews.csv'') UNION ALL SELECT 999, ''x'', NULL, ''positive''') ORDER BY id`,
	`SELECT i, predicted_class, confidence, probabilities FROM ml_predict('iris', 'SELECT i, 4 + i / 50 AS sepal_length, 3.0 AS sepal_width, 1 + i / 20 AS petal_length, i / 60 AS petal_width FROM range(150) t(i)', probabilities := true) ORDER BY i`,
	`SELECT id, embedding FROM ml_embed('bert_embed', 'SELECT i AS id, ''review number '' || i || CASE WHEN i % 2 = 0 THEN '' was great'' ELSE '' was dull'' END AS text FROM range(40) t(i)', batch_size := 8) ORDER BY id`,
}

// The extension inside Node's official libduckdb (1.5.6) and inside a C program on
// DuckDB 2.0 predicts and embeds exactly what the Go binding (duckdb-go, in this
// process) does for the same queries. On DuckDB 2.0 these calls are unqualified and
// reach the C API v2 macros (the C host sets no search path; TestUnqualifiedForm
// checks where ml_predict resolves); on Node the host puts the duckinfer catalog on
// the search path.
func TestPredictionsMatchGoBinding(t *testing.T) {
	forEachHost(t, testPredictionsMatchGoBinding)
}

func testPredictionsMatchGoBinding(t *testing.T, k hostKind) {
	h := k.start(t, ":memory:", nil)
	defer closeHost(t, h)
	db, err := extension.Open("", extension.WithTaskDirs(strings.Split(taskDirs(t), ":")...))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range predictionQueries {
		q = strings.ReplaceAll(q, "%s", root(t))
		// DuckDB's own text on both sides (a host renders a MAP its own way).
		got := mustQuery(t, h, "a", "SELECT COLUMNS(*)::VARCHAR FROM ("+q+")")
		want := goRows(t, db, q)
		bad := 0
		if len(got.Rows) != len(want) || len(want) < 30 {
			t.Fatalf("%s: %d rows through the extension, %d through the Go binding", firstLine(q), len(got.Rows), len(want))
		}
		for r := range want {
			for c := range want[r] {
				if g := got.Value(r, c); g != want[r][c] && bad < 5 {
					bad++
					t.Errorf("%s: row %d column %s: extension %q, Go binding %q", firstLine(q)[:40], r, got.Columns[c], g, want[r][c])
				}
			}
		}
	}
}

// goRows runs q through the Go binding, every value cast to DuckDB's text.
func goRows(t *testing.T, db *sql.DB, q string) [][]string {
	t.Helper()
	rows, err := db.Query("SELECT COLUMNS(*)::VARCHAR FROM (" + q + ")")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out [][]string
	for rows.Next() {
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		row := make([]string, len(cols))
		for i, v := range vals {
			row[i] = "NULL"
			if v.Valid {
				row[i] = v.String
			}
		}
		out = append(out, row)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// Every sql/*.test file runs unchanged through the extension in both hosts: the same
// files and the same runner as the Go binding (internal/sqltest), one host per file.
func TestSQLFiles(t *testing.T) {
	forEachHost(t, func(t *testing.T, k hostKind) {
		var known map[string]string
		if k.name == "duckdb2" {
			known = duckdb2Differences
		}
		runSQLFiles(t, known, func(t *testing.T) *Host { return k.start(t, ":memory:", nil) })
	})
}

// duckdb2Differences are records whose outcome differs on DuckDB 2.0 because DuckDB
// itself changed, not the extension (the Go binding, on 1.5.6, passes them): by file
// and the record's SQL (not its line, which moves whenever the file grows), the text
// the 2.0 error must contain instead.
var duckdb2Differences = map[string]string{
	// DuckDB 2.0's binder no longer names an unknown named parameter of a macro.
	"ml_predict.test: SELECT * FROM ml_predict('sentiment', 'reviews', bogus := 1)":   "Macro ml_predict() does not support the supplied arguments",
	"ml_predict.test: SELECT * FROM ml_predict('sentiment', 'r', colums := ['body'])": "Macro ml_predict() does not support the supplied arguments",
}

func runSQLFiles(t *testing.T, known map[string]string, start func(t *testing.T) *Host) {
	files, err := filepath.Glob(filepath.Join(root(t), "sql", "*.test"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no sql/*.test files: %v", err)
	}
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			s, err := sqltest.ParseFile(path)
			if err != nil {
				t.Fatal(err)
			}
			h := start(t)
			db := sql.OpenDB(h.Connector())
			res := sqltest.Run(context.Background(), db, s)
			db.Close()
			closeHost(t, h)
			var failures []sqltest.Failure
			for _, f := range res.Failures {
				want, ok := known[filepath.Base(f.File)+": "+strings.TrimSpace(f.SQL)]
				if ok && strings.Contains(f.Actual, want) {
					t.Logf("%s:%d differs on this DuckDB as expected: %s", filepath.Base(f.File), f.Line, firstLine(f.Actual))
					continue
				}
				failures = append(failures, f)
			}
			res.Failures = failures
			switch {
			case res.Failed():
				t.Errorf("\n%s", res.Report())
			case res.Run == 0:
				t.Fatalf("nothing ran: %s", res.SkipReason)
			default:
				t.Logf("%d records run, %d skipped", res.Run, res.Skipped)
			}
		})
	}
}
