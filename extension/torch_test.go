package extension

import (
	"context"
	"encoding/csv"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// torchDir holds models exported by torch.onnx.export (testdata/torch/gen.py) with
// PyTorch's own outputs in expected.csv.
var torchDir = filepath.Join("..", "testdata", "torch")

// Every fixture row gets PyTorch's label, and its confidence within 1e-5 relative
// (plus the 6-decimal rounding of confidence).
func TestTorchFixturesSQL(t *testing.T) {
	db, _ := open(t, WithTaskDirs(torchDir))
	inputs := map[string]string{
		"torch_mixed":  "e",
		"torch_double": "e",
		"torch_array":  "SELECT * REPLACE (features::FLOAT[4] AS features) FROM e", // the CSV holds text
	}
	for task, input := range inputs {
		t.Run(task, func(t *testing.T) {
			exec(t, db, `CREATE OR REPLACE TABLE e AS FROM read_csv('`+filepath.Join(torchDir, task, "expected.csv")+`')`)
			total := one[int64](t, db, `SELECT count(*) FROM e`)
			good := one[int64](t, db, `SELECT count(*) FROM ml_predict('`+task+`', '`+input+`')
				WHERE predicted_class = expected_class
				  AND abs(confidence::DOUBLE - expected_confidence) <= 1e-5 * expected_confidence + 5e-7`)
			if total != 64 || good != total {
				t.Fatalf("%d of %d rows match PyTorch", good, total)
			}
		})
	}
}

// The Go API gives the same answers from an Arrow record.
func TestTorchFixturesPredictRecord(t *testing.T) {
	_, c := open(t, WithTaskDirs(torchDir))
	f, err := os.Open(filepath.Join(torchDir, "torch_mixed", "expected.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	recs = recs[1:] // id,category,m1,m2,m3,expected_class,expected_confidence
	mem := memory.NewGoAllocator()
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "category", Type: arrow.PrimitiveTypes.Int64},
		{Name: "m1", Type: arrow.PrimitiveTypes.Float32},
		{Name: "m2", Type: arrow.PrimitiveTypes.Float64},
		{Name: "m3", Type: arrow.PrimitiveTypes.Float64},
	}, nil)
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	num := func(s string) float64 {
		x, err := strconv.ParseFloat(s, 64)
		if err != nil {
			t.Fatal(err)
		}
		return x
	}
	for _, r := range recs {
		b.Field(0).(*array.Int64Builder).Append(int64(num(r[1])))
		b.Field(1).(*array.Float32Builder).Append(float32(num(r[2])))
		b.Field(2).(*array.Float64Builder).Append(num(r[3]))
		b.Field(3).(*array.Float64Builder).Append(num(r[4]))
	}
	rec := b.NewRecordBatch()
	defer rec.Release()
	classes, confs, err := c.PredictRecord(context.Background(), "torch_mixed", rec, RecordOptions{}, mem)
	if err != nil {
		t.Fatal(err)
	}
	defer classes.Release()
	defer confs.Release()
	for i, r := range recs {
		got, want := num(confs.(*array.String).Value(i)), num(r[6])
		if cl := classes.(*array.String).Value(i); cl != r[5] || math.Abs(got-want) > 1e-5*want+5e-7 {
			t.Errorf("row %d: got %s %v, PyTorch %s %v", i, cl, got, r[5], want)
		}
	}
}

// The MLP regressor's predictions match PyTorch's within 1e-5 relative.
func TestTorchRegressorSQL(t *testing.T) {
	db, _ := open(t, WithTaskDirs(torchDir))
	exec(t, db, `CREATE TABLE e AS FROM read_csv('`+filepath.Join(torchDir, "torch_regress", "expected.csv")+`')`)
	good := one[int64](t, db, `SELECT count(*) FROM ml_predict('torch_regress', 'e')
		WHERE abs(prediction - expected_prediction) <= 1e-5 * abs(expected_prediction) + 1e-7`)
	if good != 64 {
		t.Fatalf("%d of 64 predictions match PyTorch", good)
	}
}

// The Go API gives the regressor's predictions too (PredictValues).
func TestTorchRegressorPredictValues(t *testing.T) {
	_, c := open(t, WithTaskDirs(torchDir))
	f, err := os.Open(filepath.Join(torchDir, "torch_regress", "expected.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	recs = recs[1:] // id,x1,x2,x3,expected_prediction
	mem := memory.NewGoAllocator()
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "x1", Type: arrow.PrimitiveTypes.Float64},
		{Name: "x2", Type: arrow.PrimitiveTypes.Float64},
		{Name: "x3", Type: arrow.PrimitiveTypes.Float64},
	}, nil)
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	vals := make([][]float64, len(recs))
	for r, rec := range recs {
		for j := range 4 {
			x, err := strconv.ParseFloat(rec[j+1], 64)
			if err != nil {
				t.Fatal(err)
			}
			vals[r] = append(vals[r], x)
			if j < 3 {
				b.Field(j).(*array.Float64Builder).Append(x)
			}
		}
	}
	rec := b.NewRecordBatch()
	defer rec.Release()
	if _, _, err := c.PredictRecord(context.Background(), "torch_regress", rec, RecordOptions{}, mem); err == nil || !strings.Contains(err.Error(), "use PredictValues") {
		t.Fatalf("PredictRecord on a regress task: want an error pointing to PredictValues, got %v", err)
	}
	pred, err := c.PredictValues(context.Background(), "torch_regress", rec, RecordOptions{}, mem)
	if err != nil {
		t.Fatal(err)
	}
	defer pred.Release()
	for r, v := range vals {
		got, want := pred.(*array.Float64).Value(r), v[3]
		if math.Abs(got-want) > 1e-5*math.Abs(want)+1e-7 {
			t.Errorf("row %d: got %v, PyTorch %v", r, got, want)
		}
	}
}
