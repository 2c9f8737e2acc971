package models

// Tests that pin where a Hugging Face folder's task differed from what transformers
// and sentence-transformers compute for it: RoBERTa-style position_ids, regression
// heads, sentence-transformers' Pooling/Normalize modules and max_seq_length, and the
// model's own sentence_embedding output.

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/duckinfer/duckinfer/internal/onnxbuild"
	"github.com/duckinfer/duckinfer/internal/tokenizer"
)

// hfEditJSON rewrites the JSON file folder/name through edit.
func hfEditJSON(t *testing.T, folder, name string, edit func(map[string]any)) {
	t.Helper()
	p := filepath.Join(folder, name)
	doc := map[string]any{}
	if b, err := os.ReadFile(p); err == nil {
		if err := json.Unmarshal(b, &doc); err != nil {
			t.Fatal(err)
		}
	}
	edit(doc)
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func hfLookupIn(t *testing.T, dir, name string) *Task {
	t.Helper()
	reg, err := NewRegistry(dir)
	if err != nil {
		t.Fatal(err)
	}
	task, err := reg.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	return task
}

func hfEncodeIDs(t *testing.T, task *Task, text string) []int32 {
	t.Helper()
	var e tokenizer.Encoding
	if err := task.Tokenizer().Encode(&e, text, 0); err != nil {
		t.Fatal(err)
	}
	return slices.Clone(e.IDs)
}

// hfFidModel writes an ONNX model taking int64 [N, S] inputs (ins) whose one float
// output is built by nodes.
func hfFidModel(t *testing.T, path string, ins []string, nodes []*onnxbuild.Node, inits []*onnxbuild.Tensor, out *onnxbuild.ValueInfo) {
	t.Helper()
	g := &onnxbuild.Graph{Name: "m", Nodes: nodes, Initializers: inits, Outputs: []*onnxbuild.ValueInfo{out}}
	for _, in := range ins {
		g.Inputs = append(g.Inputs, onnxbuild.TensorValue(in, onnxbuild.Int64, onnxbuild.N, onnxbuild.Sym("S")))
	}
	b, err := onnxbuild.NewModel(g).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(filepath.Dir(path), 0o755)
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func hfFidSession(t *testing.T, task *Task) *Session {
	t.Helper()
	pool := NewPool(FlavorCPU)
	t.Cleanup(func() { pool.Close() })
	s, err := pool.Session(context.Background(), task, Placement{Device: "cpu", Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// An XLM-R (RoBERTa-family) export that takes position_ids: transformers'
// pipeline gives the model none, so XLMRobertaEmbeddings makes them with
// create_position_ids_from_input_ids: padding_idx + cumsum(mask) * mask, that is
// 2, 3, ..., n+1 for a text of n tokens (padding_idx = pad_token_id = 1), and 1 at
// padding. The test model returns the position_ids it is fed as its
// sentence_embedding.
// Pins: such a model was fed 0, 1, 2... (BERT's arange).
func TestHFFidelityRobertaPositionIDs(t *testing.T) {
	dir := t.TempDir()
	folder := copyHF(t, "xlmr_embed", dir, "m")
	hfFidModel(t, filepath.Join(folder, "model.onnx"), []string{"input_ids", "attention_mask", "position_ids"},
		[]*onnxbuild.Node{onnxbuild.NewNode("Cast", []string{"position_ids"}, []string{"sentence_embedding"}, onnxbuild.AttrInt("to", int64(onnxbuild.Float)))},
		nil, onnxbuild.TensorValue("sentence_embedding", onnxbuild.Float, onnxbuild.N, onnxbuild.Sym("S")))
	os.WriteFile(filepath.Join(folder, "task.json"), []byte(`{"normalize": false}`), 0o644)
	task := hfLookupIn(t, dir, "m")
	s := hfFidSession(t, task)
	const text = "the food was great"
	n := len(hfEncodeIDs(t, task, text))
	in, out := loadTexts(t, task, text)
	if err := s.Predict(context.Background(), in, 0, 1, out); err != nil {
		t.Fatal(err)
	}
	got := out.(*EmbedData).Row(0)
	want := make([]float32, n)
	for j := range want {
		want[j] = float32(j + 2)
	}
	if !slices.Equal(got, want) {
		t.Errorf("position_ids fed %v, want %v (transformers' create_position_ids_from_input_ids, padding_idx 1)", got, want)
	}
	// Batched with a longer text: the shorter row's padding gets padding_idx.
	in, out = loadTexts(t, task, text, text+" and the service was slow")
	if err := s.Predict(context.Background(), in, 0, 2, out); err != nil {
		t.Fatal(err)
	}
	got = out.(*EmbedData).Row(0)
	for j := n; j < len(got); j++ {
		want = append(want, 1)
	}
	if !slices.Equal(got, want) {
		t.Errorf("padded row: position_ids fed %v, want %v (padding_idx 1 at padding)", got, want)
	}
}

// config.json's problem_type "regression": transformers' text-classification
// pipeline applies no function (ClassificationFunction.NONE): the score of a
// one-label regression head is its raw logit. The test model's logit is 2.5 for
// every text.
// Pins: a regression head was scored as a single-label classifier (its sigmoid).
func TestHFFidelityRegressionRawScore(t *testing.T) {
	dir := t.TempDir()
	folder := copyHF(t, "bert_sentiment", dir, "m")
	hfEditJSON(t, folder, "config.json", func(d map[string]any) {
		d["problem_type"] = "regression"
		d["id2label"] = map[string]any{"0": "LABEL_0"}
		d["label2id"] = map[string]any{"LABEL_0": 0}
		d["num_labels"] = 1
	})
	hfFidModel(t, filepath.Join(folder, "model.onnx"), []string{"input_ids", "attention_mask", "token_type_ids"},
		[]*onnxbuild.Node{
			onnxbuild.NewNode("Cast", []string{"input_ids"}, []string{"f"}, onnxbuild.AttrInt("to", int64(onnxbuild.Float))),
			onnxbuild.NewNode("ReduceMax", []string{"f"}, []string{"m"}, onnxbuild.AttrInts("axes", []int64{1}), onnxbuild.AttrInt("keepdims", 1)),
			onnxbuild.NewNode("Mul", []string{"m", "zero"}, []string{"z"}),
			onnxbuild.NewNode("Add", []string{"z", "bias"}, []string{"logits"}),
		},
		[]*onnxbuild.Tensor{onnxbuild.FloatTensor("zero", []int64{1}, []float32{0}), onnxbuild.FloatTensor("bias", []int64{1}, []float32{2.5})},
		onnxbuild.TensorValue("logits", onnxbuild.Float, onnxbuild.N, onnxbuild.D(1)))
	task := hfLookupIn(t, dir, "m")
	s := hfFidSession(t, task)
	in, out := loadTexts(t, task, "the food was great")
	if err := s.Predict(context.Background(), in, 0, 1, out); err != nil {
		t.Fatal(err)
	}
	switch o := out.(type) {
	case *RegressData:
		if o.Values[0] != 2.5 {
			t.Errorf("value %v, want 2.5", o.Values[0])
		}
	case *ClassData:
		t.Errorf("kind %q scores %q: confidence %v (sigmoid(2.5) = %.6f), want the raw score 2.5 as transformers' pipeline gives under problem_type regression",
			task.Config.Kind, task.Config.Scores, o.Confidence[0], 1/(1+math.Exp(-2.5)))
	default:
		t.Fatalf("output %T", out)
	}
}

// hfFidSentenceTransformers lays out a sentence-transformers folder over folder:
// modules.json (Transformer, Pooling, Normalize), 1_Pooling/config.json with pooling,
// and sentence_bert_config.json.
func hfFidSentenceTransformers(t *testing.T, folder string, pooling map[string]any, maxSeq int) {
	t.Helper()
	os.WriteFile(filepath.Join(folder, "modules.json"), []byte(`[
  {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
  {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
  {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"}
]`), 0o644)
	p := map[string]any{"word_embedding_dimension": 32, "pooling_mode_cls_token": false, "pooling_mode_mean_tokens": false,
		"pooling_mode_max_tokens": false, "pooling_mode_mean_sqrt_len_tokens": false, "pooling_mode_weightedmean_tokens": false, "pooling_mode_lasttoken": false}
	for k, v := range pooling {
		p[k] = v
	}
	hfEditJSON(t, folder, "1_Pooling/config.json", func(d map[string]any) {
		for k, v := range p {
			d[k] = v
		}
	})
	os.MkdirAll(filepath.Join(folder, "2_Normalize"), 0o755)
	hfEditJSON(t, folder, "sentence_bert_config.json", func(d map[string]any) {
		d["max_seq_length"] = maxSeq
		d["do_lower_case"] = false
	})
}

// A sentence-transformers folder whose 1_Pooling/config.json says CLS pooling (BGE,
// GTE-style models): SentenceTransformer(folder).encode(text) is the first token's
// vector (then normalised by 2_Normalize).
// Pins: 1_Pooling/config.json was ignored and such a folder mean-pooled.
func TestHFFidelitySentenceTransformersPooling(t *testing.T) {
	dir := t.TempDir()
	folder := copyHF(t, "bert_embed", dir, "m")
	hfFidSentenceTransformers(t, folder, map[string]any{"pooling_mode_cls_token": true}, 128)
	task := hfLookupIn(t, dir, "m")
	s := hfFidSession(t, task)
	const text = "the battery died after a week"
	in, out := loadTexts(t, task, text)
	if err := s.Predict(context.Background(), in, 0, 1, out); err != nil {
		t.Fatal(err)
	}
	got := slices.Clone(out.(*EmbedData).Row(0))
	in, want := loadTexts(t, task, text)
	want.(*EmbedData).SetPooling(PoolingCLS, nil)
	if err := s.Predict(context.Background(), in, 0, 1, want); err != nil {
		t.Fatal(err)
	}
	w := want.(*EmbedData).Row(0)
	var dot float64
	for k := range w {
		dot += float64(got[k]) * float64(w[k])
	}
	if task.Config.Pooling != PoolingCLS || dot < 0.9999 {
		t.Errorf("pooling %q: the folder's embedding has cosine %.4f with the CLS embedding sentence-transformers returns (1_Pooling/config.json: pooling_mode_cls_token)", task.Config.Pooling, dot)
	}
}

// sentence_bert_config.json's max_seq_length is where sentence-transformers truncates
// (all-MiniLM-L6-v2: 256, while its tokenizer_config.json says 512).
// Pins: max_length came from tokenizer_config.json's model_max_length instead.
func TestHFFidelitySentenceTransformersMaxSeqLength(t *testing.T) {
	dir := t.TempDir()
	folder := copyHF(t, "bert_embed", dir, "m")
	hfFidSentenceTransformers(t, folder, map[string]any{"pooling_mode_mean_tokens": true}, 16)
	if got := hfLookupIn(t, dir, "m").Config.MaxLength; got != 16 {
		t.Errorf("max_length %d, want 16 (sentence_bert_config.json's max_seq_length, where SentenceTransformer.encode truncates)", got)
	}
}

// An Optimum export of a sentence-transformers model has token_embeddings and
// sentence_embedding, the model's own pooling (here: the first token's vector, as
// a CLS-pooled model computes it). SentenceTransformer.encode returns the latter.
// Pins: token_embeddings was read first and mean-pooled.
func TestHFFidelitySentenceEmbeddingOutput(t *testing.T) {
	dir := t.TempDir()
	folder := copyHF(t, "bert_embed", dir, "m")
	hfFidTwoOutputModel(t, filepath.Join(folder, "onnx", "model.onnx"))
	os.WriteFile(filepath.Join(folder, "task.json"), []byte(`{"normalize": false}`), 0o644)
	task := hfLookupIn(t, dir, "m")
	s := hfFidSession(t, task)
	in, out := loadTexts(t, task, "the food was great")
	if err := s.Predict(context.Background(), in, 0, 1, out); err != nil {
		t.Fatal(err)
	}
	want := []float32{2, 1} // [CLS] is id 2
	if got := out.(*EmbedData).Row(0); !slices.Equal(got, want) {
		t.Errorf("output %q: embedding %v, want the model's sentence_embedding %v", task.OutputName(), got, want)
	}
}

// An explicit "pooling": "cls" asks for the first token's vector: over a model with
// token_embeddings and sentence_embedding it reads the token vectors (and is refused
// only where the model has sentence vectors alone, TestClsPoolingOverSentenceVectors
// in the extension package).
// Pins: embedOutputs' new order must not make "cls" read the model's own pooling.
func TestHFFidelityExplicitCLSReadsTokenVectors(t *testing.T) {
	dir := t.TempDir()
	folder := copyHF(t, "bert_embed", dir, "m")
	hfFidTwoOutputModel(t, filepath.Join(folder, "onnx", "model.onnx"))
	os.WriteFile(filepath.Join(folder, "task.json"), []byte(`{"normalize": false, "pooling": "cls"}`), 0o644)
	task := hfLookupIn(t, dir, "m")
	hfFidSession(t, task)
	if got := task.OutputName(); got != "token_embeddings" {
		t.Errorf(`"pooling": "cls" reads output %q, want token_embeddings`, got)
	}
}

// A sentence-transformers folder with CLS pooling whose export has only the pooled
// sentence_embedding: the Pooling module's "cls" is what the model already did, not a
// request the model cannot meet.
// Pins: a generated "cls" pooling must not be refused as a user's would be.
func TestHFFidelitySentenceTransformersPooledOnly(t *testing.T) {
	dir := t.TempDir()
	folder := copyHF(t, "bert_embed", dir, "m")
	hfFidSentenceTransformers(t, folder, map[string]any{"pooling_mode_cls_token": true}, 128)
	hfFidModel(t, filepath.Join(folder, "onnx", "model.onnx"), []string{"input_ids", "attention_mask", "token_type_ids"},
		[]*onnxbuild.Node{
			onnxbuild.NewNode("Cast", []string{"input_ids"}, []string{"f"}, onnxbuild.AttrInt("to", int64(onnxbuild.Float))),
			onnxbuild.NewNode("ReduceMax", []string{"f"}, []string{"sentence_embedding"}, onnxbuild.AttrInts("axes", []int64{1}), onnxbuild.AttrInt("keepdims", 1)),
		}, nil, onnxbuild.TensorValue("sentence_embedding", onnxbuild.Float, onnxbuild.N, onnxbuild.D(1)))
	task := hfLookupIn(t, dir, "m")
	pool := NewPool(FlavorCPU)
	t.Cleanup(func() { pool.Close() })
	if _, err := pool.Session(context.Background(), task, Placement{Device: "cpu", Threads: 1}); err != nil {
		t.Fatalf("CLS-pooled sentence-transformers export with only sentence_embedding: %v", err)
	}
}

// modules.json decides normalisation: sentence-transformers normalises only through a
// Normalize module; task.json still overrides. A pooling mode duckinfer cannot do is
// refused at lookup, naming it, unless task.json names the output to read.
// Pins: modules.json and the Pooling config were ignored (always mean, normalised).
func TestHFFidelitySentenceTransformersModules(t *testing.T) {
	noNormalize := func(folder string) {
		os.WriteFile(filepath.Join(folder, "modules.json"), []byte(`[
  {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
  {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"}
]`), 0o644)
	}
	for _, c := range []struct {
		name     string
		pooling  map[string]any
		edit     func(folder string)
		taskJSON string
		want     bool   // normalize
		err      string // a lookup error holding this
	}{
		{"Normalize module", map[string]any{"pooling_mode_mean_tokens": true}, nil, "", true, ""},
		{"no Normalize module", map[string]any{"pooling_mode_mean_tokens": true}, noNormalize, "", false, ""},
		{"task.json overrides", map[string]any{"pooling_mode_mean_tokens": true}, noNormalize, `{"normalize": true}`, true, ""},
		{"max pooling", map[string]any{"pooling_mode_max_tokens": true}, nil, "", false, "pooling_mode_max_tokens"},
		{"mean and max", map[string]any{"pooling_mode_mean_tokens": true, "pooling_mode_max_tokens": true}, nil, "", false, "pooling_mode_max_tokens + pooling_mode_mean_tokens"},
		{"max pooling, output named", map[string]any{"pooling_mode_max_tokens": true}, nil, `{"output": "last_hidden_state"}`, true, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			folder := copyHF(t, "bert_embed", dir, "m")
			hfFidSentenceTransformers(t, folder, c.pooling, 128)
			if c.edit != nil {
				c.edit(folder)
			}
			if c.taskJSON != "" {
				os.WriteFile(filepath.Join(folder, "task.json"), []byte(c.taskJSON), 0o644)
			}
			task := hfLookupOrRefused(t, dir, c.err)
			if task == nil {
				return
			}
			if got := task.Config.Normalize == nil || *task.Config.Normalize; got != c.want { // nil: the default, true
				t.Errorf("normalize %v, want %v", got, c.want)
			}
		})
	}
}

// hfFidTwoOutputModel writes a model with token_embeddings [N, S, 2] = (id, 1) per
// token and sentence_embedding [N, 2], the first token's.
func hfFidTwoOutputModel(t *testing.T, path string) {
	t.Helper()
	g := &onnxbuild.Graph{
		Name: "m",
		Nodes: []*onnxbuild.Node{
			onnxbuild.NewNode("Cast", []string{"input_ids"}, []string{"f"}, onnxbuild.AttrInt("to", int64(onnxbuild.Float))),
			onnxbuild.NewNode("Unsqueeze", []string{"f", "ax2"}, []string{"u"}),
			onnxbuild.NewNode("Mul", []string{"u", "zero"}, []string{"z"}),
			onnxbuild.NewNode("Add", []string{"z", "one"}, []string{"o"}),
			onnxbuild.NewNode("Concat", []string{"u", "o"}, []string{"token_embeddings"}, onnxbuild.AttrInt("axis", 2)),
			onnxbuild.NewNode("Gather", []string{"token_embeddings", "first"}, []string{"sentence_embedding"}, onnxbuild.AttrInt("axis", 1)),
		},
		Initializers: []*onnxbuild.Tensor{
			onnxbuild.Int64Tensor("ax2", []int64{1}, []int64{2}),
			onnxbuild.FloatTensor("zero", []int64{1}, []float32{0}),
			onnxbuild.FloatTensor("one", []int64{1}, []float32{1}),
			onnxbuild.Int64Tensor("first", []int64{}, []int64{0}),
		},
		Inputs: []*onnxbuild.ValueInfo{
			onnxbuild.TensorValue("input_ids", onnxbuild.Int64, onnxbuild.N, onnxbuild.Sym("S")),
			onnxbuild.TensorValue("attention_mask", onnxbuild.Int64, onnxbuild.N, onnxbuild.Sym("S")),
			onnxbuild.TensorValue("token_type_ids", onnxbuild.Int64, onnxbuild.N, onnxbuild.Sym("S")),
		},
		Outputs: []*onnxbuild.ValueInfo{
			onnxbuild.TensorValue("token_embeddings", onnxbuild.Float, onnxbuild.N, onnxbuild.Sym("S"), onnxbuild.D(2)),
			onnxbuild.TensorValue("sentence_embedding", onnxbuild.Float, onnxbuild.N, onnxbuild.D(2)),
		},
	}
	b, err := onnxbuild.NewModel(g).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// Pins: an explicit "pooling": "mean" in task.json read the model's own
// sentence_embedding (a CLS vector here) once that output came first, and a query's
// pooling := 'mean' over it was taken, returning the model's pooling under the name.
// A user's pooling, in task.json, reads token vectors where the model has them; a
// query's pooling over a task that reads pooled vectors is refused unless it is what
// the sentence-transformers Pooling module says the model did.
func TestHFFidelityExplicitMeanReadsTokenVectors(t *testing.T) {
	dir := t.TempDir()
	folder := copyHF(t, "bert_embed", dir, "m")
	hfFidTwoOutputModel(t, filepath.Join(folder, "onnx", "model.onnx"))
	os.WriteFile(filepath.Join(folder, "task.json"), []byte(`{"normalize": false, "pooling": "mean"}`), 0o644)
	task := hfLookupIn(t, dir, "m")
	s := hfFidSession(t, task)
	in, out := loadTexts(t, task, "the food was great")
	if err := s.Predict(context.Background(), in, 0, 1, out); err != nil {
		t.Fatal(err)
	}
	if got := out.(*EmbedData).Row(0); got[0] == 2 {
		t.Errorf("output %q: embedding %v is the first token's ([CLS] = 2), though task.json asks for mean pooling", task.OutputName(), got)
	}

	// Without task.json the task reads sentence_embedding; a query's pooling over it
	// cannot be honoured.
	os.Remove(filepath.Join(folder, "task.json"))
	task = hfLookupIn(t, dir, "m")
	pool := NewPool(FlavorCPU)
	defer pool.Close()
	if err := pool.Check(context.Background(), task); err != nil {
		t.Fatal(err)
	}
	if task.OutputName() != "sentence_embedding" {
		t.Fatalf("reads %q, want sentence_embedding", task.OutputName())
	}
	for _, p := range []string{PoolingMean, PoolingCLS} {
		if err := pool.CheckPooling(task, p); err == nil || !strings.Contains(err.Error(), "already pooled") {
			t.Errorf("a query's pooling '%s' over sentence_embedding: %v; want a refusal", p, err)
		}
	}
	if err := pool.CheckPooling(task, ""); err != nil {
		t.Errorf("no pooling asked: %v", err)
	}
}

// Pins: texts reached a sentence-transformers folder's tokenizer unstripped and, under
// do_lower_case, not lowercased.
// SentenceTransformer.encode strips each text and, when sentence_bert_config.json says
// "do_lower_case": true, lowercases it before the tokenizer sees it
// (sentence_transformers.models.Transformer.tokenize): "  Hello World " and
// "hello world" are the same input to it.
func TestHFFidelitySentenceTransformersTextPreparation(t *testing.T) {
	for _, c := range []struct {
		name  string
		lower bool
		texts []string
	}{
		{"strip", false, []string{"hello world", "  hello world "}},
		{"do_lower_case", true, []string{"hello world", "Hello World"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			folder := copyHF(t, "xlmr_embed", dir, "m")
			hfFidSentenceTransformers(t, folder, map[string]any{"pooling_mode_mean_tokens": true}, 128)
			hfEditJSON(t, folder, "sentence_bert_config.json", func(d map[string]any) { d["do_lower_case"] = c.lower })
			task := hfLookupIn(t, dir, "m")
			in, _ := loadTexts(t, task, c.texts...)
			d := in[0].(*TextData)
			row := func(i int) []int32 { return d.enc.IDs[d.start[i] : d.start[i]+d.n[i]] }
			if !slices.Equal(row(0), row(1)) {
				t.Errorf("%q → %v, %q → %v; sentence-transformers feeds both the same ids", c.texts[0], row(0), c.texts[1], row(1))
			}
		})
	}
}

// A sentence-transformers folder whose modules.json lists a Dense projection after
// pooling (LaBSE, many distilled and multilingual models): SentenceTransformer.encode
// returns the projected vector. Pooling the model's token vectors skips it, so such a
// task is refused at check unless the model has its own sentence_embedding (an Optimum
// export, which includes the projection) or task.json names the output to read.
// Pins: the Dense module was ignored and token vectors pooled: other vectors than
// sentence-transformers', of another width, with no error.
func TestHFFidelitySentenceTransformersDenseModule(t *testing.T) {
	for _, c := range []struct {
		name      string
		twoOutput bool // token_embeddings and sentence_embedding
		taskJSON  string
		err       bool
		output    string
	}{
		{"token vectors only", false, "", true, ""},
		{"token vectors, user pooling", false, `{"pooling": "mean"}`, true, ""},
		{"own sentence_embedding", true, "", false, "sentence_embedding"},
		{"output named", false, `{"output": "last_hidden_state"}`, false, "last_hidden_state"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			folder := copyHF(t, "bert_embed", dir, "m")
			hfFidSentenceTransformers(t, folder, map[string]any{"pooling_mode_mean_tokens": true}, 128)
			hfFidModuleAfterPooling(t, folder, "Dense")
			if c.twoOutput {
				hfFidTwoOutputModel(t, filepath.Join(folder, "onnx", "model.onnx"))
			}
			if c.taskJSON != "" {
				os.WriteFile(filepath.Join(folder, "task.json"), []byte(c.taskJSON), 0o644)
			}
			task := hfLookupIn(t, dir, "m")
			pool := NewPool(FlavorCPU)
			t.Cleanup(func() { pool.Close() })
			err := pool.Check(context.Background(), task)
			if c.err {
				if err == nil || !strings.Contains(err.Error(), `Dense ("2_Dense")`) || !strings.Contains(err.Error(), "sentence_embedding") {
					t.Fatalf("check: %v; want a refusal naming the Dense module and the sentence_embedding way out", err)
				}
				t.Log(err)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := task.OutputName(); got != c.output {
				t.Errorf("reads output %q, want %q", got, c.output)
			}
		})
	}
}

// config_sentence_transformers.json's default_prompt_name: SentenceTransformer.encode
// puts that prompt before every text (then strips it), so "the food" is encoded as
// "query: the food". Without a default (null) no prompt is used; a default that is
// not among the prompts fails SentenceTransformer's load and our lookup; a Pooling
// module that leaves the prompt's tokens out (include_prompt: false) is refused.
// Pins: the file was not read, and such a model's vectors were of the bare text.
func TestHFFidelitySentenceTransformersDefaultPrompt(t *testing.T) {
	for _, c := range []struct {
		name, config string
		noPrompt     bool // Pooling include_prompt: false
		same         string
		err          string
	}{
		{"default prompt", `{"prompts": {"query": "query: ", "document": ""}, "default_prompt_name": "query"}`, false, "query: the food", ""},
		{"no default", `{"prompts": {"query": "query: "}, "default_prompt_name": null}`, false, "the food", ""},
		{"unknown default", `{"prompts": {"query": "query: "}, "default_prompt_name": "passage"}`, false, "", `default_prompt_name "passage"`},
		{"prompt left out of pooling", `{"prompts": {"query": "query: "}, "default_prompt_name": "query"}`, true, "", "include_prompt"},
		{"no default, prompt left out of pooling", `{"prompts": {"query": "query: "}, "default_prompt_name": null}`, true, "the food", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			folder := copyHF(t, "xlmr_embed", dir, "m")
			hfFidSentenceTransformers(t, folder, map[string]any{"pooling_mode_mean_tokens": true, "include_prompt": !c.noPrompt}, 128)
			os.WriteFile(filepath.Join(folder, "config_sentence_transformers.json"), []byte(c.config), 0o644)
			task := hfLookupOrRefused(t, dir, c.err)
			if task == nil {
				return
			}
			// The same folder without the file, fed the text SentenceTransformer encodes.
			plainDir := t.TempDir()
			plain := copyHF(t, "xlmr_embed", plainDir, "m")
			hfFidSentenceTransformers(t, plain, map[string]any{"pooling_mode_mean_tokens": true}, 128)
			in, _ := loadTexts(t, task, "the food ")
			want, _ := loadTexts(t, hfLookupIn(t, plainDir, "m"), c.same)
			got, exp := in[0].(*TextData), want[0].(*TextData)
			if g, w := got.enc.IDs[got.start[0]:got.start[0]+got.n[0]], exp.enc.IDs[exp.start[0]:exp.start[0]+exp.n[0]]; !slices.Equal(g, w) {
				t.Errorf("\"the food \" → %v; SentenceTransformer.encode feeds %q → %v", g, c.same, w)
			}
		})
	}
}

// hfLookupOrRefused looks task "m" up in dir. When refusal is not "", the lookup must
// fail with an error holding it, and the task is nil.
func hfLookupOrRefused(t *testing.T, dir, refusal string) *Task {
	t.Helper()
	reg, err := NewRegistry(dir)
	if err != nil {
		t.Fatal(err)
	}
	task, err := reg.Lookup("m")
	if refusal != "" {
		if err == nil || !strings.Contains(err.Error(), refusal) {
			t.Fatalf("lookup: %v; want an error naming %s", err, refusal)
		}
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return task
}

// hfFidModuleAfterPooling lists module typ (in 2_<typ>) between the Pooling and
// Normalize modules of folder's modules.json.
func hfFidModuleAfterPooling(t *testing.T, folder, typ string) {
	t.Helper()
	err := os.WriteFile(filepath.Join(folder, "modules.json"), []byte(`[
  {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
  {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
  {"idx": 2, "name": "2", "path": "2_`+typ+`", "type": "sentence_transformers.models.`+typ+`"},
  {"idx": 3, "name": "3", "path": "3_Normalize", "type": "sentence_transformers.models.Normalize"}
]`), 0o644)
	if err != nil {
		t.Fatal(err)
	}
}
