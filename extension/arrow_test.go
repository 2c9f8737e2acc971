package extension

import (
	"context"
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
