package hosttest

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/duckinfer/duckinfer/extension"
	"github.com/duckinfer/duckinfer/internal/train"
)

// ml_predict's class result through the loaded extension equals the Go binding's, row
// for row, for labels past DuckDB's 12-byte inline limit (written into the result's
// heap once per chunk, then shared) and multi-byte ones, with NULL rows between: both
// bindings write it with duckvec_write_classes, called differently.
func TestClassLabelsMatchGoBinding(t *testing.T) {
	long, short := train.LongLabel, train.ShortLabel
	dir := t.TempDir()
	if err := train.LabelsTask(dir, "labels", filepath.Join(root(t), "internal", "models", "tasks", "sentiment", "model.onnx")); err != nil {
		t.Fatal(err)
	}
	// 5000 rows over three chunks; every 17th NULL; texts of both sentiments.
	q := `SELECT count(*) FILTER (WHERE predicted_class = '` + long + `'), count(*) FILTER (WHERE predicted_class = '` + short + `'),
		count(*) FILTER (WHERE predicted_class IS NULL AND confidence IS NULL),
		md5(string_agg(id::VARCHAR || ':' || coalesce(predicted_class, '-') || ':' || coalesce(confidence, '-'), ',' ORDER BY id))
		FROM ml_predict('labels', 'SELECT i AS id, CASE WHEN i % 17 = 0 THEN NULL WHEN i % 3 = 0 THEN ''terrible awful broken '' || i
			ELSE ''great lovely works '' || i END AS text FROM range(5000) r(i)')`
	db, err := extension.Open("", extension.WithTaskDirs(dir))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var nLong, nShort, nNull int64
	var want string
	if err := db.QueryRowContext(context.Background(), q).Scan(&nLong, &nShort, &nNull, &want); err != nil {
		t.Fatal(err)
	}
	if nLong == 0 || nShort == 0 || nNull != 295 || nLong+nShort != 5000-295 {
		t.Fatalf("Go binding: %d %q, %d %q, %d NULL rows (want both labels and 295 NULL)", nLong, long, nShort, short, nNull)
	}
	forEachHost(t, func(t *testing.T, k hostKind) {
		h := k.start(t, ":memory:", nil)
		defer closeHost(t, h)
		mustQuery(t, h, "a", "SET duckinfer_models = '"+dir+"'")
		r := mustQuery(t, h, "a", q)
		got := fmt.Sprintf("%s %s %s %s", r.Value(0, 0), r.Value(0, 1), r.Value(0, 2), r.Value(0, 3))
		if exp := fmt.Sprintf("%d %d %d %s", nLong, nShort, nNull, want); got != exp {
			t.Fatalf("extension: %s, Go binding: %s (long rows, short rows, NULL rows, md5 of every row)", got, exp)
		}
	})
}
