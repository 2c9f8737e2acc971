package onnxbuild

import (
	"bytes"
	"math"
	"testing"

	ort "github.com/yalue/onnxruntime_go"
)

// linearModel is y = softmax(x·W + b) for x [N,2], W [2,3].
func linearModel() *Model {
	g := &Graph{
		Name:    "linear",
		Inputs:  []*ValueInfo{TensorValue("x", Float, N, D(2))},
		Outputs: []*ValueInfo{TensorValue("y", Float, N, D(3)), TensorValue("p", Float, N, D(3))},
		Initializers: []*Tensor{
			FloatTensor("W", []int64{2, 3}, []float32{1, 2, 3, 4, 5, 6}),
			FloatTensor("b", []int64{3}, []float32{0.5, -1, 2}),
		},
		Nodes: []*Node{
			NewNode("MatMul", []string{"x", "W"}, []string{"xw"}),
			NewNode("Add", []string{"xw", "b"}, []string{"y"}),
			NewNode("Softmax", []string{"y"}, []string{"p"}, AttrInt("axis", -1)),
		},
	}
	m := NewModel(g)
	m.Metadata = []StringEntry{{Key: "labels", Value: "a,b,c"}}
	return m
}

func TestMarshalDeterministic(t *testing.T) {
	a, err := linearModel().Marshal()
	if err != nil {
		t.Fatal(err)
	}
	b, err := linearModel().Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Fatal("same model marshalled to different bytes")
	}
}

func TestMarshalErrors(t *testing.T) {
	if _, err := (&Model{}).Marshal(); err == nil {
		t.Error("model without graph: want error")
	}
	m := linearModel()
	m.Graph.Initializers[0].Floats = m.Graph.Initializers[0].Floats[:5]
	if _, err := m.Marshal(); err == nil {
		t.Error("tensor with wrong element count: want error")
	}
}

func TestLinearModelRunsInORT(t *testing.T) {
	needORT(t)
	data, err := linearModel().Marshal()
	if err != nil {
		t.Fatal(err)
	}
	s, err := ort.NewDynamicAdvancedSessionWithONNXData(data, []string{"x"}, []string{"y", "p"}, nil)
	if err != nil {
		t.Fatalf("ORT rejected the model: %v", err)
	}
	defer s.Destroy()
	x, err := ort.NewTensor(ort.NewShape(2, 2), []float32{1, 0, 0.5, -1})
	if err != nil {
		t.Fatal(err)
	}
	defer x.Destroy()
	outs := []ort.Value{nil, nil}
	if err := s.Run([]ort.Value{x}, outs); err != nil {
		t.Fatal(err)
	}
	defer outs[0].Destroy()
	defer outs[1].Destroy()
	y := outs[0].(*ort.Tensor[float32]).GetData()
	want := []float32{1.5, 1, 5, -3, -5, -2.5} // rows: [1,0]·W+b, [0.5,-1]·W+b
	for i := range want {
		if math.Abs(float64(y[i]-want[i])) > 1e-6 {
			t.Fatalf("y = %v, want %v", y, want)
		}
	}
	p := outs[1].(*ort.Tensor[float32]).GetData()
	for r := 0; r < 2; r++ {
		var z, sum float64
		for c := 0; c < 3; c++ {
			z += math.Exp(float64(want[3*r+c]))
			sum += float64(p[3*r+c])
		}
		if math.Abs(sum-1) > 1e-6 || math.Abs(float64(p[3*r])-math.Exp(float64(want[3*r]))/z) > 1e-6 {
			t.Fatalf("softmax row %d = %v", r, p[3*r:3*r+3])
		}
	}
	md, err := s.GetModelMetadata()
	if err != nil {
		t.Fatal(err)
	}
	defer md.Destroy()
	if v, ok, err := md.LookupCustomMetadataMap("labels"); err != nil || !ok || v != "a,b,c" {
		t.Fatalf("metadata labels = %q, %v, %v", v, ok, err)
	}
}

func TestStringPipelineRunsInORT(t *testing.T) {
	needORT(t)
	g := &Graph{
		Name:    "text",
		Inputs:  []*ValueInfo{TensorValue("text", String, N)},
		Outputs: []*ValueInfo{TensorValue("counts", Float, N, D(3))},
		Nodes: []*Node{
			NewNode("StringNormalizer", []string{"text"}, []string{"lower"},
				AttrString("case_change_action", "LOWER"), AttrString("locale", "C.UTF-8")),
			{OpType: "Tokenizer", Domain: MicrosoftDomain, Inputs: []string{"lower"}, Outputs: []string{"tokens"},
				Attrs: []*Attribute{AttrInt("mark", 0), AttrInt("mincharnum", 1), AttrString("pad_value", "#"),
					AttrString("tokenexp", "[a-z]+")}},
			NewNode("TfIdfVectorizer", []string{"tokens"}, []string{"counts"},
				AttrString("mode", "TF"), AttrInt("min_gram_length", 1), AttrInt("max_gram_length", 2),
				AttrInt("max_skip_count", 0), AttrInts("ngram_counts", []int64{0, 2}),
				// "good" and "not bad" share column 0: shared columns are how
				// duckinfer's sentiment model stays small and fast.
				AttrInts("ngram_indexes", []int64{0, 1, 0}),
				AttrStrings("pool_strings", []string{"good", "bad", "not", "bad"})),
		},
	}
	m := NewModel(g).UseMicrosoftDomain()
	data, err := m.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	s, err := ort.NewDynamicAdvancedSessionWithONNXData(data, []string{"text"}, []string{"counts"}, nil)
	if err != nil {
		t.Fatalf("ORT rejected the model: %v", err)
	}
	defer s.Destroy()
	x, err := ort.NewStringTensor(ort.NewShape(2))
	if err != nil {
		t.Fatal(err)
	}
	defer x.Destroy()
	if err := x.SetContents([]string{"GOOD, not bad. Good!", "bad"}); err != nil {
		t.Fatal(err)
	}
	outs := []ort.Value{nil}
	if err := s.Run([]ort.Value{x}, outs); err != nil {
		t.Fatal(err)
	}
	defer outs[0].Destroy()
	got := outs[0].(*ort.Tensor[float32]).GetData()
	// Output width is max(ngram_indexes)+1 = 2; "good" ×2 + "not bad" land in column 0.
	if len(got) != 4 || got[0] != 3 || got[1] != 1 || got[2] != 0 || got[3] != 1 {
		t.Fatalf("counts = %v, want [3 1 0 1]", got)
	}
}

func TestWideMLPRunsInORT(t *testing.T) {
	cfg := WideMLPConfig{Inputs: 8, Width: 16, Layers: 3, Classes: 5, Seed: 42}
	data, err := WideMLP(cfg)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := WideMLP(cfg)
	if !bytes.Equal(data, again) {
		t.Fatal("WideMLP is not deterministic")
	}
	if _, err := WideMLP(WideMLPConfig{Inputs: 1, Width: 1, Classes: 1}); err == nil {
		t.Error("Classes 1: want error")
	}
	needORT(t)
	s, err := ort.NewDynamicAdvancedSessionWithONNXData(data, []string{"x"}, []string{"probabilities"}, nil)
	if err != nil {
		t.Fatalf("ORT rejected the model: %v", err)
	}
	defer s.Destroy()
	const n = 4
	in := make([]float32, n*cfg.Inputs)
	for i := range in {
		in[i] = float32(i%7) - 3
	}
	x, err := ort.NewTensor(ort.NewShape(n, int64(cfg.Inputs)), in)
	if err != nil {
		t.Fatal(err)
	}
	defer x.Destroy()
	outs := []ort.Value{nil}
	if err := s.Run([]ort.Value{x}, outs); err != nil {
		t.Fatal(err)
	}
	defer outs[0].Destroy()
	if sh := outs[0].GetShape(); len(sh) != 2 || sh[0] != n || sh[1] != int64(cfg.Classes) {
		t.Fatalf("output shape %v, want [%d %d]", sh, n, cfg.Classes)
	}
	p := outs[0].(*ort.Tensor[float32]).GetData()
	for r := 0; r < n; r++ {
		var sum float64
		for c := 0; c < cfg.Classes; c++ {
			sum += float64(p[r*cfg.Classes+c])
		}
		if math.Abs(sum-1) > 1e-5 {
			t.Fatalf("row %d sums to %v", r, sum)
		}
	}
}
