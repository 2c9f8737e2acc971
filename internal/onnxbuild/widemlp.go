package onnxbuild

import (
	"errors"
	"fmt"
	"math"
	"strconv"
)

// WideMLPConfig sizes a synthetic multi-layer perceptron used to load an
// accelerator: input [N, Inputs] float → Layers × (Gemm to Width, Relu) →
// Gemm to Classes → Softmax, output [N, Classes].
type WideMLPConfig struct {
	Inputs  int    // d: input features (≥ 1)
	Width   int    // w: hidden width (≥ 1)
	Layers  int    // k: hidden layers (≥ 0)
	Classes int    // L: output classes (≥ 2)
	Seed    uint64 // weights are a pure function of Seed and the sizes
	// InputName and OutputName default to "x" and "probabilities".
	InputName, OutputName string
}

// maxWideMLPParams keeps the model under protobuf's 2 GiB message limit
// (ORT refuses larger single-file models) with room for the rest.
const maxWideMLPParams = (1<<31 - 1<<24) / 4

// WideMLP returns ONNX bytes for the configured MLP. Weights are
// deterministic pseudo-random values scaled by 1/sqrt(fan-in), so
// activations stay in a sane range at any width; biases are small.
func WideMLP(cfg WideMLPConfig) ([]byte, error) {
	if cfg.Inputs < 1 || cfg.Width < 1 || cfg.Layers < 0 || cfg.Classes < 2 {
		return nil, fmt.Errorf("onnxbuild: WideMLP needs Inputs ≥ 1, Width ≥ 1, Layers ≥ 0, Classes ≥ 2; got %+v", cfg)
	}
	in, out := cfg.InputName, cfg.OutputName
	if in == "" {
		in = "x"
	}
	if out == "" {
		out = "probabilities"
	}
	params := int64(0)
	prev := int64(cfg.Inputs)
	for i := 0; i <= cfg.Layers; i++ {
		next := int64(cfg.Width)
		if i == cfg.Layers {
			next = int64(cfg.Classes)
		}
		params += prev*next + next
		prev = next
	}
	if params > maxWideMLPParams {
		return nil, errors.New("onnxbuild: WideMLP has more than ~500M parameters, over ONNX's 2 GiB single-file limit; reduce Width or Layers")
	}

	rng := splitMix64(cfg.Seed)
	g := &Graph{
		Name:    "wide_mlp",
		Inputs:  []*ValueInfo{TensorValue(in, Float, N, D(int64(cfg.Inputs)))},
		Outputs: []*ValueInfo{TensorValue(out, Float, N, D(int64(cfg.Classes)))},
	}
	cur := in
	prev = int64(cfg.Inputs)
	for i := 0; i <= cfg.Layers; i++ {
		next := int64(cfg.Width)
		if i == cfg.Layers {
			next = int64(cfg.Classes)
		}
		scale := float32(math.Sqrt(3 / float64(prev))) // uniform(-s, s) has variance 1/fan-in
		w := make([]float32, prev*next)
		for j := range w {
			w[j] = scale * rng.sym()
		}
		bias := make([]float32, next)
		for j := range bias {
			bias[j] = 0.01 * rng.sym()
		}
		s := strconv.Itoa(i)
		g.Initializers = append(g.Initializers,
			FloatTensor("W"+s, []int64{prev, next}, w),
			FloatTensor("B"+s, []int64{next}, bias))
		gemmOut := "gemm" + s
		g.Nodes = append(g.Nodes, NewNode("Gemm", []string{cur, "W" + s, "B" + s}, []string{gemmOut}))
		cur = gemmOut
		if i < cfg.Layers {
			g.Nodes = append(g.Nodes, NewNode("Relu", []string{cur}, []string{"relu" + s}))
			cur = "relu" + s
		}
		prev = next
	}
	g.Nodes = append(g.Nodes, NewNode("Softmax", []string{cur}, []string{out}, AttrInt("axis", -1)))
	m := NewModel(g)
	m.DocString = fmt.Sprintf("synthetic wide MLP d=%d w=%d k=%d L=%d seed=%d", cfg.Inputs, cfg.Width, cfg.Layers, cfg.Classes, cfg.Seed)
	return m.Marshal()
}

// splitMix64 is a tiny fixed PRNG: its stream is defined here, not by a
// library that might change it, so generated weights never drift.
type splitMix64 uint64

func (s *splitMix64) next() uint64 {
	*s += 0x9e3779b97f4a7c15
	z := uint64(*s)
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// sym returns a value uniform in [-1, 1).
func (s *splitMix64) sym() float32 {
	return float32(s.next()>>40)/float32(1<<23) - 1
}
