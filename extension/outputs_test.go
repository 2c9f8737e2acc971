package extension

import (
	"strings"
	"testing"

	"github.com/duckinfer/duckinfer/internal/onnxbuild"
)

// outputTask writes a task over x float32 [N, 2] whose model computes y by nodes (nil:
// Identity) and declares it with shape (nil: rank unknown); task is the rest of
// task.json.
func outputTask(t *testing.T, dir, name string, shape []onnxbuild.Dim, nodes []*onnxbuild.Node, task string) {
	t.Helper()
	if nodes == nil {
		nodes = []*onnxbuild.Node{onnxbuild.NewNode("Identity", []string{"x"}, []string{"y"})}
	}
	writeTask(t, dir, name, &onnxbuild.Graph{
		Name:    "outputs",
		Inputs:  []*onnxbuild.ValueInfo{onnxbuild.TensorValue("x", onnxbuild.Float, onnxbuild.N, onnxbuild.D(2))},
		Outputs: []*onnxbuild.ValueInfo{{Name: "y", ElemType: onnxbuild.Float, Shape: shape}},
		Nodes:   nodes,
	}, `{"inputs":[{"name":"x","type":"float32","columns":["c0","c1"]}],"output":"y",`+task+`}`)
}

// Under the default "scores": "probabilities", a model whose scores are not
// probabilities (raw logits, with "scores" left out) fails the row: 2.5 would otherwise
// read as certainty, "A 1.000000", beside probabilities := true's {A=2.5, B=-1.0}.
// on_error := 'null' gives NULL; real probabilities and a softmax's rounding past 1
// still get answers.
func TestProbabilitiesOutOfRange(t *testing.T) {
	dir := t.TempDir()
	outputTask(t, dir, "p", []onnxbuild.Dim{onnxbuild.N, onnxbuild.D(2)}, nil, `"labels":["A","B"]`)
	db, _ := open(t, WithTaskDirs(dir))
	q := func(a, b, onError string) (string, error) {
		var s string
		err := db.QueryRow(`SELECT coalesce(predicted_class || ' ' || confidence || ' ' || probabilities::VARCHAR, 'NULL')
			FROM ml_predict('p', 'SELECT ` + a + `::FLOAT AS c0, ` + b + `::FLOAT AS c1', probabilities := true, on_error := '` + onError + `')`).Scan(&s)
		return s, err
	}
	for _, ok := range [][2]string{{"0.3", "0.7"}, {"1.0000001", "0"}} {
		if got, err := q(ok[0], ok[1], "fail"); err != nil || strings.HasPrefix(got, "NULL") {
			t.Errorf("scores (%s, %s): got %q, %v; want an answer", ok[0], ok[1], got, err)
		}
	}
	for _, bad := range [][2]string{{"2.5", "-1.0"}, {"-0.3", "-0.2"}, {"7", "3"}} {
		got, err := q(bad[0], bad[1], "fail")
		if err == nil || !strings.Contains(err.Error(), `"scores": "logits"`) {
			t.Errorf("scores (%s, %s) under the default \"probabilities\": got %q, %v; want the row to fail, suggesting \"scores\": \"logits\"", bad[0], bad[1], got, err)
		}
		if got, err := q(bad[0], bad[1], "null"); got != "NULL" {
			t.Errorf("scores (%s, %s), on_error := 'null': got %q, %v; want NULL", bad[0], bad[1], got, err)
		}
	}
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM ml_errors() WHERE error LIKE '%not a probability in [0, 1]%'`).Scan(&n); err != nil || n == 0 {
		t.Errorf("ml_errors(): %d entries saying the scores are no probabilities, %v; want some", n, err)
	}
}

// An output whose first dimension is a fixed number greater than 1 while the model's
// batch is open ([2, N] here: a transposed [N, 2]) cannot hold one row per input row;
// a batch of exactly 2 rows would read the transposed scores as rows (classify "B
// 0.100000; A 1.000000" for rows scored (0, 1) and (0.1, 0.9), regress values swapped
// between rows). The bind refuses it, naming the output's shape. (A first dimension of
// 1 is an input-only dynamic_axes export, which works: TestClassifyOutputDeclaredOneRow.)
func TestOutputFixedFirstDim(t *testing.T) {
	dir := t.TempDir()
	tr := []*onnxbuild.Node{onnxbuild.NewNode("Transpose", []string{"x"}, []string{"y"})}
	shape := []onnxbuild.Dim{onnxbuild.D(2), onnxbuild.N}
	outputTask(t, dir, "c", shape, tr, `"labels":["A","B"]`)
	outputTask(t, dir, "r", shape, tr, `"kind":"regress"`)
	db, _ := open(t, WithTaskDirs(dir))
	rows := `SELECT (i*0.1)::FLOAT AS c0, (1-i*0.1)::FLOAT AS c1 FROM range(2) r(i)`
	for _, tc := range []struct{ task, value, right string }{
		{"c", `predicted_class || ' ' || confidence`, "B 1.000000; B 0.900000"},
		{"r", `prediction::VARCHAR`, "[0.0, 1.0]; [0.10000000149011612, 0.8999999761581421]"},
	} {
		var got string
		err := db.QueryRow(`SELECT string_agg(` + tc.value + `, '; ') FROM ml_predict('` + tc.task + `', '` + rows + `')`).Scan(&got)
		if err == nil || !strings.Contains(err.Error(), `"y" has shape [2 -1]`) || !strings.Contains(err.Error(), "batch dimension dynamic") {
			t.Errorf("task %q (output declared [2, N], the transposed scores): got %q, %v; want an error at bind naming the output's shape (the right answer would be %q)", tc.task, got, err, tc.right)
		}
	}
}

// A PyTorch export with dynamic_axes on its input only declares its output [1, C]
// although it computes [N, C]. ONNX Runtime runs it (it only warns): a regress task and
// a classify task over it read every row. (Classify failed every batch of more than
// one row, "Got invalid dimensions for output: y ... Got: 3 Expected: 1", when it
// handed ORT its own [rows, C] output tensor, which ORT checks against the declared
// shape.)
func TestClassifyOutputDeclaredOneRow(t *testing.T) {
	dir := t.TempDir()
	one := []onnxbuild.Dim{onnxbuild.D(1), onnxbuild.D(2)}
	outputTask(t, dir, "c", one, nil, `"labels":["A","B"]`)
	outputTask(t, dir, "r", one, nil, `"kind":"regress"`)
	db, _ := open(t, WithTaskDirs(dir))
	rows := `SELECT (i*0.1)::FLOAT AS c0, (1-i*0.1)::FLOAT AS c1 FROM range(3) r(i)`
	for _, tc := range []struct{ task, value, want string }{
		{"r", `prediction::VARCHAR`, "[0.0, 1.0]; [0.10000000149011612, 0.8999999761581421]; [0.20000000298023224, 0.800000011920929]"},
		{"c", `predicted_class || ' ' || confidence`, "B 1.000000; B 0.900000; B 0.800000"},
	} {
		var got string
		err := db.QueryRow(`SELECT string_agg(` + tc.value + `, '; ') FROM ml_predict('` + tc.task + `', '` + rows + `')`).Scan(&got)
		if err != nil || got != tc.want {
			t.Errorf("task %q (output declared [1, 2], computed [3, 2]): got %q, %v; want %q", tc.task, got, err, tc.want)
		}
	}
}
