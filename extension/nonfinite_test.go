package extension

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/duckinfer/duckinfer/internal/onnxbuild"
)

// NaN, ±Inf and values beyond float32's range have no prediction. Under on_error :=
// 'fail' the query fails naming the column and value; under 'null' the row gets NULL
// predictions and an ml_errors() entry. Never a confident answer.
func TestNonFiniteInputs(t *testing.T) {
	const notFinite = "not a finite float32"
	cases := []struct{ name, value, want string }{
		{"double NaN", `'nan'::DOUBLE`, notFinite},
		{"double +Inf", `'inf'::DOUBLE`, notFinite},
		{"double -Inf", `'-inf'::DOUBLE`, notFinite},
		{"double beyond float32", `1e39::DOUBLE`, notFinite},
		{"float NaN", `'nan'::FLOAT`, notFinite},
		{"float -Inf", `'-inf'::FLOAT`, notFinite},
		{"uhugeint max", `340282366920938463463374607431768211455::UHUGEINT`, notFinite},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			db, _ := open(t)
			exec(t, db, fmt.Sprintf(`CREATE TABLE f AS SELECT i AS id, CASE WHEN i = 3 THEN %s ELSE 5 END AS sepal_length,
				3.5 AS sepal_width, 1.4 AS petal_length, 0.2 AS petal_width FROM range(10) r(i)`, tc.value))
			_, err := db.Exec(`SELECT * FROM ml_predict('iris', 'f')`)
			if err == nil {
				t.Fatal("query succeeded with a non-finite input")
			}
			for _, want := range []string{`task "iris"`, tc.want, "on_error := 'null'"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error lacks %q: %v", want, err)
				}
			}
			exec(t, db, `CREATE TEMP TABLE o AS SELECT * FROM ml_predict('iris', 'f', on_error := 'null')`)
			if n := one[int64](t, db, `SELECT count(*) FROM o WHERE predicted_class IS NULL AND confidence IS NULL`); n != 1 {
				t.Fatalf("%d rows with NULL predictions, want 1", n)
			}
			if n := one[int64](t, db, `SELECT count(*) FROM o WHERE id <> 3 AND predicted_class = 'setosa'`); n != 9 {
				t.Fatalf("%d good rows predicted setosa, want 9", n)
			}
			if n := one[int64](t, db, `SELECT count(*) FROM ml_errors() WHERE task = 'iris' AND error LIKE '%`+tc.want+`%'`); n < 1 {
				t.Fatal("no ml_errors() entry for the non-finite row")
			}
		})
	}
}

// nanTask writes a task whose model outputs NaN for negative x: p = sqrt([x, 1-x]).
func nanTask(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	g := &onnxbuild.Graph{
		Name:         "nanout",
		Inputs:       []*onnxbuild.ValueInfo{onnxbuild.TensorValue("x", onnxbuild.Float, onnxbuild.N, onnxbuild.D(1))},
		Outputs:      []*onnxbuild.ValueInfo{onnxbuild.TensorValue("p", onnxbuild.Float, onnxbuild.N, onnxbuild.D(2))},
		Initializers: []*onnxbuild.Tensor{onnxbuild.FloatTensor("one", []int64{1}, []float32{1})},
		Nodes: []*onnxbuild.Node{
			onnxbuild.NewNode("Sub", []string{"one", "x"}, []string{"y"}),
			onnxbuild.NewNode("Concat", []string{"x", "y"}, []string{"z"}, onnxbuild.AttrInt("axis", 1)),
			onnxbuild.NewNode("Sqrt", []string{"z"}, []string{"p"}),
		},
	}
	b, err := onnxbuild.NewModel(g).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(filepath.Join(dir, "nanout"), 0o755)
	os.WriteFile(filepath.Join(dir, "nanout", "model.onnx"), b, 0o644)
	os.WriteFile(filepath.Join(dir, "nanout", "task.json"), []byte(`{"inputs":[{"name":"x","columns":["x"],"type":"float32"}],"output":"p","labels":["a","b"]}`), 0o644)
	return dir
}

// A model that outputs NaN for a row gives that row no prediction: an error under
// 'fail', NULL plus an ml_errors() entry under 'null'.
func TestModelNaNOutput(t *testing.T) {
	db, _ := open(t, WithTaskDirs(nanTask(t)))
	exec(t, db, `CREATE TABLE xs AS SELECT i AS id, CASE WHEN i = 4 THEN -1.0 ELSE 0.81 END AS x FROM range(20) r(i)`)
	_, err := db.Exec(`SELECT * FROM ml_predict('nanout', 'xs')`)
	if err == nil || !strings.Contains(err.Error(), "NaN") || !strings.Contains(err.Error(), "row 4 of its chunk") {
		t.Fatalf("want an error naming the NaN output and row 4, got %v", err)
	}
	exec(t, db, `CREATE TEMP TABLE o AS SELECT * FROM ml_predict('nanout', 'xs', on_error := 'null')`)
	if n := one[int64](t, db, `SELECT count(*) FROM o WHERE predicted_class IS NULL`); n != 1 {
		t.Fatalf("%d NULL predictions, want 1", n)
	}
	if n := one[int64](t, db, `SELECT count(*) FROM o WHERE id <> 4 AND predicted_class = 'a' AND confidence = '0.900000'`); n != 19 {
		t.Fatalf("%d good rows predicted a with 0.9, want 19", n)
	}
	if n := one[int64](t, db, `SELECT count(*) FROM ml_errors() WHERE task = 'nanout' AND error LIKE '%NaN%'`); n != 1 {
		t.Fatalf("%d ml_errors() entries for the NaN row, want 1", n)
	}
}
