package extension

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// Pins a defect: an input of more than 2,048 columns reaches ml_keep_column in two
// calls (a vector of names each), and the shorter last one was taken for the whole
// list, so the task's column "was missing" from an input that has it.
func TestWideInputKeepsEveryColumn(t *testing.T) {
	db, _ := open(t)
	cols := make([]string, 2100)
	names := make([]string, len(cols))
	for k := range cols {
		cols[k] = fmt.Sprintf("i + %d AS c%d", k, k)
		names[k] = fmt.Sprintf("c%d", k)
	}
	outputs := []string{"predicted_class", "confidence"}
	for _, c := range []struct {
		what, sel string
		want      []string
	}{
		{"text first", "''I loved it'' AS text, " + strings.Join(cols, ", "), slices.Concat([]string{"text"}, names, outputs)},
		{"text last", strings.Join(cols, ", ") + ", ''I loved it'' AS text", slices.Concat(names, []string{"text"}, outputs)},
	} {
		rows, err := db.Query("SELECT * FROM ml_predict('sentiment', 'SELECT " + c.sel + " FROM range(3) t(i)') ORDER BY c0")
		if err != nil {
			t.Fatalf("%s: %.300v", c.what, err)
		}
		got, err := rows.Columns()
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("%s: %d columns %.200v, want %d %.200v", c.what, len(got), got, len(c.want), c.want)
		}
		vals := make([]any, len(got))
		ptrs := make([]any, len(got))
		for k := range vals {
			ptrs[k] = &vals[k]
		}
		n := 0
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			for k, name := range got {
				var want any
				switch {
				case name == "text":
					want = "I loved it"
				case name == "predicted_class":
					want = "positive"
				case strings.HasPrefix(name, "c") && name != "confidence":
					var j int64
					fmt.Sscanf(name, "c%d", &j)
					want = int64(n) + j
				default:
					continue
				}
				if vals[k] != want {
					t.Errorf("%s: row %d column %s = %v, want %v", c.what, n, name, vals[k], want)
				}
			}
			n++
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		rows.Close()
		if n != 3 {
			t.Errorf("%s: %d rows, want 3", c.what, n)
		}
	}
	// A wide input that lacks the task's column still gets ml_predict's message.
	var s string
	err := db.QueryRow("SELECT predicted_class FROM ml_predict('sentiment', 'SELECT " + strings.Join(cols, ", ") + " FROM range(3) t(i)')").Scan(&s)
	if err == nil || !strings.Contains(err.Error(), `task "sentiment" reads column "text", but the input has no such column`) {
		t.Errorf("a wide input without text: %.300v", err)
	}
}
