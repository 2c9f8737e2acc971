package models

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/duckinfer/duckinfer/internal/onnxbuild"
	"github.com/duckinfer/duckinfer/internal/tokenizer"
)

var hfModels = filepath.Join("..", "..", "testdata", "hf", "models")

// copyHF copies a Hugging Face fixture folder (config, tokenizer, model) to dir/name.
func copyHF(t *testing.T, from, dir, name string) string {
	t.Helper()
	to := filepath.Join(dir, name)
	src := filepath.Join(hfModels, from)
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		os.MkdirAll(filepath.Dir(filepath.Join(to, rel)), 0o755)
		return os.WriteFile(filepath.Join(to, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return to
}

// A folder with config.json, tokenizer.json and the model is a task without task.json;
// config.json decides the kind, labels and padding id, tokenizer_config.json (else
// max_position_embeddings) the maximum length.
func TestHFFolderTasks(t *testing.T) {
	reg, err := NewRegistry(hfModels)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, kind, model, scores string
		labels                    []string
		maxLen                    int
		pad                       int64
	}{
		{"bert_sentiment", OutputClassify, "model.onnx", ScoresLogits, []string{"negative", "positive"}, 128, 0},
		{"bert_embed", OutputEmbed, "onnx/model.onnx", "", nil, 128, 0}, // no tokenizer_config: max_position_embeddings
		{"roberta_topics", OutputClassify, "onnx/model.onnx", ScoresSigmoid, []string{"service", "food", "price"}, 128, 1},
		{"xlmr_embed", OutputEmbed, "model.onnx", "", nil, 128, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			task, err := reg.Lookup(c.name)
			if err != nil {
				t.Fatal(err)
			}
			cfg := task.Config
			if cfg.Kind != c.kind || cfg.Model != c.model || cfg.Scores != c.scores || !slices.Equal(cfg.Labels, c.labels) ||
				cfg.MaxLength != c.maxLen || task.padID != c.pad || !slices.Equal(cfg.Columns(), []string{"text"}) {
				t.Fatalf("got kind %q model %q scores %q labels %v max_length %d pad %d columns %v", cfg.Kind, cfg.Model, cfg.Scores, cfg.Labels, cfg.MaxLength, task.padID, cfg.Columns())
			}
		})
	}
}

// A task.json beside the Hugging Face files overrides fields of the task it stands for.
func TestHFTaskJSONOverrides(t *testing.T) {
	dir := t.TempDir()
	folder := copyHF(t, "bert_sentiment", dir, "reviews")
	os.WriteFile(filepath.Join(folder, "task.json"), []byte(`{"max_length": 16, "inputs": [{"name": "input_ids", "columns": ["review"], "type": "text"}], "batch_size": 8}`), 0o644)
	reg, err := NewRegistry(dir)
	if err != nil {
		t.Fatal(err)
	}
	task, err := reg.Lookup("reviews")
	if err != nil {
		t.Fatal(err)
	}
	if c := task.Config; c.MaxLength != 16 || c.BatchSize != 8 || !slices.Equal(c.Columns(), []string{"review"}) || c.Kind != OutputClassify {
		t.Fatalf("override not applied: %+v", c)
	}
}

// An override is read as strictly as a task.json: a key given twice, or text after
// the object, is an error, and a key in another case replaces the generated one instead
// of losing to it.
func TestHFTaskJSONOverrideStrict(t *testing.T) {
	dir := t.TempDir()
	for name, js := range map[string]string{
		"twice":    `{"max_length": 16, "max_length": 32}`,
		"trailing": `{"max_length": 16} garbage`,
		"case":     `{"Max_Length": 16, "Batch_Size": 8}`,
	} {
		folder := copyHF(t, "bert_sentiment", dir, name)
		os.WriteFile(filepath.Join(folder, "task.json"), []byte(js), 0o644)
	}
	reg, err := NewRegistry(dir)
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{"twice": `"max_length" is given twice`, "trailing": "trailing data"} {
		if _, err := reg.Lookup(name); err == nil || !errors.Is(err, ErrTaskConfig) || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: got %v, want an error containing %q", name, err, want)
		}
	}
	task, err := reg.Lookup("case")
	if err != nil {
		t.Fatal(err)
	}
	if c := task.Config; c.MaxLength != 16 || c.BatchSize != 8 {
		t.Errorf("case-variant override: max_length %d batch_size %d, want 16 and 8", c.MaxLength, c.BatchSize)
	}
}

// Without tokenizer_config.json, a RoBERTa-style model's maximum is
// max_position_embeddings less the two positions its padding offset takes.
func TestHFMaxLengthFallback(t *testing.T) {
	dir := t.TempDir()
	folder := copyHF(t, "xlmr_embed", dir, "x")
	os.Remove(filepath.Join(folder, "tokenizer_config.json"))
	reg, _ := NewRegistry(dir)
	task, err := reg.Lookup("x")
	if err != nil {
		t.Fatal(err)
	}
	if task.Config.MaxLength != 128 { // max_position_embeddings 130
		t.Fatalf("max_length %d, want 128", task.Config.MaxLength)
	}
}

// A broken tokenizer.json fails the lookup with the file and the component named; a
// folder without tokenizer.json is not a Hugging Face task and asks for a task.json.
func TestHFBrokenFolders(t *testing.T) {
	dir := t.TempDir()
	folder := copyHF(t, "bert_embed", dir, "badtok")
	os.WriteFile(filepath.Join(folder, "tokenizer.json"), []byte(`{"model": {"type": "WordLevel", "vocab": {}}}`), 0o644)
	folder2 := copyHF(t, "bert_embed", dir, "notok")
	os.Remove(filepath.Join(folder2, "tokenizer.json"))
	reg, _ := NewRegistry(dir)
	_, err := reg.Lookup("badtok")
	if err == nil || !errors.Is(err, ErrTaskConfig) || !strings.Contains(err.Error(), `tokenizer.json: tokenizer.json: model: unsupported tokenizer component: model "WordLevel"`) {
		t.Errorf("badtok: %v", err)
	}
	_, err = reg.Lookup("notok")
	if err == nil || !strings.Contains(err.Error(), "has no task.json") || !strings.Contains(err.Error(), "Hugging Face folder") {
		t.Errorf("notok: %v", err)
	}
}

// The model's declared inputs decide what is fed: BERT gets token_type_ids, RoBERTa
// does not; an embed task finds last_hidden_state itself; editing tokenizer.json
// makes a new snapshot.
func TestHFModelCheck(t *testing.T) {
	dir := t.TempDir()
	copyHF(t, "bert_embed", dir, "b")
	folder := copyHF(t, "roberta_topics", dir, "r")
	reg, _ := NewRegistry(dir)
	pool := NewPool(FlavorCPU)
	t.Cleanup(func() { pool.Close() })
	for name, want := range map[string][]string{"b": {"input_ids", "attention_mask", "token_type_ids"}, "r": {"input_ids", "attention_mask"}} {
		task, err := reg.Lookup(name)
		if err != nil {
			t.Fatal(err)
		}
		if err := pool.Check(context.Background(), task); err != nil {
			t.Fatal(err)
		}
		if got := task.modelInputs(); !slices.Equal(got, want) {
			t.Errorf("%s feeds %v, want %v", name, got, want)
		}
	}
	b, _ := reg.Lookup("b")
	if b.OutputName() != "last_hidden_state" || b.OutputWidth() != 32 {
		t.Errorf("embed output %q width %d", b.OutputName(), b.OutputWidth())
	}
	before, _ := reg.Lookup("r")
	data, _ := os.ReadFile(filepath.Join(folder, "tokenizer.json"))
	writeAtomically(t, filepath.Join(folder, "tokenizer.json"), append(data, ' '))
	after, _ := reg.Lookup("r")
	if before == after {
		t.Errorf("a changed tokenizer.json kept the old snapshot")
	}
}

// A model input a text task cannot feed is an error at the model check that names it.
func TestHFUnfedInput(t *testing.T) {
	dir := t.TempDir()
	folder := copyHF(t, "bert_embed", dir, "extra")
	g := &onnxbuild.Graph{
		Name:  "extra",
		Nodes: []*onnxbuild.Node{onnxbuild.NewNode("Cast", []string{"input_ids"}, []string{"sentence_embedding"}, onnxbuild.AttrInt("to", int64(onnxbuild.Float)))},
		Inputs: []*onnxbuild.ValueInfo{
			onnxbuild.TensorValue("input_ids", onnxbuild.Int64, onnxbuild.N, onnxbuild.Sym("S")),
			onnxbuild.TensorValue("pixel_values", onnxbuild.Float, onnxbuild.N, onnxbuild.D(3)),
		},
		Outputs: []*onnxbuild.ValueInfo{onnxbuild.TensorValue("sentence_embedding", onnxbuild.Float, onnxbuild.N, onnxbuild.Sym("S"))},
	}
	b, err := onnxbuild.NewModel(g).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(folder, "onnx", "model.onnx"), b, 0o644)
	reg, _ := NewRegistry(dir)
	task, err := reg.Lookup("extra")
	if err != nil {
		t.Fatal(err)
	}
	pool := NewPool(FlavorCPU)
	t.Cleanup(func() { pool.Close() })
	err = pool.Check(context.Background(), task)
	if err == nil || !strings.Contains(err.Error(), `the model declares input "pixel_values", which nothing feeds`) {
		t.Fatalf("got %v", err)
	}
}

// Sorted rows are cut before a row over twice the batch's first length (from 8
// tokens), and after at most the batch size; padding "chunk" cuts by rows only.
func TestTextBatchEnd(t *testing.T) {
	d := &TextData{n: []int32{3, 5, 9, 16, 17, 40, 80, 81, 128}}
	var cuts []int
	for lo := 0; lo < len(d.n); lo = d.BatchEnd(lo, 256) {
		cuts = append(cuts, lo)
	}
	if want := []int{0, 4, 5, 7}; !slices.Equal(cuts, want) {
		t.Errorf("bucket cuts %v, want %v", cuts, want)
	}
	if got := d.BatchEnd(0, 2); got != 2 {
		t.Errorf("batch of 2 rows ends at %d", got)
	}
	d.chunk = true
	if got := d.BatchEnd(0, 256); got != len(d.n) {
		t.Errorf("chunk padding ends the batch at %d, want %d", got, len(d.n))
	}
	// Pins: a model without attention_mask got rows padded to their batch-mates'.
	// Without an attention mask, a batch holds one token count only, in both modes.
	for _, chunk := range []bool{false, true} {
		m := &TextData{n: []int32{3, 3, 3, 5, 9, 9}, noPad: true, chunk: chunk}
		cuts = cuts[:0]
		for lo := 0; lo < len(m.n); lo = m.BatchEnd(lo, 2) {
			cuts = append(cuts, lo)
			if w := m.width(lo, m.BatchEnd(lo, 2)); w != int(m.n[lo]) {
				t.Errorf("chunk %v: batch at %d is %d wide, its rows %d", chunk, lo, w, m.n[lo])
			}
		}
		if want := []int{0, 2, 3, 4}; !slices.Equal(cuts, want) {
			t.Errorf("chunk %v: no-mask cuts %v, want %v", chunk, cuts, want)
		}
	}
}

// Pins: config.json without id2label was refused. transformers' defaults apply:
// LABEL_0..LABEL_{k-1}, k from num_labels (or the older _num_labels), else 2; one
// label is scored by its sigmoid, as the text-classification pipeline does.
func TestHFDefaultLabels(t *testing.T) {
	for _, c := range []struct {
		extra, scores string
		labels        []string
	}{
		{``, ScoresLogits, []string{"LABEL_0", "LABEL_1"}},
		{`, "num_labels": 3`, ScoresLogits, []string{"LABEL_0", "LABEL_1", "LABEL_2"}},
		{`, "_num_labels": 3`, ScoresLogits, []string{"LABEL_0", "LABEL_1", "LABEL_2"}},
		{`, "num_labels": 1`, ScoresSigmoid, []string{"LABEL_0"}},
		{`, "id2label": {"0": "relevance"}`, ScoresSigmoid, []string{"relevance"}},
		{`, "num_labels": 5, "id2label": {"0": "no", "1": "yes"}`, ScoresLogits, []string{"no", "yes"}}, // id2label wins, as in transformers
	} {
		dir := t.TempDir()
		folder := copyHF(t, "bert_sentiment", dir, "x")
		os.WriteFile(filepath.Join(folder, "config.json"), []byte(`{"model_type": "bert", "architectures": ["BertForSequenceClassification"]`+c.extra+`}`), 0o644)
		reg, _ := NewRegistry(dir)
		task, err := reg.Lookup("x")
		if err != nil {
			t.Fatalf("%s: %v", c.extra, err)
		}
		if !slices.Equal(task.Config.Labels, c.labels) || task.Config.Scores != c.scores {
			t.Errorf("%s: labels %v scores %s, want %v %s", c.extra, task.Config.Labels, task.Config.Scores, c.labels, c.scores)
		}
	}
	dir := t.TempDir()
	folder := copyHF(t, "bert_sentiment", dir, "x")
	os.WriteFile(filepath.Join(folder, "config.json"), []byte(`{"model_type": "bert", "architectures": ["BertForSequenceClassification"], "num_labels": -1}`), 0o644)
	reg, _ := NewRegistry(dir)
	if _, err := reg.Lookup("x"); err == nil || !strings.Contains(err.Error(), "num_labels -1 is no class count") {
		t.Errorf("num_labels -1: %v", err)
	}
}

// Pins: the max_length fallback ignored the padding offset of MPNet and other models
// whose positions count from the padding id; config.json's pad_token_id sets it.
func TestHFPositionOffset(t *testing.T) {
	pad := func(p int64) *int64 { return &p }
	for _, c := range []struct {
		typ  string
		pad  *int64
		want int
	}{
		{"bert", nil, 0}, {"mpnet", nil, 2}, {"mpnet", pad(0), 2}, {"roberta", nil, 2}, {"roberta", pad(1), 2},
		{"xlm-roberta-xl", pad(1), 2}, {"data2vec-text", nil, 2}, {"ibert", nil, 2}, {"roberta-prelayernorm", nil, 2},
		{"xmod", nil, 2}, {"luke", nil, 2}, {"markuplm", nil, 2}, {"esm", pad(1), 2}, {"camembert", pad(0), 1},
	} {
		if got := positionOffset(c.typ, c.pad); got != c.want {
			t.Errorf("%s: offset %d, want %d", c.typ, got, c.want)
		}
	}
	// Rotary or relative positions do not bound the length; unknown models say nothing.
	if got := hfPositionLimit("esm", "rotary", 1026, pad(1)); got != 0 {
		t.Errorf("rotary esm: limit %d", got)
	}
	if got := hfPositionLimit("deberta-v2", "", 512, nil); got != 0 {
		t.Errorf("deberta-v2: limit %d", got)
	}
	if got := hfPositionLimit("roberta", "absolute", 514, pad(1)); got != 512 {
		t.Errorf("roberta: limit %d", got)
	}
}

// A task.json whose inputs take no text keeps its own task beside Hugging Face files:
// the folder's tokenizer fields are not forced on it.
func TestHFTaskJSONWithoutText(t *testing.T) {
	dir := t.TempDir()
	folder := copyHF(t, "bert_sentiment", dir, "ids")
	os.WriteFile(filepath.Join(folder, "task.json"), []byte(`{"inputs": [{"name": "input_ids", "type": "int64", "columns": ["ids"]}]}`), 0o644)
	reg, _ := NewRegistry(dir)
	task, err := reg.Lookup("ids")
	if err != nil {
		t.Fatal(err)
	}
	if task.Tokenizer() != nil || task.Config.MaxLength != 0 || task.Config.Inputs[0].Type != InputInt64 {
		t.Fatalf("got %+v", task.Config)
	}
}

// A Hugging Face folder's model is onnx/model.onnx when there is one, else model.onnx;
// adding onnx/model.onnx later is a new version of the task, seen by the next lookup.
func TestHFModelAddedLaterIsSeen(t *testing.T) {
	dir := t.TempDir()
	folder := copyHF(t, "bert_sentiment", dir, "reviews")
	reg, err := NewRegistry(dir)
	if err != nil {
		t.Fatal(err)
	}
	task, err := reg.Lookup("reviews")
	if err != nil || task.Config.Model != "model.onnx" {
		t.Fatalf("before: %v %v", task, err)
	}
	b, err := os.ReadFile(filepath.Join(folder, "model.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	os.Mkdir(filepath.Join(folder, "onnx"), 0o755)
	if err := os.WriteFile(filepath.Join(folder, "onnx", "model.onnx"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	again, err := reg.Lookup("reviews")
	if err != nil {
		t.Fatal(err)
	}
	if again.Config.Model != "onnx/model.onnx" {
		t.Errorf("after adding onnx/model.onnx the task still reads %s", again.Config.Model)
	}
}

// Defect pinned: a tokenizer.json whose WordPiece unk_token is missing loads (as the
// reference's does); a text that needs it fails its own row through bad, as a
// *ValueError naming the text, and the other rows keep their tokens.
func TestTextRowMissingUnk(t *testing.T) {
	tok, err := tokenizer.Parse([]byte(`{"pre_tokenizer":{"type":"WhitespaceSplit"},"model":{"type":"WordPiece","unk_token":"[UNK]","vocab":{"a":0,"##b":1,"ab":2}}}`))
	if err != nil {
		t.Fatal(err)
	}
	d := &TextData{tok: tok, feeds: []string{"input_ids"}}
	valid := []bool{true, true, true}
	failed := map[int]error{}
	if err := d.Load([]Column{&Values{ColName: "text", Strs: []string{"ab", "zz", "a ab"}}}, 3, valid, func(r int, err error) { failed[r] = err }); err != nil {
		t.Fatal(err)
	}
	var ve *ValueError
	if len(failed) != 1 || !errors.As(failed[1], &ve) || ve.Input != `"zz"` || !errors.Is(failed[1], tokenizer.ErrMissingUnk) || !errors.Is(failed[1], ErrInput) {
		t.Fatalf("failures %v, want row 1 only, a *ValueError for \"zz\" wrapping ErrMissingUnk and ErrInput", failed)
	}
	if !slices.Equal(valid, []bool{true, false, true}) || d.Len(0) != 1 || d.Len(1) != 0 || d.Len(2) != 2 {
		t.Errorf("valid %v, lengths %d %d %d; want row 1 dropped, rows 0 and 2 tokenized", valid, d.Len(0), d.Len(1), d.Len(2))
	}
}
