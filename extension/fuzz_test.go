package extension

import (
	"fmt"
	"strings"
	"testing"
)

// FuzzArguments: whatever a user types as ml_predict's arguments, the query either
// succeeds with every row or fails with an ml_predict/DuckDB error — it never crashes
// the process (duckdb-go aborts on some folded arguments; the macro must not let them
// through) and never returns a short result.
func FuzzArguments(f *testing.F) {
	for _, s := range [][4]string{
		{"sentiment", "256", "cpu", "fail"}, {"", "", "", ""}, {"sentmient", "x", "cuda", "null"},
		{"iris", "-1", "auto", "NULL"}, {"sentiment", "99999999999999999999", "tpu", "'"}, {"noop", "1", "CPU", " null "},
	} {
		f.Add(s[0], s[1], s[2], s[3])
	}
	db, _ := open(f)
	exec(f, db, `CREATE TABLE t AS SELECT i AS id, 'text ' || i AS text FROM range(3000) r(i)`)
	quote := func(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
	f.Fuzz(func(t *testing.T, task, batch, device, onError string) {
		if strings.ContainsRune(task+batch+device+onError, 0) {
			t.Skip("SQL string literals cannot hold NUL")
		}
		q := fmt.Sprintf(`SELECT count(*), count(predicted_class) FROM ml_predict(%s, 't', batch_size := %s, device := %s, on_error := %s)`,
			quote(task), quote(batch), quote(device), quote(onError))
		var n, pred int64
		err := db.QueryRow(q).Scan(&n, &pred)
		if err != nil {
			if !strings.Contains(err.Error(), "Error") {
				t.Fatalf("%s: unexpected error form %v", q, err)
			}
			return
		}
		if n != 3000 || pred != 3000 {
			t.Fatalf("%s: %d rows, %d predictions", q, n, pred)
		}
	})
}
