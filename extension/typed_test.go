package extension

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/duckinfer/duckinfer/internal/onnxbuild"
)

// writeTask writes one task folder (model.onnx from g, with any extra opsets such as
// ai.onnx.ml's; task.json) under dir.
func writeTask(t *testing.T, dir, name string, g *onnxbuild.Graph, taskJSON string, opsets ...onnxbuild.OpsetID) {
	t.Helper()
	m := onnxbuild.NewModel(g)
	m.Opsets = append(m.Opsets, opsets...)
	b, err := m.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name, "model.onnx"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name, "task.json"), []byte(taskJSON), 0o644); err != nil {
		t.Fatal(err)
	}
}

// twoClass ends a graph: s ([N, 1] float in [0, 1]) becomes p = [s, 1-s].
func twoClass(s string) []*onnxbuild.Node {
	return []*onnxbuild.Node{
		onnxbuild.NewNode("Sub", []string{"one", s}, []string{"rest"}),
		onnxbuild.NewNode("Concat", []string{s, "rest"}, []string{"p"}, onnxbuild.AttrInt("axis", 1)),
	}
}

var (
	oneF  = onnxbuild.FloatTensor("one", []int64{1}, []float32{1})
	axis1 = onnxbuild.Int64Tensor("axis1", []int64{1}, []int64{1})
	probs = onnxbuild.TensorValue("p", onnxbuild.Float, onnxbuild.N, onnxbuild.D(2))
)

// mixedGraph takes cat int64 [N] and x float32 [N, 3]:
// s = 0.1·(cat − 2^53) + 0.01·Σx, p = [s, 1−s]. cat − 2^53 is computed in int64, so a
// cat of 2^53+1 only gives 0.1 if it reached the model exactly (not through float64).
func mixedGraph() *onnxbuild.Graph {
	return &onnxbuild.Graph{
		Name: "mixed",
		Inputs: []*onnxbuild.ValueInfo{
			onnxbuild.TensorValue("cat", onnxbuild.Int64, onnxbuild.N),
			onnxbuild.TensorValue("x", onnxbuild.Float, onnxbuild.N, onnxbuild.D(3)),
		},
		Outputs: []*onnxbuild.ValueInfo{probs},
		Initializers: []*onnxbuild.Tensor{oneF, axis1,
			onnxbuild.Int64Tensor("base", []int64{1}, []int64{1 << 53}),
			onnxbuild.FloatTensor("tenth", []int64{1}, []float32{0.1}),
			onnxbuild.FloatTensor("hundredth", []int64{1}, []float32{0.01}),
		},
		Nodes: append([]*onnxbuild.Node{
			onnxbuild.NewNode("Sub", []string{"cat", "base"}, []string{"c0"}),
			onnxbuild.NewNode("Cast", []string{"c0"}, []string{"cf"}, onnxbuild.AttrInt("to", int64(onnxbuild.Float))),
			onnxbuild.NewNode("Unsqueeze", []string{"cf", "axis1"}, []string{"c2"}),
			onnxbuild.NewNode("Mul", []string{"c2", "tenth"}, []string{"a"}),
			onnxbuild.NewNode("ReduceSum", []string{"x", "axis1"}, []string{"xs"}, onnxbuild.AttrInt("keepdims", 1)),
			onnxbuild.NewNode("Mul", []string{"xs", "hundredth"}, []string{"b"}),
			onnxbuild.NewNode("Add", []string{"a", "b"}, []string{"s"}),
		}, twoClass("s")...),
	}
}

// doubleGraph takes x float64 [N, 2]: s = x0 − x1 in double precision, p = [s, 1−s].
// With x0 = 1e9 + 0.25 and x1 = 1e9, s is 0.25 only if the input stayed float64.
func doubleGraph() *onnxbuild.Graph {
	return &onnxbuild.Graph{
		Name:         "double",
		Inputs:       []*onnxbuild.ValueInfo{onnxbuild.TensorValue("x", onnxbuild.Double, onnxbuild.N, onnxbuild.D(2))},
		Outputs:      []*onnxbuild.ValueInfo{probs},
		Initializers: []*onnxbuild.Tensor{oneF},
		Nodes: append([]*onnxbuild.Node{
			onnxbuild.NewNode("Split", []string{"x"}, []string{"x0", "x1"}, onnxbuild.AttrInt("axis", 1)),
			onnxbuild.NewNode("Sub", []string{"x0", "x1"}, []string{"d"}),
			onnxbuild.NewNode("Cast", []string{"d"}, []string{"s"}, onnxbuild.AttrInt("to", int64(onnxbuild.Float))),
		}, twoClass("s")...),
	}
}

// int32Graph takes n int32 [N, 1]: s = 0.01·n, p = [s, 1−s].
func int32Graph() *onnxbuild.Graph {
	return &onnxbuild.Graph{
		Name:         "int32",
		Inputs:       []*onnxbuild.ValueInfo{onnxbuild.TensorValue("n", onnxbuild.Int32, onnxbuild.N, onnxbuild.D(1))},
		Outputs:      []*onnxbuild.ValueInfo{probs},
		Initializers: []*onnxbuild.Tensor{oneF, onnxbuild.FloatTensor("hundredth", []int64{1}, []float32{0.01})},
		Nodes: append([]*onnxbuild.Node{
			onnxbuild.NewNode("Cast", []string{"n"}, []string{"nf"}, onnxbuild.AttrInt("to", int64(onnxbuild.Float))),
			onnxbuild.NewNode("Mul", []string{"nf", "hundredth"}, []string{"s"}),
		}, twoClass("s")...),
	}
}

func typedTasks(t *testing.T) string {
	dir := t.TempDir()
	writeTask(t, dir, "mixed", mixedGraph(), `{"inputs":[{"name":"cat","type":"int64","columns":["cat"]},
		{"name":"x","type":"float32","columns":["a","b","c"]}],"output":"p","labels":["yes","no"],"batch_size":3}`)
	writeTask(t, dir, "double", doubleGraph(), `{"inputs":[{"name":"x","type":"float64","columns":["hi","lo"]}],"output":"p","labels":["yes","no"]}`)
	writeTask(t, dir, "int32", int32Graph(), `{"inputs":[{"name":"n","type":"int32","columns":["n"]}],"output":"p","labels":["yes","no"]}`)
	return dir
}

// Several model inputs of different element types, each fed by its own columns; the
// int64 input arrives exactly, from any integer column type.
func TestTypedMultiInput(t *testing.T) {
	db, _ := open(t, WithTaskDirs(typedTasks(t)))
	for _, typ := range []string{"BIGINT", "UBIGINT", "HUGEINT"} {
		t.Run(typ, func(t *testing.T) {
			exec(t, db, `CREATE OR REPLACE TABLE m AS SELECT i AS id, (9007199254740992 + i % 4)::`+typ+` AS cat,
				(i % 5)::FLOAT AS a, 2::INTEGER AS b, 1.5::DECIMAL(4,1) AS c FROM range(1000) r(i)`)
			// s = 0.1·(i%4) + 0.01·(i%5 + 3.5)
			got := one[int64](t, db, `SELECT count(*) FROM ml_predict('mixed', 'm') WHERE
				abs((CASE predicted_class WHEN 'yes' THEN confidence::DOUBLE ELSE 1 - confidence::DOUBLE END)
				    - (0.1 * (id % 4) + 0.01 * (id % 5 + 3.5))) < 2e-6`)
			if got != 1000 {
				t.Fatalf("%d rows with the expected score, want 1000", got)
			}
		})
	}
}

func TestTypedFloat64AndInt32(t *testing.T) {
	db, _ := open(t, WithTaskDirs(typedTasks(t)))
	exec(t, db, `CREATE TABLE d AS SELECT 1e9 + 0.25 AS hi, 1e9::BIGINT AS lo`)
	if got := one[string](t, db, `SELECT predicted_class || ' ' || confidence FROM ml_predict('double', 'd')`); got != "no 0.750000" {
		t.Fatalf("float64 input: got %q, want %q (s = 0.25 needs double precision)", got, "no 0.750000")
	}
	exec(t, db, `CREATE TABLE n AS SELECT * FROM (VALUES (1, 80::TINYINT), (2, 30::BIGINT), (3, 90.0::DOUBLE), (4, 10.00::DECIMAL(6,2))) v(id, n)`)
	got := one[string](t, db, `SELECT string_agg(predicted_class || ' ' || confidence, ', ' ORDER BY id) FROM ml_predict('int32', 'n')`)
	if want := "yes 0.800000, no 0.700000, yes 0.900000, no 0.900000"; got != want {
		t.Fatalf("int32 input: got %q, want %q", got, want)
	}
}

// A value an integer input cannot hold exactly is unusable: one rule with NaN for
// floats, an error under 'fail', NULL plus ml_errors() under 'null'.
func TestTypedIntegerRejects(t *testing.T) {
	cases := []struct{ name, value, want string }{
		{"fraction", `2.5::DOUBLE`, `holds 2.5 at row 3 of its chunk, which is not an int32`},
		{"decimal fraction", `0.01::DECIMAL(4,2)`, `which is not an int32`},
		{"int32 overflow", `3000000000::BIGINT`, `holds 3000000000 at row 3 of its chunk, which is not an int32 (a whole number in -2147483648..2147483647)`},
		{"NaN", `'nan'::DOUBLE`, `which is not an int32`},
		{"hugeint overflow", `(1::HUGEINT << 70)`, `holds 1180591620717411303424 at row 3 of its chunk, which is not an int32`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			db, _ := open(t, WithTaskDirs(typedTasks(t)))
			exec(t, db, `CREATE TABLE n AS SELECT i AS id, CASE WHEN i = 3 THEN `+tc.value+` ELSE 20 END AS n FROM range(10) r(i)`)
			_, err := db.Exec(`SELECT * FROM ml_predict('int32', 'n')`)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "on_error := 'null'") {
				t.Fatalf("want an error with %q, got %v", tc.want, err)
			}
			if n := one[int64](t, db, `SELECT count(*) FROM ml_predict('int32', 'n', on_error := 'null') WHERE predicted_class IS NULL`); n != 1 {
				t.Fatalf("%d NULL predictions, want 1", n)
			}
			if n := one[int64](t, db, `SELECT count(*) FROM ml_errors() WHERE task = 'int32' AND error LIKE '%not an int32%'`); n != 1 {
				t.Fatalf("%d ml_errors() entries, want 1", n)
			}
		})
	}
}

// A task.json that disagrees with the model's declared element type or shape fails at
// bind, naming both sides and the fix.
func TestTypedModelMismatch(t *testing.T) {
	cases := []struct {
		name, task string
		g          *onnxbuild.Graph
		want       []string
	}{
		{"dtype", `{"inputs":[{"name":"cat","type":"float32","columns":["cat"]},{"name":"x","type":"float32","columns":["a","b","c"]}],"output":"p","labels":["y","n"]}`,
			mixedGraph(), []string{`model input "cat" holds int64, but task.json declares type "float32"`, `set "type": "int64"`}},
		{"width", `{"inputs":[{"name":"cat","type":"int64","columns":["cat"]},{"name":"x","type":"float32","columns":["a","b"]}],"output":"p","labels":["y","n"]}`,
			mixedGraph(), []string{`model input "x" takes 3 features (shape [N, 3]), but task.json maps 2 columns`}},
		{"flat", `{"inputs":[{"name":"cat","type":"int64","columns":["cat","a"]},{"name":"x","type":"float32","columns":["b","c","d"]}],"output":"p","labels":["y","n"]}`,
			mixedGraph(), []string{`model input "cat" takes one value per row (shape [N]), but task.json maps 2 columns`}},
		{"double as float", `{"inputs":[{"name":"x","type":"float32","columns":["a","b"]}],"output":"p","labels":["y","n"]}`,
			doubleGraph(), []string{`holds float64, but task.json declares type "float32"`, `set "type": "float64"`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			writeTask(t, dir, "bad", tc.g, tc.task)
			db, _ := open(t, WithTaskDirs(dir))
			exec(t, db, `CREATE TABLE m AS SELECT 1 AS cat, 1.0 AS a, 2.0 AS b, 3.0 AS c, 4.0 AS d`)
			_, err := db.Exec(`SELECT * FROM ml_predict('bad', 'm')`)
			for _, w := range tc.want {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Errorf("want an error with %q, got %v", w, err)
				}
			}
		})
	}
}

// A column of a non-numeric type is an error naming the column.
func TestTypedNonNumericColumn(t *testing.T) {
	db, _ := open(t, WithTaskDirs(typedTasks(t)))
	exec(t, db, `CREATE TABLE n AS SELECT 'x' AS n`)
	_, err := db.Exec(`SELECT * FROM ml_predict('int32', 'n')`)
	if err == nil || !strings.Contains(err.Error(), `column "n" must be numeric, not VARCHAR; cast the column`) {
		t.Fatalf("want an error naming column n, got %v", err)
	}
}

// "scores" says what a classify output holds: the same raw scores through each rule.
func TestClassifyScores(t *testing.T) {
	dir := t.TempDir()
	g := func() *onnxbuild.Graph {
		return &onnxbuild.Graph{
			Name:    "identity",
			Inputs:  []*onnxbuild.ValueInfo{onnxbuild.TensorValue("x", onnxbuild.Float, onnxbuild.N, onnxbuild.D(3))},
			Outputs: []*onnxbuild.ValueInfo{onnxbuild.TensorValue("y", onnxbuild.Float, onnxbuild.N, onnxbuild.D(3))},
			Nodes:   []*onnxbuild.Node{onnxbuild.NewNode("Identity", []string{"x"}, []string{"y"})},
		}
	}
	for _, scores := range []string{"", "probabilities", "logits", "sigmoid"} {
		field := ""
		if scores != "" {
			field = `"scores":"` + scores + `",`
		}
		writeTask(t, dir, "s_"+scores, g(), `{`+field+`"inputs":[{"name":"x","type":"float32","columns":["a","b","c"]}],"output":"y","labels":["A","B","C"]}`)
	}
	db, _ := open(t, WithTaskDirs(dir))
	exec(t, db, `CREATE TABLE s AS SELECT * FROM (VALUES (1, 1.0, 2.0, 3.0), (2, 0.2, 0.5, 0.3), (3, -1.0, -3.0, -2.0)) v(id, a, b, c)`)
	want := map[string]string{
		// Probabilities are taken as they are; scores outside [0, 1] are none, and
		// fail their rows (the first and last).
		"probabilities": "NULL, B 0.500000, NULL",
		"logits":        "C 0.665241, B 0.390694, A 0.665241",
		"sigmoid":       "C 0.952574, B 0.622459, A 0.268941",
	}
	want[""] = want["probabilities"]
	for scores, w := range want {
		t.Run("scores="+scores, func(t *testing.T) {
			got := one[string](t, db, `SELECT string_agg(coalesce(predicted_class || ' ' || confidence, 'NULL'), ', ' ORDER BY id) FROM ml_predict('s_`+scores+`', 's', on_error := 'null')`)
			if got != w {
				t.Fatalf("got %q, want %q", got, w)
			}
		})
	}
}

// Columns reach the model in the task's order (or columns := [...]'s), whatever the
// input's column order: DuckDB unpacks *COLUMNS([...]) in the input's order.
func TestInputColumnOrder(t *testing.T) {
	db, _ := open(t, WithTaskDirs(typedTasks(t)))
	exec(t, db, `CREATE TABLE m AS SELECT i AS id, (9007199254740992 + i % 4)::BIGINT AS cat,
		(i % 5)::FLOAT AS a, 2::INTEGER AS b, 1.5::DECIMAL(4,1) AS c FROM range(100) r(i)`)
	want := one[string](t, db, `SELECT string_agg(predicted_class || confidence, ',' ORDER BY id) FROM ml_predict('mixed', 'm')`)
	for _, q := range []string{
		`SELECT string_agg(predicted_class || confidence, ',' ORDER BY id) FROM ml_predict('mixed', 'SELECT c, b, a, cat, id FROM m')`,
		`SELECT string_agg(predicted_class || confidence, ',' ORDER BY id) FROM ml_predict('mixed', 'SELECT id, a AS "x y", b AS "Q""uote", cat AS k, c FROM m', columns := ['K', 'x y', 'Q"uote', 'c'])`,
	} {
		if got := one[string](t, db, q); got != want {
			t.Errorf("%s:\n got %.80s…\nwant %.80s…", q, got, want)
		}
	}
	// Iris: the same flower with its columns listed in reverse.
	got := one[string](t, db, `SELECT predicted_class FROM ml_predict('iris', 'SELECT 0.2 AS d, 1.4 AS c, 3.5 AS b, 5.1 AS a', columns := ['a', 'b', 'c', 'd'])`)
	rev := one[string](t, db, `SELECT predicted_class FROM ml_predict('iris', 'SELECT 5.1 AS a, 3.5 AS b, 1.4 AS c, 0.2 AS d', columns := ['d', 'c', 'b', 'a'])`)
	if got != "setosa" || rev == "setosa" {
		t.Errorf("iris by name: %s (want setosa); reversed: %s (want another class)", got, rev)
	}
}

// One FLOAT[k]/DOUBLE[k] ARRAY or LIST column feeds a [N, k] input.
func TestArrayColumnInput(t *testing.T) {
	dir := t.TempDir()
	model, err := os.ReadFile(filepath.Join("..", "internal", "models", "tasks", "iris", "model.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(filepath.Join(dir, "iris_arr"), 0o755)
	os.WriteFile(filepath.Join(dir, "iris_arr", "model.onnx"), model, 0o644)
	os.WriteFile(filepath.Join(dir, "iris_arr", "task.json"), []byte(`{"inputs":[{"name":"features","type":"float32","columns":["f"]}],
		"output":"probabilities","labels":["setosa","versicolor","virginica"]}`), 0o644)
	db, _ := open(t, WithTaskDirs(dir))
	want := one[string](t, db, `SELECT string_agg(predicted_class || ' ' || confidence, ', ' ORDER BY id) FROM ml_predict('iris',
		'SELECT * FROM (VALUES (1, 5.1, 3.5, 1.4, 0.2), (2, 6.7, 3.0, 5.2, 2.3), (3, 5.9, 3.0, 4.2, 1.5)) v(id, sepal_length, sepal_width, petal_length, petal_width)')`)
	for _, typ := range []string{"FLOAT[4]", "DOUBLE[4]", "FLOAT[]", "DOUBLE[]"} {
		t.Run(typ, func(t *testing.T) {
			exec(t, db, `CREATE OR REPLACE TABLE a AS SELECT * FROM (VALUES (1, [5.1, 3.5, 1.4, 0.2]::`+typ+`), (2, [6.7, 3.0, 5.2, 2.3]::`+typ+`), (3, [5.9, 3.0, 4.2, 1.5]::`+typ+`), (4, NULL)) v(id, f)`)
			got := one[string](t, db, `SELECT string_agg(coalesce(predicted_class || ' ' || confidence, 'NULL'), ', ' ORDER BY id) FROM ml_predict('iris_arr', 'a')`)
			if got != want+", NULL" {
				t.Fatalf("got %q, want %q", got, want+", NULL")
			}
		})
	}
	for _, tc := range []struct{ name, input, want string }{
		{"ragged", `SELECT * FROM (VALUES (1, [1.0, 2.0, 3.0, 4.0]), (2, [1.0, 2.0, 3.0])) v(id, f)`, `column "f" holds a list of 3 values at row 1 of its chunk, but the model input takes 4 per row`},
		{"width", `SELECT [1.0, 2.0, 3.0]::FLOAT[3] AS f`, `column "f" holds 3 values per row (an ARRAY of 3), but the model input takes 4`},
		{"scalar", `SELECT 1.0 AS f`, `column "f" must be a FLOAT[4] or DOUBLE[4] array (or a list)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := db.Exec(`SELECT * FROM ml_predict('iris_arr', '` + strings.ReplaceAll(tc.input, "'", "''") + `')`)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("want an error with %q, got %v", tc.want, err)
			}
		})
	}
}

// probabilities := true adds every label's probability, by the task's "scores" rule,
// from the same single model run.
func TestProbabilitiesColumn(t *testing.T) {
	dir := t.TempDir()
	writeTask(t, dir, "logits", &onnxbuild.Graph{
		Name:    "identity",
		Inputs:  []*onnxbuild.ValueInfo{onnxbuild.TensorValue("x", onnxbuild.Float, onnxbuild.N, onnxbuild.D(3))},
		Outputs: []*onnxbuild.ValueInfo{onnxbuild.TensorValue("y", onnxbuild.Float, onnxbuild.N, onnxbuild.D(3))},
		Nodes:   []*onnxbuild.Node{onnxbuild.NewNode("Identity", []string{"x"}, []string{"y"})},
	}, `{"scores":"logits","inputs":[{"name":"x","type":"float32","columns":["a","b","c"]}],"output":"y","labels":["A","B","C"]}`)
	db, c := open(t, WithTaskDirs(dir))
	exec(t, db, `CREATE TABLE s AS SELECT i AS id, 1.0 AS a, 2.0 AS b, 3.0 AS c FROM range(100) r(i)`)
	before := c.Stats().RowsInferred
	got := one[string](t, db, `SELECT string_agg(DISTINCT typeof(probabilities) || ' ' || predicted_class || ' ' || confidence || ' ' ||
		round(probabilities['A'], 6) || ' ' || round(probabilities['B'], 6) || ' ' || round(probabilities['C'], 6), '; ')
		FROM ml_predict('logits', 's', probabilities := true)`)
	if want := "MAP(VARCHAR, DOUBLE) C 0.665241 0.090031 0.244728 0.665241"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
	if n := c.Stats().RowsInferred - before; n != 100 {
		t.Fatalf("the model ran on %d rows, want 100 (once per row)", n)
	}
	if got := one[string](t, db, `SELECT coalesce(predicted_class, 'NULL') || ' ' || coalesce(probabilities::VARCHAR, 'NULL') FROM ml_predict('logits', 'SELECT NULL::DOUBLE AS a, 1 AS b, 2 AS c', probabilities := true)`); got != "NULL NULL" {
		t.Fatalf("NULL input: got %q, want NULL NULL", got)
	}
	if n := one[int64](t, db, `SELECT count(*) FROM (DESCRIBE SELECT * FROM ml_predict('logits', 's')) WHERE column_name = 'probabilities'`); n != 0 {
		t.Fatal("probabilities column without probabilities := true")
	}
	if _, err := db.Exec(`SELECT * FROM ml_predict('logits', 's', probabilities := 'yes')`); err == nil || !strings.Contains(err.Error(), "probabilities must be true or false") {
		t.Fatalf("want an error for probabilities := 'yes', got %v", err)
	}
}

// A ZipMap output (skl2onnx's default: a sequence of maps) fails at bind, saying how to
// export without it.
func TestZipMapOutput(t *testing.T) {
	dir := t.TempDir()
	g := &onnxbuild.Graph{
		Name:   "zipmap",
		Inputs: []*onnxbuild.ValueInfo{onnxbuild.TensorValue("x", onnxbuild.Float, onnxbuild.N, onnxbuild.D(2))},
		Outputs: []*onnxbuild.ValueInfo{
			onnxbuild.TensorValue("p", onnxbuild.Float, onnxbuild.N, onnxbuild.D(2)),
			{Name: "zm", ElemType: onnxbuild.Float, SeqMapKey: onnxbuild.Int64},
		},
		Nodes: []*onnxbuild.Node{
			onnxbuild.NewNode("Identity", []string{"x"}, []string{"p"}),
			{OpType: "ZipMap", Domain: "ai.onnx.ml", Inputs: []string{"p"}, Outputs: []string{"zm"}, Attrs: []*onnxbuild.Attribute{onnxbuild.AttrInts("classlabels_int64s", []int64{0, 1})}},
		},
	}
	m := onnxbuild.NewModel(g)
	m.Opsets = append(m.Opsets, onnxbuild.OpsetID{Domain: "ai.onnx.ml", Version: 1})
	b, err := m.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(filepath.Join(dir, "zm"), 0o755)
	os.WriteFile(filepath.Join(dir, "zm", "model.onnx"), b, 0o644)
	os.WriteFile(filepath.Join(dir, "zm", "task.json"), []byte(`{"inputs":[{"name":"x","type":"float32","columns":["a","b"]}],"output":"zm","labels":["n","y"]}`), 0o644)
	db, _ := open(t, WithTaskDirs(dir))
	_, err = db.Exec(`SELECT * FROM ml_predict('zm', 'SELECT 0.3 AS a, 0.7 AS b')`)
	for _, want := range []string{`model output "zm" is a sequence, not a tensor`, "ZipMap", `"zipmap": False`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("want an error with %q, got %v", want, err)
		}
	}
	// The probability tensor beside it works.
	os.WriteFile(filepath.Join(dir, "zm", "task.json"), []byte(`{"inputs":[{"name":"x","type":"float32","columns":["a","b"]}],"output":"p","labels":["n","y"]}`), 0o644)
	if got := one[string](t, db, `SELECT predicted_class || ' ' || confidence FROM ml_predict('zm', 'SELECT 0.3 AS a, 0.7 AS b')`); got != "y 0.700000" {
		t.Fatalf("got %q, want y 0.700000", got)
	}
}
