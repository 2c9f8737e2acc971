package train

import (
	"github.com/duckinfer/duckinfer/internal/onnxbuild"
)

// Noop graph names and labels (task.json refers to them).
const (
	NoopInput  = "text"
	NoopOutput = "probabilities"
)

// NoopLabels are the noop model's classes.
var NoopLabels = []string{"a", "b"}

// NoopONNX returns a model that ignores its text [N] input and returns
// [0.75, 0.25] for every row: Shape → Concat with [2] → Expand, a few
// microseconds whatever N is, so running it measures duckinfer's own
// pass-through overhead. Unequal values keep argmax free of ties.
func NoopONNX() ([]byte, error) {
	g := &onnxbuild.Graph{
		Name:    "duckinfer_noop",
		Inputs:  []*onnxbuild.ValueInfo{onnxbuild.TensorValue(NoopInput, onnxbuild.String, onnxbuild.N)},
		Outputs: []*onnxbuild.ValueInfo{onnxbuild.TensorValue(NoopOutput, onnxbuild.Float, onnxbuild.N, onnxbuild.D(2))},
		Initializers: []*onnxbuild.Tensor{
			onnxbuild.FloatTensor("row", []int64{1, 2}, []float32{0.75, 0.25}),
			onnxbuild.Int64Tensor("two", []int64{1}, []int64{2}),
		},
		Nodes: []*onnxbuild.Node{
			onnxbuild.NewNode("Shape", []string{NoopInput}, []string{"n"}),
			onnxbuild.NewNode("Concat", []string{"n", "two"}, []string{"shape"}, onnxbuild.AttrInt("axis", 0)),
			onnxbuild.NewNode("Expand", []string{"row", "shape"}, []string{NoopOutput}),
		},
	}
	mod := onnxbuild.NewModel(g)
	mod.ProducerName = "duckinfer-train"
	mod.DocString = "No-op: constant probabilities [0.75, 0.25] for every row"
	mod.Metadata = []onnxbuild.StringEntry{{Key: "labels", Value: "a,b"}}
	return mod.Marshal()
}
