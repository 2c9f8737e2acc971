package extension

import (
	"strings"
	"testing"

	"github.com/duckinfer/duckinfer/internal/onnxbuild"
)

// Pins a defect: under on_error := 'null', ml_errors() listed a row whose value its
// model input cannot hold (NaN into a float32 input) with an empty input column.
func TestErrorsInputOfRejectedValue(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		dt   onnxbuild.DataType
	}{{"float32", onnxbuild.Float}, {"int64", onnxbuild.Int64}} {
		writeTask(t, dir, "echo_"+tc.name, &onnxbuild.Graph{
			Name:    "echo",
			Inputs:  []*onnxbuild.ValueInfo{onnxbuild.TensorValue("x", tc.dt, onnxbuild.N)},
			Outputs: []*onnxbuild.ValueInfo{onnxbuild.TensorValue("y", onnxbuild.Double, onnxbuild.N)},
			Nodes:   []*onnxbuild.Node{onnxbuild.NewNode("Cast", []string{"x"}, []string{"y"}, onnxbuild.AttrInt("to", int64(onnxbuild.Double)))},
		}, `{"kind":"regress","inputs":[{"name":"x","type":"`+tc.name+`","columns":["v"]}],"output":"y"}`)
	}
	db, _ := open(t, WithTaskDirs(dir))
	for task, value := range map[string]string{"echo_float32": `''nan''::DOUBLE`, "echo_int64": `2.5`} {
		exec(t, db, `CREATE OR REPLACE TABLE o AS SELECT * FROM ml_predict('`+task+`', 'SELECT `+value+` AS v', on_error := 'null')`)
	}
	for task, want := range map[string]string{"echo_float32": `"NaN"`, "echo_int64": `"2.5"`} {
		if got := one[string](t, db, `SELECT coalesce(input, 'NULL') FROM ml_errors() WHERE task = '`+task+`'`); got != want {
			t.Errorf("%s: ml_errors() input %q, want %q", task, got, want)
		}
	}
}

// Pins a defect: a failing row of a task with several model inputs was named by its
// first input alone, in the error and in ml_errors().
func TestErrorsInputOfEveryModelInput(t *testing.T) {
	dir := t.TempDir()
	writeTask(t, dir, "ratio", &onnxbuild.Graph{
		Name: "ratio",
		Inputs: []*onnxbuild.ValueInfo{
			onnxbuild.TensorValue("num", onnxbuild.Float, onnxbuild.N),
			onnxbuild.TensorValue("den", onnxbuild.Float, onnxbuild.N),
		},
		Outputs: []*onnxbuild.ValueInfo{onnxbuild.TensorValue("q", onnxbuild.Float, onnxbuild.N)},
		Nodes:   []*onnxbuild.Node{onnxbuild.NewNode("Div", []string{"num", "den"}, []string{"q"})},
	}, `{"kind":"regress","inputs":[{"name":"num","type":"float32","columns":["a"]},{"name":"den","type":"float32","columns":["b"]}],"output":"q"}`)
	db, _ := open(t, WithTaskDirs(dir))
	const want = `num="[7]", den="[0]"` // 7/0 = +Inf: the row fails
	_, err := db.Exec(`SELECT * FROM ml_predict('ratio', 'SELECT 7.0 AS a, 0.0 AS b')`)
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("want an error naming the row's input %s, got %v", want, err)
	}
	exec(t, db, `CREATE TABLE o AS SELECT * FROM ml_predict('ratio', 'SELECT 7.0 AS a, 0.0 AS b', on_error := 'null')`)
	if got := one[string](t, db, `SELECT coalesce(input, 'NULL') FROM ml_errors() WHERE task = 'ratio'`); got != want {
		t.Fatalf("ml_errors() input %q, want %q", got, want)
	}
}
