package hosttest

import (
	"slices"
	"strconv"
	"strings"
	"testing"
)

// Pins a defect: an input of more than a vector's worth of columns (2,101 here) reaches
// ml_keep_column in two chunks; the last, shorter one was taken for the whole list, so
// the task's column "was missing" from an input that has it. Every input column passes
// through, in order, before the predictions.
func TestWideInputKeepsTaskColumn(t *testing.T) {
	forEachHost(t, func(t *testing.T, k hostKind) {
		h := k.start(t, ":memory:", nil)
		defer closeHost(t, h)
		cols := make([]string, 2100)
		names := make([]string, len(cols))
		for j := range cols {
			cols[j] = "i + " + strconv.Itoa(j) + " AS c" + strconv.Itoa(j)
			names[j] = "c" + strconv.Itoa(j)
		}
		outputs := []string{"predicted_class", "confidence"}
		for _, c := range []struct {
			what, sel string
			want      []string
		}{
			{"text first", "''I loved it'' AS text, " + strings.Join(cols, ", "), slices.Concat([]string{"text"}, names, outputs)},
			{"text last", strings.Join(cols, ", ") + ", ''I loved it'' AS text", slices.Concat(names, []string{"text"}, outputs)},
		} {
			r, err := h.Query("a", "SELECT * FROM ml_predict('sentiment', 'SELECT "+c.sel+" FROM range(3) t(i)') ORDER BY c0")
			if err != nil {
				t.Fatal(err)
			}
			if !r.OK {
				t.Fatalf("%s: a 2,101-column input with a text column: %.200s", c.what, r.Error)
			}
			if !slices.Equal(r.Columns, c.want) {
				t.Errorf("%s: %d columns %.200v, want %d %.200v", c.what, len(r.Columns), r.Columns, len(c.want), c.want)
				continue
			}
			if len(r.Rows) != 3 {
				t.Fatalf("%s: %d rows, want 3", c.what, len(r.Rows))
			}
			for row := range 3 {
				for j, name := range r.Columns {
					want := ""
					switch {
					case name == "text":
						want = "I loved it"
					case name == "predicted_class":
						want = "positive"
					case name == "confidence":
						continue
					default:
						n, _ := strconv.Atoi(name[1:])
						want = strconv.Itoa(row + n)
					}
					if got := r.Value(row, j); got != want {
						t.Errorf("%s: row %d column %s = %q, want %q", c.what, row, name, got, want)
					}
				}
			}
		}
		// A wide input that lacks the task's column still gets ml_predict's message.
		r, err := h.Query("a", "SELECT predicted_class FROM ml_predict('sentiment', 'SELECT "+strings.Join(cols, ", ")+" FROM range(3) t(i)')")
		if err != nil {
			t.Fatal(err)
		}
		if r.OK || !strings.Contains(r.Error, `task "sentiment" reads column "text", but the input has no such column`) {
			t.Errorf("a wide input without text: ok %v, %.300s", r.OK, r.Error)
		}
	})
}
