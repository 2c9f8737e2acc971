package extension

import (
	"context"
	"database/sql"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

func TestPredictRecord(t *testing.T) {
	db, c := open(t)
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	sb := array.NewStringBuilder(mem)
	sb.AppendValues([]string{"great product, love it", "", "terrible and slow"}, []bool{true, false, true})
	texts := sb.NewArray()
	sb.Release()
	ib := array.NewInt64Builder(mem)
	ib.AppendValues([]int64{1, 2, 3}, nil)
	ids := ib.NewArray()
	ib.Release()
	schema := arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.PrimitiveTypes.Int64}, {Name: "body", Type: arrow.BinaryTypes.String, Nullable: true}}, nil)
	rec := array.NewRecordBatch(schema, []arrow.Array{ids, texts}, 3)
	texts.Release()
	ids.Release()
	defer rec.Release()

	cls, conf, err := c.PredictRecord(context.Background(), "sentiment", rec, RecordOptions{Columns: []string{"body"}, BatchSize: 2}, mem)
	if err != nil {
		t.Fatal(err)
	}
	defer cls.Release()
	defer conf.Release()
	cs, fs := cls.(*array.String), conf.(*array.String)
	if cs.Len() != 3 || cs.Value(0) != "positive" || !cs.IsNull(1) || cs.Value(2) != "negative" || !fs.IsNull(1) {
		t.Fatalf("got %v / %v", cls, conf)
	}
	// The same core as SQL: the same label and the same confidence text.
	var sqlConf string
	if err := db.QueryRow(`SELECT confidence FROM ml_predict('sentiment', 'SELECT ''great product, love it'' AS text')`).Scan(&sqlConf); err != nil {
		t.Fatal(err)
	}
	if fs.Value(0) != sqlConf {
		t.Fatalf("Arrow confidence %q, SQL %q", fs.Value(0), sqlConf)
	}

	// A record without the task's column says which column is missing.
	if _, _, err := c.PredictRecord(context.Background(), "sentiment", rec, RecordOptions{}, mem); err == nil || !strings.Contains(err.Error(), `reads column "text", but the input has no such column (its columns: id, body)`) {
		t.Fatalf("missing column: %v", err)
	}
}

// Predict returns what ml_predict returns for the same rows: the input columns, then the
// task's output columns with the same names and values; an input column with an
// output's name is replaced.
func TestPredictMatchesSQL(t *testing.T) {
	db, c := open(t)
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	texts := []string{"great product, love it", "", "terrible and slow", "it is fine I guess"}
	valid := []bool{true, false, true, true}
	sb := array.NewStringBuilder(mem)
	sb.AppendValues(texts, valid)
	tx := sb.NewArray()
	sb.AppendValues([]string{"old", "old", "old", "old"}, nil)
	stale := sb.NewArray()
	sb.Release()
	ib := array.NewInt64Builder(mem)
	ib.AppendValues([]int64{1, 2, 3, 4}, nil)
	ids := ib.NewArray()
	ib.Release()
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64},
		{Name: "Predicted_Class", Type: arrow.BinaryTypes.String}, // replaced, as in SQL
		{Name: "text", Type: arrow.BinaryTypes.String, Nullable: true},
	}, nil)
	rec := array.NewRecordBatch(schema, []arrow.Array{ids, stale, tx}, 4)
	tx.Release()
	stale.Release()
	ids.Release()
	defer rec.Release()

	out, err := c.Predict(context.Background(), "sentiment", rec, RecordOptions{}, mem)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Release()

	exec(t, db, `CREATE TABLE r AS SELECT * FROM (VALUES (1, 'old', 'great product, love it'), (2, 'old', NULL), (3, 'old', 'terrible and slow'), (4, 'old', 'it is fine I guess')) v(id, "Predicted_Class", text)`)
	rows, err := db.Query(`SELECT * FROM ml_predict('sentiment', 'r') ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	names, _ := rows.Columns()
	var got []string
	for _, f := range out.Schema().Fields() {
		got = append(got, f.Name)
	}
	if strings.Join(got, ",") != strings.Join(names, ",") || strings.Join(got, ",") != "id,text,predicted_class,confidence" {
		t.Fatalf("Predict's columns %v, ml_predict's %v", got, names)
	}
	for r := 0; rows.Next(); r++ {
		var id int64
		var text, class, conf sql.NullString
		if err := rows.Scan(&id, &text, &class, &conf); err != nil {
			t.Fatal(err)
		}
		cell := func(col int) sql.NullString {
			a := out.Column(col).(*array.String)
			return sql.NullString{String: a.Value(r), Valid: a.IsValid(r)}
		}
		if out.Column(0).(*array.Int64).Value(r) != id || cell(1) != text || cell(2) != class || cell(3) != conf {
			t.Fatalf("row %d: Predict %v %v %v %v, ml_predict %v %v %v %v", r, out.Column(0).(*array.Int64).Value(r), cell(1), cell(2), cell(3), id, text, class, conf)
		}
	}
	if l := out.Column(2).(*array.String); l.Value(0) != "positive" || !l.IsNull(1) || l.Value(2) != "negative" {
		t.Fatalf("predicted_class %v", l)
	}
}
