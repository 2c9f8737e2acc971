package extension

import (
	"testing"
)

// A prepared statement's parameter as ml_predict's task, input or option, or as
// ml_embed's input, is not known at PREPARE: DuckDB binds the statement again at each
// execution with the values, so every execution may name another task or input. This
// must keep working whatever ml_predict checks of its arguments at bind (a column of
// another table is refused, a parameter is not). database/sql's Prepare, as Go
// programs use it; SQL PREPARE/EXECUTE is sql/shapes.test.
func TestPreparedParameterArguments(t *testing.T) {
	db, _ := open(t, WithTaskDirs(hfDir))
	exec(t, db, `CREATE TABLE events AS SELECT * FROM (VALUES (1, 'I loved it'), (2, 'terrible, awful'), (3, 'great')) t(id, text)`)
	st, err := db.Prepare(`SELECT count(predicted_class) FROM ml_predict(?, ?, batch_size := ?) WHERE id <= ?`)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for _, c := range []struct {
		args []any
		want int64
	}{
		{[]any{"sentiment", "events", 2, 1}, 1},
		{[]any{"sentiment", "SELECT * FROM events WHERE id > 1", 8, 3}, 2},
		{[]any{"bert_sentiment", "events", 1, 3}, 3},
	} {
		var n int64
		if err := st.QueryRow(c.args...).Scan(&n); err != nil {
			t.Fatalf("%v: %v", c.args, err)
		}
		if n != c.want {
			t.Errorf("%v: %d predictions, want %d", c.args, n, c.want)
		}
	}
	em, err := db.Prepare(`SELECT count(embedding) FROM ml_embed('bert_embed', ?)`)
	if err != nil {
		t.Fatal(err)
	}
	defer em.Close()
	for _, in := range []string{"events", "SELECT text FROM events WHERE id = 2"} {
		var n int64
		if err := em.QueryRow(in).Scan(&n); err != nil || n == 0 {
			t.Errorf("ml_embed with input %q: %d embeddings, %v", in, n, err)
		}
	}
}
