package train

import (
	"errors"
	"math"
	"strings"

	"github.com/duckinfer/duckinfer/internal/onnxbuild"
)

// Iris graph names (task.json refers to them).
const (
	IrisInput  = "features"
	IrisOutput = "probabilities"
)

// IrisModel is softmax regression on raw measurements: logits = x·W + B,
// with the training set's standardisation folded into W and B.
type IrisModel struct {
	W [4][3]float32
	B [3]float32
}

// TrainIris fits softmax regression on standardised features by full-batch
// gradient descent (fixed steps, fixed order: deterministic).
func TrainIris(train []IrisSample) (*IrisModel, error) {
	if len(train) == 0 {
		return nil, errors.New("train: no iris samples; check the data folder")
	}
	var mean, std [4]float64
	n := float64(len(train))
	for _, s := range train {
		for j := range mean {
			mean[j] += s.X[j] / n
		}
	}
	for _, s := range train {
		for j := range std {
			d := s.X[j] - mean[j]
			std[j] += float64(d*d) / n
		}
	}
	for j := range std {
		std[j] = math.Sqrt(std[j])
		if std[j] == 0 {
			std[j] = 1
		}
	}
	var w [4][3]float64
	var b [3]float64
	const (
		steps = 2000
		step  = 0.5
		l2    = 1e-3
	)
	for it := 0; it < steps; it++ {
		var gw [4][3]float64
		var gb [3]float64
		for _, s := range train {
			var z [4]float64
			for j := range z {
				z[j] = (s.X[j] - mean[j]) / std[j]
			}
			p := softmax3(logits3(&w, &b, z))
			for c := 0; c < 3; c++ {
				d := p[c]
				if c == s.Label {
					d--
				}
				d /= n
				gb[c] += d
				for j := 0; j < 4; j++ {
					gw[j][c] += float64(d * z[j])
				}
			}
		}
		for c := 0; c < 3; c++ {
			b[c] -= step * gb[c]
			for j := 0; j < 4; j++ {
				w[j][c] -= float64(step * (gw[j][c] + float64(l2*w[j][c])))
			}
		}
	}
	m := &IrisModel{}
	for c := 0; c < 3; c++ {
		bc := b[c]
		for j := 0; j < 4; j++ {
			m.W[j][c] = float32(w[j][c] / std[j])
			bc -= float64(w[j][c] * mean[j] / std[j])
		}
		m.B[c] = float32(bc)
	}
	return m, nil
}

func logits3(w *[4][3]float64, b *[3]float64, x [4]float64) [3]float64 {
	l := *b
	for c := 0; c < 3; c++ {
		for j := 0; j < 4; j++ {
			l[c] += float64(w[j][c] * x[j])
		}
	}
	return l
}

func softmax3(l [3]float64) [3]float64 {
	mx := math.Max(l[0], math.Max(l[1], l[2]))
	var p [3]float64
	var s float64
	for c := range l {
		p[c] = math.Exp(l[c] - mx)
		s += p[c]
	}
	for c := range p {
		p[c] /= s
	}
	return p
}

// Probs returns the class probabilities of one flower.
func (m *IrisModel) Probs(x [4]float64) [3]float64 {
	var w [4][3]float64
	var b [3]float64
	for c := 0; c < 3; c++ {
		b[c] = float64(m.B[c])
		for j := 0; j < 4; j++ {
			w[j][c] = float64(m.W[j][c])
		}
	}
	return softmax3(logits3(&w, &b, x))
}

// Predict returns the most probable class index.
func (m *IrisModel) Predict(x [4]float64) int {
	p := m.Probs(x)
	best := 0
	for c := 1; c < 3; c++ {
		if p[c] > p[best] {
			best = c
		}
	}
	return best
}

// IrisFolds splits samples into k stratified folds: the i-th sample of each
// class goes to fold i mod k (the data set lists classes in blocks).
func IrisFolds(samples []IrisSample, k int) [][]int {
	folds := make([][]int, k)
	var seen [3]int
	for i, s := range samples {
		f := seen[s.Label] % k
		seen[s.Label]++
		folds[f] = append(folds[f], i)
	}
	return folds
}

// IrisCrossValidate returns stratified k-fold accuracy computed in Go.
func IrisCrossValidate(samples []IrisSample, k int) (float64, error) {
	ok := 0
	for _, test := range IrisFolds(samples, k) {
		tr, te := splitIris(samples, test)
		m, err := TrainIris(tr)
		if err != nil {
			return 0, err
		}
		for _, s := range te {
			if m.Predict(s.X) == s.Label {
				ok++
			}
		}
	}
	return float64(ok) / float64(len(samples)), nil
}

// splitIris returns (samples not in test, samples in test).
func splitIris(samples []IrisSample, test []int) ([]IrisSample, []IrisSample) {
	in := make([]bool, len(samples))
	for _, i := range test {
		in[i] = true
	}
	var tr, te []IrisSample
	for i, s := range samples {
		if in[i] {
			te = append(te, s)
		} else {
			tr = append(tr, s)
		}
	}
	return tr, te
}

// ONNX exports the model: features [N, 4] → probabilities [N, 3].
func (m *IrisModel) ONNX() ([]byte, error) {
	w := make([]float32, 0, 12)
	for j := 0; j < 4; j++ {
		w = append(w, m.W[j][:]...)
	}
	g := &onnxbuild.Graph{
		Name:    "duckinfer_iris",
		Inputs:  []*onnxbuild.ValueInfo{onnxbuild.TensorValue(IrisInput, onnxbuild.Float, onnxbuild.N, onnxbuild.D(4))},
		Outputs: []*onnxbuild.ValueInfo{onnxbuild.TensorValue(IrisOutput, onnxbuild.Float, onnxbuild.N, onnxbuild.D(3))},
		Initializers: []*onnxbuild.Tensor{
			onnxbuild.FloatTensor("W", []int64{4, 3}, w),
			onnxbuild.FloatTensor("B", []int64{3}, m.B[:]),
		},
		Nodes: []*onnxbuild.Node{
			onnxbuild.NewNode("MatMul", []string{IrisInput, "W"}, []string{"xw"}),
			onnxbuild.NewNode("Add", []string{"xw", "B"}, []string{"logits"}),
			onnxbuild.NewNode("Softmax", []string{"logits"}, []string{IrisOutput}, onnxbuild.AttrInt("axis", -1)),
		},
	}
	mod := onnxbuild.NewModel(g)
	mod.ProducerName = "duckinfer-train"
	mod.DocString = "Iris species from sepal/petal length and width (cm): softmax regression"
	mod.Metadata = []onnxbuild.StringEntry{{Key: "labels", Value: strings.Join(IrisClasses, ",")}}
	return mod.Marshal()
}
