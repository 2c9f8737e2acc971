package extension

import (
	"context"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/duckinfer/duckinfer/internal/onnxbuild"
)

// regressTasks writes regress tasks: lin (y = 2a + b, [N, 1] float), dsum (float64
// [N, 2] → [N] double, a + b), pair ([N, 2] → [N, 2]: a + b and a − b) and root
// (sqrt(a): NaN for a < 0).
func regressTasks(t *testing.T) string {
	dir := t.TempDir()
	x := onnxbuild.TensorValue("x", onnxbuild.Float, onnxbuild.N, onnxbuild.D(2))
	writeTask(t, dir, "lin", &onnxbuild.Graph{
		Name: "lin", Inputs: []*onnxbuild.ValueInfo{x},
		Outputs:      []*onnxbuild.ValueInfo{onnxbuild.TensorValue("y", onnxbuild.Float, onnxbuild.N, onnxbuild.D(1))},
		Initializers: []*onnxbuild.Tensor{onnxbuild.FloatTensor("w", []int64{2, 1}, []float32{2, 1})},
		Nodes:        []*onnxbuild.Node{onnxbuild.NewNode("MatMul", []string{"x", "w"}, []string{"y"})},
	}, `{"kind":"regress","inputs":[{"name":"x","type":"float32","columns":["a","b"]}],"output":"y"}`)
	writeTask(t, dir, "dsum", &onnxbuild.Graph{
		Name:         "dsum",
		Inputs:       []*onnxbuild.ValueInfo{onnxbuild.TensorValue("x", onnxbuild.Double, onnxbuild.N, onnxbuild.D(2))},
		Outputs:      []*onnxbuild.ValueInfo{onnxbuild.TensorValue("y", onnxbuild.Double, onnxbuild.N)},
		Nodes:        []*onnxbuild.Node{onnxbuild.NewNode("ReduceSum", []string{"x", "axes"}, []string{"y"}, onnxbuild.AttrInt("keepdims", 0))},
		Initializers: []*onnxbuild.Tensor{axis1Named("axes")},
	}, `{"kind":"regress","inputs":[{"name":"x","type":"float64","columns":["a","b"]}],"output":"y"}`)
	writeTask(t, dir, "pair", &onnxbuild.Graph{
		Name: "pair", Inputs: []*onnxbuild.ValueInfo{x},
		Outputs:      []*onnxbuild.ValueInfo{onnxbuild.TensorValue("y", onnxbuild.Float, onnxbuild.N, onnxbuild.D(2))},
		Initializers: []*onnxbuild.Tensor{onnxbuild.FloatTensor("w", []int64{2, 2}, []float32{1, 1, 1, -1})},
		Nodes:        []*onnxbuild.Node{onnxbuild.NewNode("MatMul", []string{"x", "w"}, []string{"y"})},
	}, `{"kind":"regress","inputs":[{"name":"x","type":"float32","columns":["a","b"]}],"output":"y"}`)
	writeTask(t, dir, "root", &onnxbuild.Graph{
		Name:    "root",
		Inputs:  []*onnxbuild.ValueInfo{onnxbuild.TensorValue("x", onnxbuild.Float, onnxbuild.N, onnxbuild.D(1))},
		Outputs: []*onnxbuild.ValueInfo{onnxbuild.TensorValue("y", onnxbuild.Float, onnxbuild.N, onnxbuild.D(1))},
		Nodes:   []*onnxbuild.Node{onnxbuild.NewNode("Sqrt", []string{"x"}, []string{"y"})},
	}, `{"kind":"regress","inputs":[{"name":"x","type":"float32","columns":["a"]}],"output":"y"}`)
	return dir
}

func axis1Named(name string) *onnxbuild.Tensor {
	return onnxbuild.Int64Tensor(name, []int64{1}, []int64{1})
}

// A regress task returns every input column plus prediction: DOUBLE for one value per
// row, DOUBLE[] for several; an input column named prediction is replaced.
func TestRegressThroughMLPredict(t *testing.T) {
	db, c := open(t, WithTaskDirs(regressTasks(t)))
	exec(t, db, `CREATE TABLE r AS SELECT i AS id, i::DOUBLE AS a, 0.5 AS b, 'old' AS prediction FROM range(3000) r(i)`)
	if got := one[string](t, db, `SELECT string_agg(DISTINCT typeof(prediction), ',') FROM ml_predict('lin', 'r')`); got != "DOUBLE" {
		t.Fatalf("prediction type %q, want DOUBLE", got)
	}
	if got := one[string](t, db, `SELECT string_agg(column_name, ',') FROM (DESCRIBE SELECT * FROM ml_predict('lin', 'r'))`); got != "id,a,b,prediction" {
		t.Fatalf("columns %q, want id,a,b,prediction", got)
	}
	if n := one[int64](t, db, `SELECT count(*) FROM ml_predict('lin', 'r') WHERE prediction = 2 * a + b`); n != 3000 {
		t.Fatalf("%d rows with prediction = 2a + b, want 3000", n)
	}
	exec(t, db, `CREATE TABLE d AS SELECT 1e9 + 0.25 AS a, -1e9::DOUBLE AS b`)
	if got := one[float64](t, db, `SELECT prediction FROM ml_predict('dsum', 'd')`); got != 0.25 {
		t.Fatalf("float64 regress: %v, want 0.25", got)
	}
	if got := one[string](t, db, `SELECT typeof(prediction) || ' ' || prediction::VARCHAR FROM ml_predict('pair', 'SELECT 3.0 AS a, 1.0 AS b')`); got != "DOUBLE[] [4.0, 2.0]" {
		t.Fatalf("pair: %q, want DOUBLE[] [4.0, 2.0]", got)
	}
	// count(*) and LIMIT do not run the model over every row.
	before := c.Stats().RowsInferred
	if n := one[int64](t, db, `SELECT count(*) FROM ml_predict('lin', 'r')`); n != 3000 {
		t.Fatalf("count %d", n)
	}
	if n := one[int64](t, db, `SELECT count(*) FROM (FROM ml_predict('lin', 'r') LIMIT 5)`); n != 5 {
		t.Fatalf("limit count %d", n)
	}
	if got := c.Stats().RowsInferred - before; got > 2048 {
		t.Fatalf("count(*) and LIMIT 5 ran the model on %d rows", got)
	}
}

// A NaN output is a row without a prediction: an error under 'fail', NULL and an
// ml_errors() entry under 'null'.
func TestRegressNaN(t *testing.T) {
	db, _ := open(t, WithTaskDirs(regressTasks(t)))
	exec(t, db, `CREATE TABLE n AS SELECT i AS id, CASE WHEN i = 2 THEN -4 ELSE i * i END::DOUBLE AS a FROM range(10) r(i)`)
	_, err := db.Exec(`SELECT * FROM ml_predict('root', 'n')`)
	if err == nil || !strings.Contains(err.Error(), "NaN or infinite") || !strings.Contains(err.Error(), "row 2 of its chunk") {
		t.Fatalf("want an error naming the NaN row, got %v", err)
	}
	if got := one[string](t, db, `SELECT string_agg(coalesce(prediction::VARCHAR, 'NULL'), ',' ORDER BY id) FROM ml_predict('root', 'n', on_error := 'null')`); got != "0.0,1.0,NULL,3.0,4.0,5.0,6.0,7.0,8.0,9.0" {
		t.Fatalf("got %s", got)
	}
	if n := one[int64](t, db, `SELECT count(*) FROM ml_errors() WHERE task = 'root'`); n != 1 {
		t.Fatalf("%d ml_errors() entries, want 1", n)
	}
}

// task.json fields of the wrong kind, and a model output a regress task cannot read,
// fail with the fix.
func TestRegressConfigErrors(t *testing.T) {
	dir := t.TempDir()
	x := onnxbuild.TensorValue("x", onnxbuild.Float, onnxbuild.N, onnxbuild.D(1))
	g := func(out onnxbuild.DataType) *onnxbuild.Graph {
		return &onnxbuild.Graph{Name: "g", Inputs: []*onnxbuild.ValueInfo{x},
			Outputs: []*onnxbuild.ValueInfo{onnxbuild.TensorValue("y", out, onnxbuild.N, onnxbuild.D(1))},
			Nodes:   []*onnxbuild.Node{onnxbuild.NewNode("Cast", []string{"x"}, []string{"y"}, onnxbuild.AttrInt("to", int64(out)))}}
	}
	writeTask(t, dir, "labels", g(onnxbuild.Float), `{"kind":"regress","inputs":[{"name":"x","type":"float32","columns":["a"]}],"output":"y","labels":["a","b"]}`)
	writeTask(t, dir, "intout", g(onnxbuild.Int64), `{"kind":"regress","inputs":[{"name":"x","type":"float32","columns":["a"]}],"output":"y"}`)
	db, _ := open(t, WithTaskDirs(dir))
	for task, want := range map[string]string{
		"labels": `"labels" is for "kind": "classify"`,
		"intout": `model output "y" holds int64; a regress task reads float32 or float64 values`,
	} {
		_, err := db.Exec(`SELECT * FROM ml_predict('` + task + `', 'SELECT 1.0 AS a')`)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: want %q, got %v", task, want, err)
		}
	}
}

// PredictValues returns a FixedSizeList when the model gives several values per row.
func TestPredictValuesList(t *testing.T) {
	_, c := open(t, WithTaskDirs(regressTasks(t)))
	mem := memory.NewGoAllocator()
	b := array.NewRecordBuilder(mem, arrow.NewSchema([]arrow.Field{
		{Name: "a", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		{Name: "b", Type: arrow.PrimitiveTypes.Float64},
	}, nil))
	defer b.Release()
	b.Field(0).(*array.Float64Builder).AppendValues([]float64{3, 0}, []bool{true, false})
	b.Field(1).(*array.Float64Builder).AppendValues([]float64{1, 5}, nil)
	rec := b.NewRecordBatch()
	defer rec.Release()
	pred, err := c.PredictValues(context.Background(), "pair", rec, RecordOptions{}, mem)
	if err != nil {
		t.Fatal(err)
	}
	defer pred.Release()
	if got := pred.String(); got != "[[4 2] (null)]" {
		t.Fatalf("got %s, want [[4 2] (null)]", got)
	}
}
