package extension

import (
	"strings"
	"testing"

	"github.com/duckinfer/duckinfer/internal/onnxbuild"
)

// fixedBatchTask writes a regress task whose model input has a fixed first dimension
// of rows (a PyTorch export without dynamic_axes): y = 2a + b.
func fixedBatchTask(t *testing.T, rows int64) string {
	dir := t.TempDir()
	writeTask(t, dir, "fixed", &onnxbuild.Graph{
		Name:         "fixed",
		Inputs:       []*onnxbuild.ValueInfo{onnxbuild.TensorValue("x", onnxbuild.Float, onnxbuild.D(rows), onnxbuild.D(2))},
		Outputs:      []*onnxbuild.ValueInfo{onnxbuild.TensorValue("y", onnxbuild.Float, onnxbuild.D(rows), onnxbuild.D(1))},
		Initializers: []*onnxbuild.Tensor{onnxbuild.FloatTensor("w", []int64{2, 1}, []float32{2, 1})},
		Nodes:        []*onnxbuild.Node{onnxbuild.NewNode("MatMul", []string{"x", "w"}, []string{"y"})},
	}, `{"kind":"regress","inputs":[{"name":"x","type":"float32","columns":["a","b"]}],"output":"y"}`)
	return dir
}

// Pins: a model whose input fixes the batch at one row ([1, 2]) passed bind, then
// every batch of more than one row failed in ONNX Runtime, blaming a row. It runs one
// row at a time; one fixed at more rows is refused at bind, saying how to re-export.
func TestFixedBatchModel(t *testing.T) {
	db, _ := open(t, WithTaskDirs(fixedBatchTask(t, 1)))
	var n, wrong int
	if err := db.QueryRow(`SELECT count(*), count(*) FILTER (WHERE prediction <> 2 * a + b)
		FROM ml_predict('fixed', 'SELECT i::FLOAT AS a, (i % 7)::FLOAT AS b FROM range(3000) t(i)')`).Scan(&n, &wrong); err != nil {
		t.Fatalf("a model fixed at one row per batch: %v", err)
	}
	if n != 3000 || wrong != 0 {
		t.Fatalf("%d rows, %d wrong predictions; want 3000 rows, all 2a + b", n, wrong)
	}

	db4, _ := open(t, WithTaskDirs(fixedBatchTask(t, 4)))
	_, err := db4.Exec(`SELECT * FROM ml_predict('fixed', 'SELECT 1::FLOAT AS a, 2::FLOAT AS b')`)
	if err == nil || !strings.Contains(err.Error(), "fixed batch of 4 rows") || !strings.Contains(err.Error(), "dynamic_axes") {
		t.Fatalf("a model fixed at 4 rows per batch: got %v, want a bind error naming the fixed batch and dynamic_axes", err)
	}
}
