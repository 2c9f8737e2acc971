package extension

import (
	"strings"
	"testing"
)

// Pins: columns := [' '] was refused as "not a string".
// A column whose name is white space is a column DuckDB keeps and ml_predict passes
// through; naming it in columns := [...] must feed it to the model, not fail with
// "columns[1] is " "; columns := [...] takes column names as strings".
func TestBlankColumnNameInColumns(t *testing.T) {
	db, _ := open(t, WithTaskDirs(regressTasks(t)))
	got := one[float64](t, db, `SELECT prediction FROM ml_predict('lin', 'SELECT 1.0 AS " ", 10.0 AS b', columns := [' ', 'b'])`)
	if got != 12 {
		t.Fatalf("prediction %v, want 12 (2 * 1 + 10)", got)
	}
}

// Pins: ml_embed's error said "an output of ml_predict".
// ml_embed's errors name ml_embed: the check that some input column is left to pass
// through said "named like an output of ml_predict" to a user who called ml_embed.
func TestEmbedOutputNameErrorNamesEmbed(t *testing.T) {
	db, _ := open(t, WithTaskDirs("../testdata/hf/models"))
	var s any
	err := db.QueryRow(`SELECT embedding FROM ml_embed('bert_embed', 'SELECT ''hi'' AS embedding', columns := ['embedding'])`).Scan(&s)
	if err == nil || !strings.Contains(err.Error(), "named like an output") || strings.Contains(err.Error(), "output of ml_predict") {
		t.Fatalf("got %v\nwant an error about the column named like an output of ml_embed", err)
	}
}
