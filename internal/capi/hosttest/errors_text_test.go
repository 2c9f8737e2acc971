package hosttest

import (
	"strings"
	"testing"
)

// These pin four misleading errors of the extension: a constant that failed to fold
// reported as JSON and in ml_predict's words, the Go API's hint for an unknown task, and
// a text's row misnamed on the distinct path with an isfinite hint.

// failingQuery runs q, which must fail, and returns its error's first line.
func failingQuery(t *testing.T, h *Host, q string) string {
	t.Helper()
	r, err := h.Query("a", q)
	if err != nil {
		t.Fatal(err)
	}
	if r.OK {
		t.Fatalf("%s: succeeded; want an error", q)
	}
	return firstLine(r.Error)
}

// ml_embed's errors name ml_embed (core.InFunc): an option whose constant fails to fold
// (here a cast out of range) is reported by the extension's bind of ml_predict_sql in
// ml_predict's words.
func TestEmbedFoldErrorNamesEmbed(t *testing.T) {
	q := `SELECT * FROM ml_embed('bert_embed', 'SELECT ''x'' AS text', batch_size := 1e10::INTEGER)`
	forEachHost(t, func(t *testing.T, k hostKind) {
		h := k.start(t, ":memory:", nil)
		defer closeHost(t, h)
		if msg := failingQuery(t, h, q); strings.Contains(msg, "ml_predict") {
			t.Errorf("ml_embed's error names ml_predict: %s", msg)
		}
	})
}

// An argument whose constant fails to fold gets DuckDB's own message, as in the Go
// binding ("Conversion Error: Type DOUBLE with value ... can't be cast ..."): the
// extension wraps the C API's JSON-serialised error data, and numbers the argument by
// ml_predict_sql's internal list (4 = batch_size), which the user never wrote.
func TestFoldErrorIsReadable(t *testing.T) {
	q := `SELECT * FROM ml_predict('sentiment', 'SELECT ''x'' AS text', batch_size := 1e10::INTEGER)`
	forEachHost(t, func(t *testing.T, k hostKind) {
		h := k.start(t, ":memory:", nil)
		defer closeHost(t, h)
		msg := failingQuery(t, h, q)
		if strings.Contains(msg, `{"exception_type"`) || strings.Contains(msg, "argument 4") {
			t.Errorf("a cast error in batch_size := reads: %s", msg)
		}
		if !strings.Contains(msg, "can't be cast") {
			t.Errorf("a cast error in batch_size := lost DuckDB's message: %s", msg)
		}
	})
}

// The extension's unknown-task error says how to add task folders in the extension
// (SET duckinfer_models or $DUCKINFER_MODELS), not the Go API's -models flag or
// extension.WithTaskDirs, which a CLI, Python or Node user does not have.
func TestUnknownTaskNamesTheSetting(t *testing.T) {
	forEachHost(t, func(t *testing.T, k hostKind) {
		h := k.start(t, ":memory:", nil)
		defer closeHost(t, h)
		msg := failingQuery(t, h, `SELECT * FROM ml_predict('nope', 'SELECT ''x'' AS text')`)
		if !strings.Contains(msg, "duckinfer_models") || strings.Contains(msg, "WithTaskDirs") {
			t.Errorf("unknown task: %s; want SET duckinfer_models named, not the Go API", msg)
		}
	})
}

// A text that gives no tokens (an empty text under Qwen2's tokenizer) fails its row;
// the error names the row by its chunk position. When the chunk repeats values (the
// distinct path) it named the position among the distinct values instead: row 500 is
// reported as "row 1". Its hint also says to filter with isfinite(col), for a text.
func TestEmptyTextRowNamed(t *testing.T) {
	forEachHost(t, func(t *testing.T, k hostKind) {
		h := k.start(t, ":memory:", nil)
		defer closeHost(t, h)
		for _, q := range []string{
			// Distinct path: two distinct values in 2048 rows.
			`SELECT count(predicted_class) FROM ml_predict('qwen_nopad', 'SELECT CASE WHEN i = 500 THEN '''' ELSE ''good'' END AS text FROM range(2048) t(i)')`,
			// Row by row (all distinct): named right.
			`SELECT count(predicted_class) FROM ml_predict('qwen_nopad', 'SELECT CASE WHEN i = 500 THEN '''' ELSE ''good'' || i END AS text FROM range(2048) t(i)')`,
		} {
			msg := failingQuery(t, h, q)
			if !strings.Contains(msg, "row 500 of its chunk") {
				t.Errorf("the empty text at row 500: %s", msg)
			}
			if strings.Contains(msg, "isfinite") {
				t.Errorf("the empty text's error suggests isfinite(col) for a text column: %s", msg)
			}
		}
	})
}
