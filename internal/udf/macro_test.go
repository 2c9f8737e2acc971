package udf

import (
	"database/sql"
	"testing"

	_ "github.com/duckdb/duckdb-go/v2"

	"github.com/duckinfer/duckinfer/internal/models"
)

// The packed result is written by Go (packResult) and cut by SQL (unpackSQL, which the
// macro uses): a round trip through real DuckDB gives back the label and the confidence
// text, for any label (multi-byte, quotes, spaces).
func TestPackedResultRoundTrip(t *testing.T) {
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	label, confidence := unpackSQL("?")
	q := "SELECT " + label + ", " + confidence
	for _, c := range []struct {
		label string
		p     float32
	}{
		{"positive", 0.998123}, {"négatif 😀", 0.5}, {"it's a \"label\"", 1}, {"x", 0}, {"汉字 mit Leerzeichen", 0.1234565},
	} {
		packed := string(packResult(nil, c.label, c.p))
		var gotLabel, gotConf string
		if err := db.QueryRow(q, packed, packed).Scan(&gotLabel, &gotConf); err != nil {
			t.Fatal(err)
		}
		if want := string(models.AppendConfidence(nil, c.p)); gotLabel != c.label || gotConf != want {
			t.Errorf("%q, %v: SQL cut %q into %q and %q; want %q and %q", c.label, c.p, packed, gotLabel, gotConf, c.label, want)
		}
	}
}
