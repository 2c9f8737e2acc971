package models

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	ort "github.com/yalue/onnxruntime_go"

	"github.com/duckinfer/duckinfer/internal/onnxbuild"
)

// Under "scores": "probabilities" (the default) a score outside [0, 1] is no
// probability (most likely a logit in a task that left out "scores"): its row fails,
// as a NaN's does, with a message naming the value and "scores": "logits"; a
// softmax's rounding just past 1 still counts.
func TestClassifyProbabilityRange(t *testing.T) {
	shippedSession(t, "iris") // initialises ONNX Runtime for ort.NewTensor
	d := classifyOutput{}.NewData(&Config{Labels: []string{"A", "B"}, Scores: ScoresProbabilities}).(*ClassData)
	rows := [][2]float32{{0.3, 0.7}, {1.0000001, 0}, {1.0078125, -0.0005}, {2.5, -1}, {-0.3, -0.2}, {7, 3}}
	var flat []float32
	for _, r := range rows {
		flat = append(flat, r[0], r[1])
	}
	d.Reset(len(rows))
	v, err := ort.NewTensor(ort.NewShape(int64(len(rows)), 2), flat)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Destroy()
	if err := d.Decode(v, 0, len(rows)); err != nil {
		t.Fatal(err)
	}
	if !d.AnyRowError() {
		t.Error("AnyRowError is false; rows 3 to 5 have none")
	}
	for i, r := range rows {
		err := d.RowError(i)
		if i < 3 {
			if err != nil {
				t.Errorf("scores %v: row error %v, want an answer", r, err)
			}
			continue
		}
		if err == nil {
			t.Errorf("scores %v: class %d, confidence %s, no row error; want one (no probabilities)", r, d.Class[i], AppendConfidence(nil, d.Confidence[i]))
			continue
		}
		for _, w := range []string{"not a probability in [0, 1]", `"scores": "logits"`} {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("scores %v: row error %q, want it to say %q", r, err, w)
			}
		}
	}
	if err := d.RowError(3); err == nil || !strings.Contains(err.Error(), `label "A" in this row is 2.5`) {
		t.Errorf("scores [2.5 -1]: row error %v, want it to name label A's 2.5", err)
	}
}

// A model output whose first dimension is a fixed number (here [2, N], a transposed
// [N, 2]) while the model's inputs leave the batch open cannot give one row per input
// row, and a batch of exactly 2 rows would read it transposed: Check refuses it,
// naming the output's shape and the fix.
func TestCheckOutputFixedFirstDim(t *testing.T) {
	dir := t.TempDir()
	g := &onnxbuild.Graph{
		Name:    "tr",
		Inputs:  []*onnxbuild.ValueInfo{onnxbuild.TensorValue("x", onnxbuild.Float, onnxbuild.N, onnxbuild.D(2))},
		Outputs: []*onnxbuild.ValueInfo{onnxbuild.TensorValue("y", onnxbuild.Float, onnxbuild.D(2), onnxbuild.N)},
		Nodes:   []*onnxbuild.Node{onnxbuild.NewNode("Transpose", []string{"x"}, []string{"y"})},
	}
	b, err := onnxbuild.NewModel(g).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	in := `"inputs":[{"name":"x","type":"float32","columns":["a","b"]}],"output":"y"`
	for name, rest := range map[string]string{"cls": `"labels":["A","B"]`, "reg": `"kind":"regress"`} {
		os.MkdirAll(filepath.Join(dir, name), 0o755)
		os.WriteFile(filepath.Join(dir, name, "model.onnx"), b, 0o644)
		os.WriteFile(filepath.Join(dir, name, "task.json"), []byte(`{`+in+`,`+rest+`}`), 0o644)
	}
	reg, err := NewRegistry(dir)
	if err != nil {
		t.Fatal(err)
	}
	pool := NewPool(FlavorCPU)
	defer pool.Close()
	for _, name := range []string{"cls", "reg"} {
		task, err := reg.Lookup(name)
		if err != nil {
			t.Fatal(err)
		}
		err = pool.Check(context.Background(), task)
		for _, w := range []string{`"y" has shape [2 -1]`, "batch dimension dynamic"} {
			if err == nil || !strings.Contains(err.Error(), w) {
				t.Errorf("task %q, output declared [2, N] over inputs [N, 2]: Check gave %v; want an error saying %q", name, err, w)
			}
		}
	}
}

// An output declared [1, C] over an open input batch (PyTorch's dynamic_axes on the
// input only) computes [N, C], which ORT returns when it allocates the output, but
// refuses to write into a bound [N, C] tensor (it checks that against the declared
// [1, C]). So ClassData binds its own tensor only for a batch of one row, and a batch
// of 3 is read from ORT's output.
func TestPredictOutputDeclaredOneRow(t *testing.T) {
	dir := t.TempDir()
	b, err := onnxbuild.NewModel(&onnxbuild.Graph{
		Name:    "one",
		Inputs:  []*onnxbuild.ValueInfo{onnxbuild.TensorValue("x", onnxbuild.Float, onnxbuild.N, onnxbuild.D(2))},
		Outputs: []*onnxbuild.ValueInfo{onnxbuild.TensorValue("y", onnxbuild.Float, onnxbuild.D(1), onnxbuild.D(2))},
		Nodes:   []*onnxbuild.Node{onnxbuild.NewNode("Identity", []string{"x"}, []string{"y"})},
	}).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(filepath.Join(dir, "one"), 0o755)
	os.WriteFile(filepath.Join(dir, "one", "model.onnx"), b, 0o644)
	os.WriteFile(filepath.Join(dir, "one", "task.json"), []byte(`{"inputs":[{"name":"x","type":"float32","columns":["a","b"]}],"output":"y","labels":["A","B"]}`), 0o644)
	reg, err := NewRegistry(dir)
	if err != nil {
		t.Fatal(err)
	}
	task, err := reg.Lookup("one")
	if err != nil {
		t.Fatal(err)
	}
	pool := NewPool(FlavorCPU)
	defer pool.Close()
	s, err := pool.Session(context.Background(), task, Placement{Device: "cpu", Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	in, out := loadColumns(t, task, 3, &Values{ColName: "a", Nums: []float64{0, 0.1, 0.2}}, &Values{ColName: "b", Nums: []float64{1, 0.9, 0.8}})
	if err := s.Predict(t.Context(), in, 0, 3, out); err != nil {
		t.Fatalf("a batch of 3 rows: %v; ORT itself runs this model (it computes [3, 2])", err)
	}
	cd := out.(*ClassData)
	if cd.Class[0] != 1 || cd.Class[1] != 1 || cd.Class[2] != 1 {
		t.Fatalf("classes %v, want [1 1 1]", cd.Class[:3])
	}
	if cd.held != nil && len(cd.held.t) != 0 {
		t.Fatalf("%d output tensors bound for a batch of 3 rows of an output declared [1, 2]; want none", len(cd.held.t))
	}
	// A one-row batch fits the declared shape: it keeps the zero-copy path.
	if err := s.Predict(t.Context(), in, 2, 3, out); err != nil {
		t.Fatalf("a batch of 1 row: %v", err)
	}
	if cd.Class[2] != 1 || cd.held == nil || len(cd.held.t) != 1 {
		t.Fatalf("a batch of 1 row: class %d, want 1, read from a bound tensor", cd.Class[2])
	}
}

// Output type errors name the element type as numpy would (float16, not ONNX's
// enum), and a classify task naming a predicted-label output (int64 or string,
// skl2onnx's "label") is told to name the probability output, not to cast it.
func TestClassifyOutputTypeMessages(t *testing.T) {
	c := &Config{Labels: []string{"A", "B"}}
	for _, tc := range []struct {
		elem ort.TensorElementDataType
		want []string
	}{
		{ort.TensorElementDataTypeFloat16, []string{`"y" holds float16`, "cast it to float"}},
		{ort.TensorElementDataTypeBFloat16, []string{`"y" holds bfloat16`}},
		{ort.TensorElementDataTypeBool, []string{`"y" holds bool`}},
		{ort.TensorElementDataTypeUint8, []string{`"y" holds uint8`}},
		{ort.TensorElementDataTypeInt8, []string{`"y" holds int8`}},
		{ort.TensorElementDataTypeInt64, []string{`"y" holds int64`, `"output_probability"`, "zipmap"}},
		{ort.TensorElementDataTypeString, []string{`"y" holds string`, `"output_probability"`, "zipmap"}},
	} {
		o := ort.InputOutputInfo{Name: "y", OrtValueType: ort.ONNXTypeTensor, DataType: tc.elem, Dimensions: ort.NewShape(-1, 2)}
		err := classifyOutput{}.CheckModel(c, o)
		for _, w := range tc.want {
			if err == nil || !strings.Contains(err.Error(), w) {
				t.Errorf("%s output: got %v, want an error saying %q", tc.elem, err, w)
			}
		}
		if err != nil && strings.Contains(err.Error(), "ONNX_TENSOR_ELEMENT") {
			t.Errorf("%s output: %v names ONNX's enum", tc.elem, err)
		}
		if tc.elem == ort.TensorElementDataTypeString && strings.Contains(err.Error(), "cast") {
			t.Errorf("string output: %v suggests a cast", err)
		}
	}
	if err := (regressOutput{}).CheckModel(c, ort.InputOutputInfo{Name: "y", OrtValueType: ort.ONNXTypeTensor, DataType: ort.TensorElementDataTypeFloat16}); err == nil || !strings.Contains(err.Error(), "holds float16") {
		t.Errorf("regress over a float16 output: got %v, want an error naming float16", err)
	}
}
