package train

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"sort"
	"strings"

	"github.com/duckinfer/duckinfer/internal/onnxbuild"
)

// TokenPattern is the token regex used both by the Go featuriser and by the
// exported graph's com.microsoft Tokenizer (tokenexp). Go's regexp and ORT's
// RE2 share syntax and leftmost-first semantics, so both find the same
// matches. Only ASCII letters and digits form tokens (plus inner
// apostrophes: "don't"), which keeps lowercasing differences between Go and
// glibc's C.UTF-8 locale out of the tokens.
const TokenPattern = `[a-z0-9]+(?:'[a-z0-9]+)*`

var tokenRE = regexp.MustCompile(TokenPattern)

// padToken pads Tokenizer rows; the pattern can never produce it, so no
// n-gram containing it is in the pool.
const padToken = "#"

// Tokenize lowercases text (Unicode simple case mapping, like
// StringNormalizer LOWER under C.UTF-8) and returns its tokens.
func Tokenize(text string) []string {
	return tokenRE.FindAllString(strings.ToLower(text), -1)
}

// ngrams returns the unigrams then the bigrams ("a b") of toks.
func ngrams(toks []string) []string {
	out := make([]string, 0, 2*len(toks))
	out = append(out, toks...)
	for i := 0; i+1 < len(toks); i++ {
		out = append(out, toks[i]+" "+toks[i+1])
	}
	return out
}

// SentimentConfig sets the training hyper-parameters; DefaultSentimentConfig
// gives the shipped model's.
type SentimentConfig struct {
	L2         float64 // L2 penalty on n-gram weights (mean-loss scale)
	Iterations int     // full-batch gradient steps
	Step       float64 // gradient step size
	Momentum   float64 // heavy-ball momentum
	Prune      float64 // drop n-grams whose |weight| is below this
	Bins       int     // shared weight columns after quantisation (0: no quantisation)
	AFINNScale float64 // the AFINN feature is Σ valence × AFINNScale
}

// DefaultSentimentConfig is the configuration of the shipped model.
func DefaultSentimentConfig() SentimentConfig {
	return SentimentConfig{L2: 1e-4, Iterations: 600, Step: 1, Momentum: 0.9, Prune: 0.05, Bins: 32, AFINNScale: 0.2}
}

// SentimentModel is a linear model over n-gram counts in which every n-gram
// of Pool adds Weights[Bin[i]] to the positive-class logit.
type SentimentModel struct {
	Pool    []string  // n-grams: unigrams then bigrams, each group sorted
	Bin     []int     // weight column of each pool entry
	Weights []float32 // per column
	Bias    float32
	lookup  map[string]int
}

type sparseRow struct {
	idx []int32
	val []float64
	y   float64
}

// TrainSentiment fits the model on train. afinn may be nil (no lexicon feature).
func TrainSentiment(train []Example, afinn map[string]int, cfg SentimentConfig) (*SentimentModel, error) {
	if len(train) == 0 {
		return nil, errors.New("train: no sentiment examples; check the data folder")
	}
	// Vocabulary: every n-gram of the training set, sorted, plus the AFINN
	// feature as the last column.
	seen := map[string]bool{}
	var vocab []string
	toks := make([][]string, len(train))
	for i, ex := range train {
		toks[i] = Tokenize(ex.Text)
		for _, g := range ngrams(toks[i]) {
			if !seen[g] {
				seen[g] = true
				vocab = append(vocab, g)
			}
		}
	}
	sort.Strings(vocab)
	index := make(map[string]int32, len(vocab))
	for i, g := range vocab {
		index[g] = int32(i)
	}
	nf := len(vocab) + 1
	afinnCol := int32(len(vocab))
	rows := make([]sparseRow, len(train))
	for i, ex := range train {
		counts := map[int32]float64{}
		var score float64
		for _, g := range ngrams(toks[i]) {
			counts[index[g]]++
		}
		for _, t := range toks[i] {
			score += float64(afinn[t])
		}
		r := sparseRow{y: float64(ex.Label)}
		for j := range counts {
			r.idx = append(r.idx, j)
		}
		sort.Slice(r.idx, func(a, b int) bool { return r.idx[a] < r.idx[b] })
		for _, j := range r.idx {
			r.val = append(r.val, counts[j])
		}
		if score != 0 {
			r.idx = append(r.idx, afinnCol)
			r.val = append(r.val, score*cfg.AFINNScale)
		}
		rows[i] = r
	}
	w, b := fitLogistic(rows, nf, cfg)

	// Fold the lexicon into unigram weights: the AFINN feature is linear in
	// token counts, so valence × its weight is just more per-word weight.
	// Lexicon words unseen in training join the pool this way too.
	wa := w[afinnCol] * cfg.AFINNScale
	eff := map[string]float64{}
	var pool []string
	for i, g := range vocab {
		eff[g] = w[i]
		pool = append(pool, g)
	}
	if afinn != nil && wa != 0 {
		words := make([]string, 0, len(afinn))
		for word := range afinn {
			words = append(words, word)
		}
		sort.Strings(words)
		for _, word := range words {
			if t := Tokenize(word); len(t) != 1 || t[0] != word {
				continue // phrases and words the tokenizer splits never match a token
			}
			if _, ok := eff[word]; !ok {
				pool = append(pool, word)
			}
			eff[word] += wa * float64(afinn[word])
		}
	}
	var kept []string
	var kw []float64
	sort.Slice(pool, func(a, b int) bool { return ngramLess(pool[a], pool[b]) })
	for _, g := range pool {
		if math.Abs(eff[g]) >= cfg.Prune {
			kept = append(kept, g)
			kw = append(kw, eff[g])
		}
	}
	m := &SentimentModel{Pool: kept, Bias: float32(b)}
	if cfg.Bins <= 0 {
		m.Bin = make([]int, len(kept))
		m.Weights = make([]float32, len(kept))
		for i := range kept {
			m.Bin[i] = i
			m.Weights[i] = float32(kw[i])
		}
	} else {
		m.Bin, m.Weights = quantise(kw, cfg.Bins)
	}
	m.index()
	return m, nil
}

// ngramLess orders unigrams before bigrams, then bytewise: the order of
// TfIdfVectorizer's pool_strings.
func ngramLess(a, b string) bool {
	ua, ub := !strings.Contains(a, " "), !strings.Contains(b, " ")
	if ua != ub {
		return ua
	}
	return a < b
}

// fitLogistic minimises mean log-loss + L2/2·|w|² (bias unpenalised) by
// full-batch gradient descent with heavy-ball momentum; fixed iteration count
// and fixed summation order make it deterministic.
func fitLogistic(rows []sparseRow, nf int, cfg SentimentConfig) ([]float64, float64) {
	w := make([]float64, nf)
	vw := make([]float64, nf)
	g := make([]float64, nf)
	var b, vb float64
	inv := 1 / float64(len(rows))
	for it := 0; it < cfg.Iterations; it++ {
		for j := range g {
			g[j] = cfg.L2 * w[j]
		}
		var gb float64
		for _, r := range rows {
			z := b
			for k, j := range r.idx {
				z += float64(w[j] * r.val[k])
			}
			d := (sigmoid(z) - r.y) * inv
			gb += d
			for k, j := range r.idx {
				g[j] += float64(d * r.val[k])
			}
		}
		for j := range w {
			vw[j] = float64(cfg.Momentum*vw[j]) - float64(cfg.Step*g[j])
			w[j] += vw[j]
		}
		vb = float64(cfg.Momentum*vb) - float64(cfg.Step*gb)
		b += vb
	}
	return w, b
}

func sigmoid(z float64) float64 { return 1 / (1 + math.Exp(-z)) }

// quantise maps weights to k shared values by 1-D k-means (Lloyd, started
// at quantiles, fixed rounds) and returns each weight's bin and the bin
// values; unused bins are dropped so every column is used.
func quantise(w []float64, k int) ([]int, []float32) {
	if len(w) == 0 {
		return nil, nil
	}
	sorted := append([]float64(nil), w...)
	sort.Float64s(sorted)
	if k > len(sorted) {
		k = len(sorted)
	}
	c := make([]float64, k)
	for i := range c {
		c[i] = sorted[(2*i+1)*len(sorted)/(2*k)]
	}
	assign := make([]int, len(w))
	for round := 0; round < 100; round++ {
		sum := make([]float64, k)
		n := make([]int, k)
		for i, x := range w {
			best := 0
			for j := 1; j < k; j++ {
				if math.Abs(x-c[j]) < math.Abs(x-c[best]) {
					best = j
				}
			}
			assign[i] = best
			sum[best] += x
			n[best]++
		}
		for j := range c {
			if n[j] > 0 {
				c[j] = sum[j] / float64(n[j])
			}
		}
	}
	// Renumber used bins in order of value.
	used := make([]bool, k)
	for _, a := range assign {
		used[a] = true
	}
	order := make([]int, 0, k)
	for j := range c {
		if used[j] {
			order = append(order, j)
		}
	}
	sort.SliceStable(order, func(a, b int) bool { return c[order[a]] < c[order[b]] })
	remap := make([]int, k)
	vals := make([]float32, len(order))
	for newJ, oldJ := range order {
		remap[oldJ] = newJ
		vals[newJ] = float32(c[oldJ])
	}
	for i := range assign {
		assign[i] = remap[assign[i]]
	}
	return assign, vals
}

func (m *SentimentModel) index() {
	m.lookup = make(map[string]int, len(m.Pool))
	for i, g := range m.Pool {
		m.lookup[g] = m.Bin[i]
	}
}

// Logit returns the positive-class logit of text, computed as the exported
// graph does: per-column n-gram counts times column weights, plus bias.
func (m *SentimentModel) Logit(text string) float64 {
	if m.lookup == nil {
		m.index()
	}
	counts := make([]float64, len(m.Weights))
	for _, g := range ngrams(Tokenize(text)) {
		if j, ok := m.lookup[g]; ok {
			counts[j]++
		}
	}
	z := float64(m.Bias)
	for j, c := range counts {
		z += float64(c * float64(m.Weights[j]))
	}
	return z
}

// Prob returns P(positive | text).
func (m *SentimentModel) Prob(text string) float64 { return sigmoid(m.Logit(text)) }

// Accuracy is the fraction of examples whose thresholded Prob matches Label.
func (m *SentimentModel) Accuracy(ex []Example) float64 {
	ok := 0
	for _, e := range ex {
		if (m.Prob(e.Text) >= 0.5) == (e.Label == 1) {
			ok++
		}
	}
	return float64(ok) / float64(len(ex))
}

// Sentiment graph names (task.json refers to them).
const (
	SentimentInput  = "text"
	SentimentOutput = "probabilities"
)

// SentimentLabels are the output classes in column order.
var SentimentLabels = []string{"negative", "positive"}

// ONNX exports the model: text [N] → probabilities [N, 2].
func (m *SentimentModel) ONNX() ([]byte, error) {
	if len(m.Pool) == 0 {
		return nil, errors.New("train: sentiment model has no n-grams; lower Prune or check the data")
	}
	var pool []string
	unigrams := 0
	idx := make([]int64, len(m.Pool))
	for i, g := range m.Pool {
		if a, b, ok := strings.Cut(g, " "); ok {
			pool = append(pool, a, b)
		} else {
			if len(pool) != unigrams {
				return nil, errors.New("train: sentiment pool must list unigrams before bigrams")
			}
			pool = append(pool, g)
			unigrams++
		}
		idx[i] = int64(m.Bin[i])
	}
	cols := int64(len(m.Weights))
	// Logits ±z/2 make Softmax give exactly sigmoid(z) for the positive class.
	w := make([]float32, 2*cols)
	for j, v := range m.Weights {
		w[2*j] = -v / 2
		w[2*j+1] = v / 2
	}
	ob := onnxbuild.Microsoft
	g := &onnxbuild.Graph{
		Name:    "duckinfer_sentiment",
		Inputs:  []*onnxbuild.ValueInfo{onnxbuild.TensorValue(SentimentInput, onnxbuild.String, onnxbuild.N)},
		Outputs: []*onnxbuild.ValueInfo{onnxbuild.TensorValue(SentimentOutput, onnxbuild.Float, onnxbuild.N, onnxbuild.D(2))},
		Initializers: []*onnxbuild.Tensor{
			onnxbuild.FloatTensor("W", []int64{cols, 2}, w),
			onnxbuild.FloatTensor("B", []int64{2}, []float32{-m.Bias / 2, m.Bias / 2}),
		},
		Nodes: []*onnxbuild.Node{
			onnxbuild.NewNode("StringNormalizer", []string{SentimentInput}, []string{"lower"},
				onnxbuild.AttrString("case_change_action", "LOWER"),
				// C.UTF-8 exists on every glibc system; en_US.UTF-8 often does not.
				onnxbuild.AttrString("locale", "C.UTF-8")),
			ob("Tokenizer", []string{"lower"}, []string{"tokens"},
				onnxbuild.AttrInt("mark", 0),
				onnxbuild.AttrInt("mincharnum", 1),
				onnxbuild.AttrString("pad_value", padToken),
				onnxbuild.AttrString("tokenexp", TokenPattern)),
			onnxbuild.NewNode("TfIdfVectorizer", []string{"tokens"}, []string{"counts"},
				onnxbuild.AttrString("mode", "TF"),
				onnxbuild.AttrInt("min_gram_length", 1),
				onnxbuild.AttrInt("max_gram_length", 2),
				onnxbuild.AttrInt("max_skip_count", 0),
				onnxbuild.AttrInts("ngram_counts", []int64{0, int64(unigrams)}),
				onnxbuild.AttrInts("ngram_indexes", idx),
				onnxbuild.AttrStrings("pool_strings", pool)),
			onnxbuild.NewNode("MatMul", []string{"counts", "W"}, []string{"xw"}),
			onnxbuild.NewNode("Add", []string{"xw", "B"}, []string{"logits"}),
			onnxbuild.NewNode("Softmax", []string{"logits"}, []string{SentimentOutput}, onnxbuild.AttrInt("axis", -1)),
		},
	}
	mod := onnxbuild.NewModel(g).UseMicrosoftDomain()
	mod.ProducerName = "duckinfer-train"
	mod.DocString = fmt.Sprintf("Sentiment of English sentences: LR over %d word uni/bigrams and AFINN-165, %d shared weight columns", len(m.Pool), cols)
	mod.Metadata = []onnxbuild.StringEntry{{Key: "labels", Value: strings.Join(SentimentLabels, ",")}}
	return mod.Marshal()
}
