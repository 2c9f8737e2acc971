package hosttest

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/duckinfer/duckinfer/extension"
)

// A view saved through the loadable extension with the form README gives for every
// DuckDB (duckinfer.ml_predict, duckinfer.main.ml_predict, duckinfer.predict) reads
// back in duckinfer's own Go API and shell. Before, those names did not exist there
// ("Table Function with name ml_predict does not exist!", "Catalog "duckinfer" does
// not exist!"), so a database kept and shared between the two failed in one of them.
func TestViewSavedThroughExtensionReadsInGoBinding(t *testing.T) {
	path := filepath.Join(t.TempDir(), "user.duckdb")
	h := startNode(t, path, nil)
	mustQuery(t, h, "a", "CREATE TABLE reviews AS SELECT 1 AS id, 'I loved it' AS text UNION ALL SELECT 2, 'awful'")
	views := map[string]string{
		"scored_catalog":  "duckinfer.ml_predict('sentiment', 'reviews')",
		"scored_schema":   "duckinfer.main.ml_predict('sentiment', 'reviews')",
		"scored_alias":    "duckinfer.predict('sentiment', 'reviews')",
		"scored_unqualif": "ml_predict('sentiment', 'reviews')",
	}
	for name, call := range views {
		mustQuery(t, h, "a", "CREATE VIEW "+name+" AS SELECT id, predicted_class FROM "+call)
		r := mustQuery(t, h, "a", "SELECT string_agg(predicted_class, ',' ORDER BY id) FROM "+name)
		if got := r.Value(0, 0); got != "positive,negative" {
			t.Fatalf("%s through the extension: %q", name, got)
		}
	}
	closeHost(t, h)

	db, err := extension.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for name, call := range views {
		var got string
		if err := db.QueryRow("SELECT string_agg(predicted_class, ',' ORDER BY id) FROM " + name).Scan(&got); err != nil {
			first, _, _ := strings.Cut(err.Error(), "\n")
			t.Errorf("view %s (… FROM %s), saved through the extension, fails in the Go binding: %s", name, call, first)
			continue
		}
		if got != "positive,negative" {
			t.Errorf("view %s in the Go binding: %q, want positive,negative", name, got)
		}
	}
}

// A view, a table macro and a CREATE TABLE … AS over ml_predict, saved in a file
// through each host, read back: with the extension loaded they give the same rows, and
// a connection that has not LOADed it gets a clear error naming the missing function
// (never a crash or other rows). Held at review time; kept as a regression test.
func TestSavedViewsAcrossReopen(t *testing.T) {
	forEachHost(t, func(t *testing.T, k hostKind) {
		path := filepath.Join(t.TempDir(), "user.duckdb")
		h := k.start(t, path, nil)
		mustQuery(t, h, "a", "CREATE TABLE reviews AS SELECT 1 AS id, 'I loved it' AS text UNION ALL SELECT 2, 'awful'")
		mustQuery(t, h, "a", "CREATE VIEW scored AS SELECT id, predicted_class FROM ml_predict('sentiment', 'reviews')")
		mustQuery(t, h, "a", "CREATE MACRO score(x) AS TABLE SELECT id, predicted_class FROM ml_predict('sentiment', x)")
		mustQuery(t, h, "a", "CREATE TABLE kept AS SELECT id, predicted_class FROM ml_predict('sentiment', 'reviews')")
		closeHost(t, h)

		// The first connection of the reopened database does not LOAD (on DuckDB 2.0
		// a LOAD registers the macros for every connection of the database).
		h = k.start(t, path, nil)
		defer closeHost(t, h)
		for _, q := range []string{"scored", "score('reviews')"} {
			r, err := h.Query("N1", "SELECT string_agg(predicted_class, ',' ORDER BY id) FROM "+q)
			if err != nil {
				t.Fatal(err)
			}
			if r.OK || !strings.Contains(r.Error, "ml_predict") {
				t.Errorf("%s without LOAD: ok=%v error %q; want a clear error naming ml_predict", q, r.OK, r.Error)
			}
		}
		for _, q := range []string{"scored", "score('reviews')", "kept"} {
			r := mustQuery(t, h, "a", "SELECT string_agg(predicted_class, ',' ORDER BY id) FROM "+q)
			if got := r.Value(0, 0); got != "positive,negative" {
				t.Errorf("%s after reopening: %q", q, got)
			}
		}
	})
}
