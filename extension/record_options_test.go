package extension

import (
	"context"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Pins: RecordOptions{MaxLength: -1} was silently dropped (Predict ran with the task's
// own length) where SQL refuses max_length := -1.
func TestRecordNegativeMaxLength(t *testing.T) {
	db, c := open(t, WithTaskDirs(hfDir))
	const task = "bert_sentiment" // tokenizes text, so max_length applies
	if _, err := db.Exec(`SELECT * FROM ml_predict('` + task + `', 'SELECT ''good'' AS text', max_length := -1)`); err == nil || !strings.Contains(err.Error(), "max_length -1") {
		t.Fatalf("SQL max_length := -1: %v, want it refused", err)
	}
	mem := memory.NewGoAllocator()
	sb := array.NewStringBuilder(mem)
	sb.AppendValues([]string{"good"}, nil)
	texts := sb.NewArray()
	defer texts.Release()
	rec := array.NewRecordBatch(arrow.NewSchema([]arrow.Field{{Name: "text", Type: arrow.BinaryTypes.String}}, nil), []arrow.Array{texts}, 1)
	defer rec.Release()
	out, err := c.Predict(context.Background(), task, rec, RecordOptions{MaxLength: -1}, mem)
	if err == nil {
		out.Release()
		t.Fatal("Predict accepted RecordOptions{MaxLength: -1} and ran")
	}
	if !strings.Contains(err.Error(), "max_length -1") {
		t.Fatalf("Predict with RecordOptions{MaxLength: -1}: %v, want SQL's refusal of max_length -1", err)
	}
}
