package train

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	ort "github.com/yalue/onnxruntime_go"
)

// dataDir returns lib/data, skipping the test when setup-data.sh has not run.
func dataDir(t testing.TB) string {
	t.Helper()
	root, err := repoRoot()
	if err != nil {
		t.Fatal(err)
	}
	d := filepath.Join(root, "lib", "data")
	if _, err := os.Stat(filepath.Join(d, "sentiment", "amazon.json")); err != nil {
		t.Skipf("training data missing (run scripts/setup-data.sh): %v", err)
	}
	return d
}

func loadSentiment(t testing.TB) *SentimentData {
	t.Helper()
	d, err := LoadSentimentData(dataDir(t))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// newSession opens model bytes in ORT with one intra-op thread.
func newSession(t testing.TB, model []byte, in, out string) *ort.DynamicAdvancedSession {
	t.Helper()
	needORT(t)
	opts, err := ort.NewSessionOptions()
	if err != nil {
		t.Fatal(err)
	}
	defer opts.Destroy()
	if err := opts.SetIntraOpNumThreads(1); err != nil {
		t.Fatal(err)
	}
	if err := opts.SetInterOpNumThreads(1); err != nil {
		t.Fatal(err)
	}
	s, err := ort.NewDynamicAdvancedSessionWithONNXData(model, []string{in}, []string{out}, opts)
	if err != nil {
		t.Fatalf("ORT rejected the model: %v", err)
	}
	t.Cleanup(func() { s.Destroy() })
	return s
}

// runText scores texts in batches of 256 and returns the [len(texts)×cols] output.
func runText(t testing.TB, s *ort.DynamicAdvancedSession, texts []string, cols int) []float32 {
	t.Helper()
	var all []float32
	for lo := 0; lo < len(texts); lo += 256 {
		hi := min(lo+256, len(texts))
		x, err := ort.NewStringTensor(ort.NewShape(int64(hi - lo)))
		if err != nil {
			t.Fatal(err)
		}
		if err := x.SetContents(texts[lo:hi]); err != nil {
			t.Fatal(err)
		}
		outs := []ort.Value{nil}
		if err := s.Run([]ort.Value{x}, outs); err != nil {
			t.Fatal(err)
		}
		if sh := outs[0].GetShape(); len(sh) != 2 || sh[0] != int64(hi-lo) || sh[1] != int64(cols) {
			t.Fatalf("output shape %v, want [%d %d]", sh, hi-lo, cols)
		}
		all = append(all, outs[0].(*ort.Tensor[float32]).GetData()...)
		outs[0].Destroy()
		x.Destroy()
	}
	return all
}

func texts(ex []Example) []string {
	out := make([]string, len(ex))
	for i, e := range ex {
		out[i] = e.Text
	}
	return out
}

func TestTokenize(t *testing.T) {
	got := Tokenize("Not GOOD, don't 'quote' ÉCOLE café x2!")
	want := []string{"not", "good", "don't", "quote", "cole", "caf", "x2"}
	if len(got) != len(want) {
		t.Fatalf("Tokenize = %q, want %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("Tokenize = %q, want %q", got, want)
		}
	}
}

// The bar: leave-one-domain-out accuracy of the quantised model,
// scored by ORT on the exported graph, mean ≥ 0.80 and each domain ≥ 0.78.
func TestSentimentLeaveOneDomainOutThroughORT(t *testing.T) {
	d := loadSentiment(t)
	needORT(t)
	_, models, err := SentimentLODO(d, DefaultSentimentConfig())
	if err != nil {
		t.Fatal(err)
	}
	var mean float64
	for k, dom := range SentimentDomains {
		model, err := models[k].ONNX()
		if err != nil {
			t.Fatal(err)
		}
		s := newSession(t, model, SentimentInput, SentimentOutput)
		p := runText(t, s, texts(d.Examples[k]), 2)
		ok := 0
		for i, e := range d.Examples[k] {
			if (p[2*i+1] > p[2*i]) == (e.Label == 1) {
				ok++
			}
		}
		acc := float64(ok) / float64(len(d.Examples[k]))
		t.Logf("%s: %.3f", dom, acc)
		if acc < 0.78 {
			t.Errorf("%s accuracy %.3f < 0.78", dom, acc)
		}
		mean += acc / 3
	}
	t.Logf("mean: %.3f", mean)
	if mean < 0.80 {
		t.Errorf("mean accuracy %.3f < 0.80", mean)
	}
}

// The Go featuriser must match the in-graph text processing exactly.
func TestSentimentGoMatchesORT(t *testing.T) {
	d := loadSentiment(t)
	var all []Example
	for _, ex := range d.Examples {
		all = append(all, ex...)
	}
	m, err := TrainSentiment(all, d.AFINN, DefaultSentimentConfig())
	if err != nil {
		t.Fatal(err)
	}
	model, err := m.ONNX()
	if err != nil {
		t.Fatal(err)
	}
	s := newSession(t, model, SentimentInput, SentimentOutput)
	p := runText(t, s, texts(all), 2)
	worst := 0.0
	for i, e := range all {
		want := m.Prob(e.Text)
		diff := math.Max(math.Abs(float64(p[2*i+1])-want), math.Abs(float64(p[2*i])-(1-want)))
		worst = math.Max(worst, diff)
		if diff > 1e-5 {
			t.Fatalf("sentence %d %q: ORT %v, Go P(positive)=%v", i, e.Text, p[2*i:2*i+2], want)
		}
	}
	t.Logf("%d sentences, max |ORT − Go| = %.2g", len(all), worst)
	// Empty and token-free rows must still give a full [N, 2] output.
	p = runText(t, s, []string{"", "!!!", "good"}, 2)
	if math.Abs(float64(p[0])-(1-m.Prob(""))) > 1e-5 {
		t.Fatalf("empty text: ORT %v, Go %v", p[:2], m.Prob(""))
	}
}

// The shipped folders must be exactly what the training code produces.
func TestShippedTasksRegenerate(t *testing.T) {
	dir := dataDir(t)
	root, err := repoRoot()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range TaskNames {
		if name != "noop" && runtime.GOARCH != "amd64" {
			// Shipped weights were produced on amd64; math.Exp may round
			// differently elsewhere and move a weight by an ulp.
			t.Logf("%s: skipped byte comparison on %s", name, runtime.GOARCH)
			continue
		}
		task, err := BuildTask(name, dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range task.Files {
			p := filepath.Join(root, task.Dir, f.Name)
			have, err := os.ReadFile(p)
			if err != nil {
				t.Fatalf("%v (regenerate with go run ./cmd/duckinfer-train -task %s)", err, name)
			}
			if !bytes.Equal(have, f.Data) {
				t.Errorf("%s differs from a fresh training run (%d vs %d bytes); regenerate with go run ./cmd/duckinfer-train -task %s", p, len(have), len(f.Data), name)
			}
		}
	}
}

func TestIrisCrossValidationThroughORT(t *testing.T) {
	samples, err := LoadIris(dataDir(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(samples) != 150 {
		t.Fatalf("%d iris samples, want 150", len(samples))
	}
	ok := 0
	for _, test := range IrisFolds(samples, 5) {
		tr, te := splitIris(samples, test)
		m, err := TrainIris(tr)
		if err != nil {
			t.Fatal(err)
		}
		model, err := m.ONNX()
		if err != nil {
			t.Fatal(err)
		}
		s := newSession(t, model, IrisInput, IrisOutput)
		x := make([]float32, 0, 4*len(te))
		for _, smp := range te {
			for _, v := range smp.X {
				x = append(x, float32(v))
			}
		}
		in, err := ort.NewTensor(ort.NewShape(int64(len(te)), 4), x)
		if err != nil {
			t.Fatal(err)
		}
		outs := []ort.Value{nil}
		if err := s.Run([]ort.Value{in}, outs); err != nil {
			t.Fatal(err)
		}
		p := outs[0].(*ort.Tensor[float32]).GetData()
		for i, smp := range te {
			best := 0
			for c := 1; c < 3; c++ {
				if p[3*i+c] > p[3*i+best] {
					best = c
				}
			}
			if best == smp.Label {
				ok++
			}
			if want := m.Probs(smp.X); math.Abs(float64(p[3*i+best])-want[best]) > 1e-5 {
				t.Fatalf("ORT %v, Go %v", p[3*i:3*i+3], want)
			}
		}
		outs[0].Destroy()
		in.Destroy()
	}
	acc := float64(ok) / float64(len(samples))
	t.Logf("iris stratified 5-fold accuracy through ORT: %.3f", acc)
	if acc < 0.90 {
		t.Errorf("iris accuracy %.3f < 0.90", acc)
	}
}

func TestNoopThroughORT(t *testing.T) {
	model, err := NoopONNX()
	if err != nil {
		t.Fatal(err)
	}
	s := newSession(t, model, NoopInput, NoopOutput)
	p := runText(t, s, []string{"x", "", "some text"}, 2)
	for i := 0; i < 3; i++ {
		if p[2*i] != 0.75 || p[2*i+1] != 0.25 {
			t.Fatalf("noop output %v, want [0.75 0.25] per row", p)
		}
	}
}

// BenchmarkSentimentORT scores the shipped sentiment model directly through
// ORT, one intra-op thread, batches of 256 real sentences, next to the baseline
// formulation it replaced: the same training without quantisation, so every
// n-gram gets its own TfIdfVectorizer column.
func BenchmarkSentimentORT(b *testing.B) {
	d := loadSentiment(b)
	root, err := repoRoot()
	if err != nil {
		b.Fatal(err)
	}
	shipped, err := os.ReadFile(filepath.Join(root, "models", "tasks", "sentiment", "model.onnx"))
	if err != nil {
		b.Fatalf("%v (generate with go run ./cmd/duckinfer-train -task sentiment)", err)
	}
	var all []string
	var examples []Example
	for _, ex := range d.Examples {
		all = append(all, texts(ex)...)
		examples = append(examples, ex...)
	}
	cfg := DefaultSentimentConfig()
	cfg.Bins = 0
	m, err := TrainSentiment(examples, d.AFINN, cfg)
	if err != nil {
		b.Fatal(err)
	}
	perNgram, err := m.ONNX()
	if err != nil {
		b.Fatal(err)
	}
	for _, v := range []struct {
		name  string
		model []byte
	}{{"shipped_shared_columns", shipped}, {"baseline_column_per_ngram", perNgram}} {
		b.Run(v.name, func(b *testing.B) { benchORT(b, v.model, all) })
	}
}

func benchORT(b *testing.B, model []byte, all []string) {
	s := newSession(b, model, SentimentInput, SentimentOutput)
	const batch = 256
	var inputs []*ort.StringTensor
	for lo := 0; lo+batch <= len(all); lo += batch {
		x, err := ort.NewStringTensor(ort.NewShape(batch))
		if err != nil {
			b.Fatal(err)
		}
		if err := x.SetContents(all[lo : lo+batch]); err != nil {
			b.Fatal(err)
		}
		defer x.Destroy()
		inputs = append(inputs, x)
	}
	out, err := ort.NewEmptyTensor[float32](ort.NewShape(batch, 2))
	if err != nil {
		b.Fatal(err)
	}
	defer out.Destroy()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := s.Run([]ort.Value{inputs[i%len(inputs)]}, []ort.Value{out}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "sentences/s")
}

var fuzzModel struct {
	once sync.Once
	m    *SentimentModel
	onnx []byte
	err  error
}

// FuzzSentimentGoMatchesORT: for any text DuckDB can hold (valid UTF-8, no NUL), the
// in-graph text processing agrees with the Go featuriser the model was trained with.
func FuzzSentimentGoMatchesORT(f *testing.F) {
	for _, s := range []string{"", "good", "not good at all!!", "Don't buy it", "ÉLAN naïve café", "😀 great", "a  b\tc\nd", "it's 'quoted'", "x'y'z", "ОТЛИЧНО", "１２３ fullwidth"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		if !utf8.ValidString(text) || strings.ContainsRune(text, 0) {
			t.Skip("DuckDB VARCHARs are valid UTF-8 and reach ORT as C strings")
		}
		fuzzModel.once.Do(func() {
			d := loadSentiment(t)
			var all []Example
			for _, ex := range d.Examples {
				all = append(all, ex...)
			}
			fuzzModel.m, fuzzModel.err = TrainSentiment(all, d.AFINN, DefaultSentimentConfig())
			if fuzzModel.err == nil {
				fuzzModel.onnx, fuzzModel.err = fuzzModel.m.ONNX()
			}
		})
		if fuzzModel.err != nil {
			t.Fatal(fuzzModel.err)
		}
		s := newSession(t, fuzzModel.onnx, SentimentInput, SentimentOutput)
		p := runText(t, s, []string{text}, 2)
		want := fuzzModel.m.Prob(text)
		if d := math.Abs(float64(p[1]) - want); d > 1e-5 {
			t.Fatalf("%q: ORT P(positive)=%v, Go %v", text, p[1], want)
		}
	})
}
