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
	if !strings.Contains(err.Error(), "MaxLength -1 is out of range") {
		t.Fatalf("Predict with RecordOptions{MaxLength: -1}: %v, want SQL's refusal of max_length -1, naming RecordOptions.MaxLength", err)
	}
}

// Pins: Predict's argument errors started "ml_predict:" and named SQL options
// (columns := [...], batch_size) the Go caller never wrote; they name the method and
// the RecordOptions field. And RecordOptions.Columns naming one column twice was
// accepted, where SQL's columns := [...] refuses it.
func TestPredictErrorsNameRecordOptions(t *testing.T) {
	_, c := open(t, WithTaskDirs(hfDir), WithTaskDirs(regressTasks(t)))
	mem := memory.NewGoAllocator()
	rec := stringsRecord(mem, []string{"fine"}, nil)
	defer rec.Release()
	ab := array.NewFloat64Builder(mem)
	ab.AppendValues([]float64{1, 2}, nil)
	a := ab.NewArray()
	ab.Release()
	nums := array.NewRecordBatch(arrow.NewSchema([]arrow.Field{{Name: "a", Type: arrow.PrimitiveTypes.Float64}}, nil), []arrow.Array{a}, 2)
	a.Release()
	defer nums.Release()
	for _, tc := range []struct {
		name, task string
		opts       RecordOptions
		rec        arrow.RecordBatch
		want       string
	}{
		{"missing column", "sentiment", RecordOptions{Columns: []string{"body"}}, rec, "with RecordOptions.Columns, in the order"},
		{"column count", "sentiment", RecordOptions{Columns: []string{"id", "text"}}, rec, "but RecordOptions.Columns [id, text] names 2"},
		{"batch size", "sentiment", RecordOptions{BatchSize: -1}, rec, "RecordOptions.BatchSize -1 is out of range"},
		{"max length", "bert_sentiment", RecordOptions{MaxLength: 100000}, rec, "RecordOptions.MaxLength 100000 is more than"},
		{"on error", "sentiment", RecordOptions{OnError: "skip"}, rec, `RecordOptions.OnError "skip" is not one of`},
		{"pooling", "sentiment", RecordOptions{Pooling: "mean"}, rec, "RecordOptions.Pooling is for embed tasks"},
		{"column twice", "lin", RecordOptions{Columns: []string{"a", "A"}}, nums, `RecordOptions.Columns names "A" twice`},
	} {
		out, err := c.Predict(context.Background(), tc.task, tc.rec, tc.opts, mem)
		if err == nil {
			out.Release()
			t.Errorf("%s: no error", tc.name)
			continue
		}
		if msg := err.Error(); !strings.Contains(msg, tc.want) || !strings.HasPrefix(msg, "extension: Predict: ") || strings.Contains(msg, ":= ") {
			t.Errorf("%s: %v\nwant it to start with \"extension: Predict: \", contain %q and no SQL (:=)", tc.name, err, tc.want)
		}
	}
}
