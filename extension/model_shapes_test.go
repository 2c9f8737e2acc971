package extension

// Model output shapes the decoders must read, or refuse clearly: an output of
// undeclared rank, a scalar (one-row batch of a squeezed model), a single-label score
// head of shape [N], and 'cls' pooling over an embedder that pools itself.

import (
	"os"
	osexec "os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/duckinfer/duckinfer/internal/onnxbuild"
)

// A regress model whose output declares no shape (rank unknown, as exporters leave
// an output whose shape inference gave up) but gives two values per row: the
// prediction must carry both values (or the query must fail), never silently the
// first one only.
// Pins: an undeclared-rank regress output read as one value per row kept only the first.
func TestRegressUnknownRankOutput(t *testing.T) {
	dir := t.TempDir()
	writeTask(t, dir, "pair_norank", &onnxbuild.Graph{
		Name:         "pair_norank",
		Inputs:       []*onnxbuild.ValueInfo{onnxbuild.TensorValue("x", onnxbuild.Float, onnxbuild.N, onnxbuild.D(2))},
		Outputs:      []*onnxbuild.ValueInfo{{Name: "y", ElemType: onnxbuild.Float}}, // Shape nil: rank unknown
		Initializers: []*onnxbuild.Tensor{onnxbuild.FloatTensor("w", []int64{2, 2}, []float32{1, 1, 1, -1})},
		// PyTorch's y.squeeze(): Squeeze without axes, whose output rank shape
		// inference cannot know ([N, 2] stays [N, 2] for N > 1).
		Nodes: []*onnxbuild.Node{onnxbuild.NewNode("MatMul", []string{"x", "w"}, []string{"m"}), onnxbuild.NewNode("Squeeze", []string{"m"}, []string{"y"})},
	}, `{"kind":"regress","inputs":[{"name":"x","type":"float32","columns":["a","b"]}],"output":"y"}`)
	db, _ := open(t, WithTaskDirs(dir))
	var got string
	err := db.QueryRow(`SELECT DISTINCT typeof(prediction) || ' ' || prediction::VARCHAR FROM ml_predict('pair_norank', 'SELECT 3.0::FLOAT AS a, 1.0::FLOAT AS b FROM range(3)')`).Scan(&got)
	if err == nil && got != "DOUBLE[] [4.0, 2.0]" {
		t.Fatalf("a [N, 2] output of undeclared shape gave %q; want DOUBLE[] [4.0, 2.0] (or an error), not its first value alone", got)
	}
	t.Logf("got %q, err %v", got, err)
}

// squeezedTask writes "squeezed": y = 2a + b through [N, 1] and PyTorch's .squeeze()
// (Squeeze without axes: shape inference cannot tell the output's rank, and a batch of
// one row comes back as a scalar).
func squeezedTask(t *testing.T) string {
	dir := t.TempDir()
	writeTask(t, dir, "squeezed", &onnxbuild.Graph{
		Name:         "squeezed",
		Inputs:       []*onnxbuild.ValueInfo{onnxbuild.TensorValue("x", onnxbuild.Float, onnxbuild.N, onnxbuild.D(2))},
		Outputs:      []*onnxbuild.ValueInfo{{Name: "y", ElemType: onnxbuild.Float}},
		Initializers: []*onnxbuild.Tensor{onnxbuild.FloatTensor("w", []int64{2, 1}, []float32{2, 1})},
		Nodes:        []*onnxbuild.Node{onnxbuild.NewNode("MatMul", []string{"x", "w"}, []string{"m"}), onnxbuild.NewNode("Squeeze", []string{"m"}, []string{"y"})},
	}, `{"kind":"regress","inputs":[{"name":"x","type":"float32","columns":["a","b"]}],"output":"y"}`)
	return dir
}

// inChild runs the test body in a child test process (a panic there would kill
// the whole test binary) and fails, with its output, when the child fails.
func inChild(t *testing.T, body func(t *testing.T)) {
	if os.Getenv("DUCKINFER_CHILD_TEST") == t.Name() {
		body(t)
		return
	}
	cmd := osexec.Command(os.Args[0], "-test.run=^"+t.Name()+"$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), "DUCKINFER_CHILD_TEST="+t.Name())
	out, err := cmd.CombinedOutput()
	if err != nil {
		lines := strings.Split(string(out), "\n")
		t.Fatalf("child: %v\n%s", err, strings.Join(lines[:min(len(lines), 12)], "\n"))
	}
}

// A model output that comes back as a scalar (here: the one-row batch of a squeezed
// regressor) must give an error or a value, never a nil-pointer panic that takes the
// host process down.
// Pins: a scalar output made Predict destroy a typed-nil tensor (nil-pointer panic).
func TestScalarOutputNoPanic(t *testing.T) {
	inChild(t, func(t *testing.T) {
		db, _ := open(t, WithTaskDirs(squeezedTask(t)))
		var v float64
		err := db.QueryRow(`SELECT prediction FROM ml_predict('squeezed', 'SELECT 3::FLOAT AS a, 1::FLOAT AS b')`).Scan(&v)
		t.Logf("%v %v", v, err)
	})
}

// The squeezed regressor gives one value per row for every batch; its one-row batch
// (a scalar) is still that row's value: 257 rows (batch 256 + 1) are all predicted, as
// 256 are.
// Pins: a one-row batch of a squeezed regressor (shape []) failed its batch.
func TestSqueezedRegressorOneRowBatch(t *testing.T) {
	inChild(t, func(t *testing.T) {
		db, _ := open(t, WithTaskDirs(squeezedTask(t)))
		exec(t, db, `CREATE TABLE r AS SELECT i::FLOAT AS a, 1::FLOAT AS b FROM range(257) t(i)`)
		var n int64
		if err := db.QueryRow(`SELECT count(*) FROM ml_predict('squeezed', 'SELECT * FROM r LIMIT 256') WHERE prediction = 2 * a + b`).Scan(&n); err != nil || n != 256 {
			t.Fatalf("256 rows: %d right, %v", n, err)
		}
		if err := db.QueryRow(`SELECT count(*) FROM ml_predict('squeezed', 'r') WHERE prediction = 2 * a + b`).Scan(&n); err != nil || n != 257 {
			t.Fatalf("257 rows: %d right, %v", n, err)
		}
	})
}

// A single-label classifier (a score head) whose output is [N] rather than [N, 1]:
// README requires [N, 1]; a model of another shape is a task-definition error and
// should fail at bind, naming the shape, or work. It must not fail per row with a
// message blaming the rows.
// Pins: a classify output of rank other than 2 passed the bind check.
func TestSingleLabelFlatOutput(t *testing.T) {
	dir := t.TempDir()
	writeTask(t, dir, "flatscore", &onnxbuild.Graph{
		Name:         "flatscore",
		Inputs:       []*onnxbuild.ValueInfo{onnxbuild.TensorValue("x", onnxbuild.Float, onnxbuild.N, onnxbuild.D(1))},
		Outputs:      []*onnxbuild.ValueInfo{onnxbuild.TensorValue("y", onnxbuild.Float, onnxbuild.N)},
		Initializers: []*onnxbuild.Tensor{axis1Named("axes")},
		Nodes:        []*onnxbuild.Node{onnxbuild.NewNode("Squeeze", []string{"x", "axes"}, []string{"y"})},
	}, `{"inputs":[{"name":"x","type":"float32","columns":["a"]}],"output":"y","labels":["relevant"],"scores":"sigmoid"}`)
	db, _ := open(t, WithTaskDirs(dir))
	var cls string
	err := db.QueryRow(`SELECT predicted_class FROM ml_predict('flatscore', 'SELECT 2.0::FLOAT AS a FROM range(3)') LIMIT 1`).Scan(&cls)
	t.Logf("%q %v", cls, err)
	if err != nil && !strings.Contains(err.Error(), "[N, 1]") && !strings.Contains(err.Error(), "shape [N]") {
		t.Fatalf("an [N] score output: %v", err)
	}
}

// An embedder whose model already pools (sentence_embedding [N, d], as
// sentence-transformers exports): ml_embed's pooling := 'cls' cannot be honoured, and
// should say so rather than return the model's own (mean) pooling as if it were the
// first token's vector.
// Pins: pooling := 'cls' over an already pooled output was silently ignored.
func TestClsPoolingOverSentenceVectors(t *testing.T) {
	dir := t.TempDir()
	folder := copyHFFolder(t, "bert_embed", dir, "pooled")
	g := &onnxbuild.Graph{
		Name: "pooled",
		Nodes: []*onnxbuild.Node{
			onnxbuild.NewNode("Cast", []string{"input_ids"}, []string{"x"}, onnxbuild.AttrInt("to", int64(onnxbuild.Float))),
			onnxbuild.NewNode("ReduceMean", []string{"x"}, []string{"m"}, onnxbuild.AttrInts("axes", []int64{1}), onnxbuild.AttrInt("keepdims", 1)),
			onnxbuild.NewNode("ReduceMax", []string{"x"}, []string{"mx"}, onnxbuild.AttrInts("axes", []int64{1}), onnxbuild.AttrInt("keepdims", 1)),
			onnxbuild.NewNode("Concat", []string{"m", "mx"}, []string{"sentence_embedding"}, onnxbuild.AttrInt("axis", 1)),
		},
		Inputs:  []*onnxbuild.ValueInfo{onnxbuild.TensorValue("input_ids", onnxbuild.Int64, onnxbuild.N, onnxbuild.Sym("S"))},
		Outputs: []*onnxbuild.ValueInfo{onnxbuild.TensorValue("sentence_embedding", onnxbuild.Float, onnxbuild.N, onnxbuild.D(2))},
	}
	b, err := onnxbuild.NewModel(g).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(folder, "onnx", "model.onnx"), b, 0o644)
	db, _ := open(t, WithTaskDirs(dir))
	var mean, cls string
	if err := db.QueryRow(`SELECT embedding::VARCHAR FROM ml_embed('pooled', 'SELECT ''the food was good'' AS text', normalize := false)`).Scan(&mean); err != nil {
		t.Fatal(err)
	}
	err = db.QueryRow(`SELECT embedding::VARCHAR FROM ml_embed('pooled', 'SELECT ''the food was good'' AS text', normalize := false, pooling := 'cls')`).Scan(&cls)
	if err == nil && cls == mean {
		t.Fatalf("pooling := 'cls' over a model that pools itself returned its pooled vector %s unchanged, without a word", cls)
	}
	t.Logf("pooling := 'cls': %v", err)
	// The same through task.json's "pooling": the task fails at bind.
	if err := os.WriteFile(filepath.Join(folder, "task.json"), []byte(`{"kind": "embed", "pooling": "cls"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	db2, _ := open(t, WithTaskDirs(dir))
	err = db2.QueryRow(`SELECT embedding::VARCHAR FROM ml_embed('pooled', 'SELECT ''the food was good'' AS text', normalize := false)`).Scan(&cls)
	if err == nil || !strings.Contains(err.Error(), "token_embeddings") {
		t.Fatalf(`task.json "pooling": "cls" over a model that pools itself: %q, %v; want an error pointing at "output": "token_embeddings"`, cls, err)
	}
	t.Logf(`"pooling": "cls": %v`, err)
}

// A classifier exported with PyTorch's .squeeze() on its [N, 2] scores: shape
// inference cannot tell the output's rank, and a batch of one row comes back as [2].
// Its one-row batch is still that row's scores: all 257 rows of a 256 + 1 table are
// classified, as 256 are.
// Pins: the squeezed classifier's one-row batch failed (a [1, 2] tensor was bound for
// ORT to write a [2] output into).
func TestSqueezedClassifierOneRowBatch(t *testing.T) {
	dir := t.TempDir()
	writeTask(t, dir, "sq_cls", &onnxbuild.Graph{
		Name:         "sq_cls",
		Inputs:       []*onnxbuild.ValueInfo{onnxbuild.TensorValue("x", onnxbuild.Float, onnxbuild.N, onnxbuild.D(2))},
		Outputs:      []*onnxbuild.ValueInfo{{Name: "y", ElemType: onnxbuild.Float}}, // rank unknown
		Initializers: []*onnxbuild.Tensor{onnxbuild.FloatTensor("w", []int64{2, 2}, []float32{1, 0, 0, 1})},
		Nodes:        []*onnxbuild.Node{onnxbuild.NewNode("MatMul", []string{"x", "w"}, []string{"m"}), onnxbuild.NewNode("Squeeze", []string{"m"}, []string{"y"})},
	}, `{"inputs":[{"name":"x","type":"float32","columns":["a","b"]}],"output":"y","labels":["lo","hi"],"scores":"logits"}`)
	db, _ := open(t, WithTaskDirs(dir))
	// Row i scores (a, b) = (i % 2, 1 - i % 2): "hi" for odd rows, "lo" for even ones.
	exec(t, db, `CREATE TABLE r AS SELECT i, (i % 2)::FLOAT AS b, (1 - i % 2)::FLOAT AS a FROM range(257) t(i)`)
	for _, q := range []string{`SELECT * FROM r LIMIT 256`, `r`, `SELECT * FROM r LIMIT 1`} {
		var n, right int64
		err := db.QueryRow(`SELECT count(*), count(*) FILTER (predicted_class = CASE WHEN i % 2 = 1 THEN 'hi' ELSE 'lo' END) FROM ml_predict('sq_cls', '`+strings.ReplaceAll(q, "'", "''")+`')`).Scan(&n, &right)
		if err != nil || right != n || n == 0 {
			t.Fatalf("%s: %d of %d rows right, %v", q, right, n, err)
		}
	}
}

// A single-score head exported with .squeeze() and no declared rank: [N] for a batch
// of several rows, a scalar for one. Every row's score is read, the 257th (a batch of
// its own) too.
// Pins: such a model failed every batch ("shape [256], want [256 1]"), blaming a row.
func TestSqueezedSingleScoreClassifier(t *testing.T) {
	inChild(t, func(t *testing.T) {
		dir := t.TempDir()
		writeTask(t, dir, "sq_score", &onnxbuild.Graph{
			Name:    "sq_score",
			Inputs:  []*onnxbuild.ValueInfo{onnxbuild.TensorValue("x", onnxbuild.Float, onnxbuild.N, onnxbuild.D(1))},
			Outputs: []*onnxbuild.ValueInfo{{Name: "y", ElemType: onnxbuild.Float}}, // rank unknown
			Nodes:   []*onnxbuild.Node{onnxbuild.NewNode("Squeeze", []string{"x"}, []string{"y"})},
		}, `{"inputs":[{"name":"x","type":"float32","columns":["a"]}],"output":"y","labels":["relevant"],"scores":"sigmoid"}`)
		db, _ := open(t, WithTaskDirs(dir))
		exec(t, db, `CREATE TABLE r AS SELECT ((i % 7) - 3)::FLOAT AS a FROM range(257) t(i)`)
		for _, q := range []string{`r`, `SELECT * FROM r LIMIT 1`} {
			var n, right int64
			err := db.QueryRow(`SELECT count(*), count(*) FILTER (predicted_class = 'relevant' AND abs(confidence::DOUBLE - 1 / (1 + exp(-a))) < 1e-5) FROM ml_predict('sq_score', '`+strings.ReplaceAll(q, "'", "''")+`')`).Scan(&n, &right)
			if err != nil || right != n || n == 0 {
				t.Fatalf("%s: %d of %d rows right, %v", q, right, n, err)
			}
		}
	})
}
