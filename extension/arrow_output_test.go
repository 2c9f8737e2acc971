package extension

import (
	"context"
	"math"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Pins: a batch with no result (all NULL, no rows, every row failed) got prediction
// fixed_size_list<1> from a task whose model declares 2 values per row.
func TestPredictRegressWidthWithoutResults(t *testing.T) {
	_, c := open(t, WithTaskDirs(regressTasks(t)))
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	want := arrow.FixedSizeListOf(2, arrow.PrimitiveTypes.Float64)
	for _, tc := range []struct {
		name  string
		a     []float64
		valid []bool
	}{
		{"all-null", []float64{0, 0}, []bool{false, false}},
		{"zero-rows", nil, nil},
		{"all-failed", []float64{math.NaN(), math.Inf(1)}, nil},
		{"some-results", []float64{3, math.NaN()}, nil},
	} {
		b := array.NewRecordBuilder(mem, arrow.NewSchema([]arrow.Field{
			{Name: "a", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
			{Name: "b", Type: arrow.PrimitiveTypes.Float64},
		}, nil))
		b.Field(0).(*array.Float64Builder).AppendValues(tc.a, tc.valid)
		b.Field(1).(*array.Float64Builder).AppendValues(make([]float64, len(tc.a)), nil)
		rec := b.NewRecordBatch()
		b.Release()
		opts := RecordOptions{OnError: "null"}
		out, err := c.Predict(context.Background(), "pair", rec, opts, mem)
		if err != nil {
			t.Fatal(err)
		}
		if typ := out.Schema().Field(2).Type; !arrow.TypeEqual(typ, want) {
			t.Errorf("%s: Predict's prediction type %s, want %s as for any other batch of this task", tc.name, typ, want)
		}
		out.Release()
		vals, err := c.PredictValues(context.Background(), "pair", rec, opts, mem)
		if err != nil {
			t.Fatal(err)
		}
		if typ := vals.DataType(); !arrow.TypeEqual(typ, want) {
			t.Errorf("%s: PredictValues's type %s, want %s", tc.name, typ, want)
		}
		vals.Release()
		rec.Release()
	}
}

// Pins: PredictRecord and PredictValues ran the model on every row of a task of another
// kind before refusing it, and each sent an embed task to the other, which refuses it too.
func TestPredictShortcutsRefuseOtherKindsFirst(t *testing.T) {
	_, c := open(t, WithTaskDirs(hfDir), WithTaskDirs(regressTasks(t)))
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	texts := stringsRecord(mem, []string{"hello world"}, nil)
	defer texts.Release()
	b := array.NewRecordBuilder(mem, arrow.NewSchema([]arrow.Field{{Name: "a", Type: arrow.PrimitiveTypes.Float64}, {Name: "b", Type: arrow.PrimitiveTypes.Float64}}, nil))
	b.Field(0).(*array.Float64Builder).Append(1)
	b.Field(1).(*array.Float64Builder).Append(2)
	nums := b.NewRecordBatch()
	b.Release()
	defer nums.Release()

	_, _, err := c.PredictRecord(context.Background(), "bert_embed", texts, RecordOptions{}, mem)
	if err == nil || !strings.Contains(err.Error(), `task "bert_embed" is an embed task, but PredictRecord takes only classify tasks; use Predict,`) {
		t.Errorf("PredictRecord on an embed task: %v", err)
	}
	_, err = c.PredictValues(context.Background(), "bert_embed", texts, RecordOptions{}, mem)
	if err == nil || !strings.Contains(err.Error(), `task "bert_embed" is an embed task, but PredictValues takes only regress tasks; use Predict,`) {
		t.Errorf("PredictValues on an embed task: %v", err)
	}
	_, err = c.PredictValues(context.Background(), "sentiment", texts, RecordOptions{}, mem)
	if err == nil || !strings.Contains(err.Error(), `is a classify task, but PredictValues takes only regress tasks; use PredictRecord or Predict,`) {
		t.Errorf("PredictValues on a classify task: %v", err)
	}
	_, _, err = c.PredictRecord(context.Background(), "pair", nums, RecordOptions{}, mem)
	if err == nil || !strings.Contains(err.Error(), `is a regress task, but PredictRecord takes only classify tasks; use PredictValues or Predict,`) {
		t.Errorf("PredictRecord on a regress task: %v", err)
	}
	if n := c.Stats().RowsInferred; n != 0 {
		t.Errorf("the refused calls ran the model on %d rows first", n)
	}
}

// Pins: Predict dropped the input record's schema metadata.
func TestPredictKeepsSchemaMetadata(t *testing.T) {
	_, c := open(t)
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	rec := stringsRecord(mem, []string{"great product"}, nil)
	md := arrow.NewMetadata([]string{"source"}, []string{"events.parquet"})
	withMD := array.NewRecordBatch(arrow.NewSchema(rec.Schema().Fields(), &md), rec.Columns(), rec.NumRows())
	rec.Release()
	defer withMD.Release()
	out, err := c.Predict(context.Background(), "sentiment", withMD, RecordOptions{}, mem)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Release()
	if v, ok := out.Schema().Metadata().GetValue("source"); !ok || v != "events.parquet" {
		t.Fatalf("schema metadata %v, want the input's %v", out.Schema().Metadata(), md)
	}
}
