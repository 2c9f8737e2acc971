package extension

import (
	"database/sql"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/duckinfer/duckinfer/internal/onnxbuild"
)

// copyHFFolder copies a Hugging Face fixture folder to dir/name, leaving out
// expected.json and the files named in drop.
func copyHFFolder(t *testing.T, from, dir, name string, drop ...string) string {
	t.Helper()
	src := filepath.Join(hfDir, from)
	to := filepath.Join(dir, name)
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if rel == "expected.json" {
			return nil
		}
		for _, x := range drop {
			if rel == x {
				return nil
			}
		}
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

// Pins: a classifier config.json without id2label was refused ("labels" needs two).
// A BertForSequenceClassification whose config.json has no id2label (transformers then
// gives it its default labels LABEL_0, LABEL_1, and config.json written by
// save_pretrained leaves such defaults out) classifies as transformers' pipeline does:
// softmax over the two logits, labels LABEL_0 and LABEL_1.
func TestHFNoID2LabelIsDefaultLabels(t *testing.T) {
	dir := t.TempDir()
	folder := copyHFFolder(t, "bert_sentiment", dir, "nolabels")
	os.WriteFile(filepath.Join(folder, "config.json"), []byte(`{"model_type": "bert", "vocab_size": 1838, "hidden_size": 32, "max_position_embeddings": 128, "pad_token_id": 0, "architectures": ["BertForSequenceClassification"]}`), 0o644)
	db, _ := open(t, WithTaskDirs(dir))
	exp := readExpected(t, "bert_sentiment")
	var label, conf string
	textTable(t, db, "texts", exp.Texts[3:4])
	err := db.QueryRow(`SELECT predicted_class, confidence FROM ml_predict('nolabels', 'texts') WHERE id = 0`).Scan(&label, &conf)
	if err != nil {
		t.Fatalf("transformers classifies with labels LABEL_0, LABEL_1; duckinfer: %v", err)
	}
	want := map[string]string{"negative": "LABEL_0", "positive": "LABEL_1"}[exp.PredictedClass[3]]
	c, _ := strconv.ParseFloat(conf, 64)
	if label != want || math.Abs(c-exp.Confidence[3]) > 1e-4 {
		t.Fatalf("got %s %s, want %s %.6f", label, conf, want, exp.Confidence[3])
	}
}

// oneLogitModel is a text classifier with a single logit per row: the row's token
// count less 4.
func oneLogitModel(t *testing.T) []byte {
	t.Helper()
	g := &onnxbuild.Graph{
		Name: "one",
		Nodes: []*onnxbuild.Node{
			onnxbuild.NewNode("Cast", []string{"attention_mask"}, []string{"m"}, onnxbuild.AttrInt("to", int64(onnxbuild.Float))),
			onnxbuild.NewNode("ReduceSum", []string{"m", "axes"}, []string{"s"}, onnxbuild.AttrInt("keepdims", 1)),
			onnxbuild.NewNode("Sub", []string{"s", "four"}, []string{"logits"}),
		},
		Initializers: []*onnxbuild.Tensor{
			onnxbuild.Int64Tensor("axes", []int64{1}, []int64{1}),
			onnxbuild.FloatTensor("four", nil, []float32{4}),
		},
		Inputs: []*onnxbuild.ValueInfo{
			onnxbuild.TensorValue("input_ids", onnxbuild.Int64, onnxbuild.N, onnxbuild.Sym("S")),
			onnxbuild.TensorValue("attention_mask", onnxbuild.Int64, onnxbuild.N, onnxbuild.Sym("S")),
		},
		Outputs: []*onnxbuild.ValueInfo{onnxbuild.TensorValue("logits", onnxbuild.Float, onnxbuild.N, onnxbuild.D(1))},
	}
	b, err := onnxbuild.NewModel(g).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Pins: a one-label classifier was refused instead of scored by a sigmoid.
// A ForSequenceClassification model with one label (num_labels 1: a score or
// reranker head) gets transformers' text-classification answer: its one label, scored
// by the sigmoid of the logit ("If the model has a single label, will apply the
// sigmoid function on the output").
func TestHFSingleLabelIsSigmoid(t *testing.T) {
	dir := t.TempDir()
	folder := copyHFFolder(t, "bert_sentiment", dir, "score", "model.onnx")
	os.WriteFile(filepath.Join(folder, "model.onnx"), oneLogitModel(t), 0o644)
	os.WriteFile(filepath.Join(folder, "config.json"), []byte(`{"model_type": "bert", "max_position_embeddings": 128, "pad_token_id": 0, "architectures": ["BertForSequenceClassification"], "id2label": {"0": "LABEL_0"}, "label2id": {"LABEL_0": 0}}`), 0o644)
	db, _ := open(t, WithTaskDirs(dir))
	var label, conf string
	// "the food was good": [CLS] the food was good [SEP], 6 tokens: logit 2.
	if err := db.QueryRow(`SELECT predicted_class, confidence FROM ml_predict('score', 'SELECT ''the food was good'' AS text')`).Scan(&label, &conf); err != nil {
		t.Fatalf("transformers scores it LABEL_0 %.6f; duckinfer: %v", 1/(1+math.Exp(-2)), err)
	}
	c, _ := strconv.ParseFloat(conf, 64)
	if want := 1 / (1 + math.Exp(-2)); label != "LABEL_0" || math.Abs(c-want) > 1e-5 {
		t.Fatalf("got %s %s, want LABEL_0 %.6f", label, conf, want)
	}
	// probabilities := true: the one label and its sigmoid.
	var keys string
	var p float64
	q := `SELECT map_keys(probabilities)::VARCHAR, map_values(probabilities)[1] FROM ml_predict('score', 'SELECT ''the food was good'' AS text', probabilities := true)`
	if err := db.QueryRow(q).Scan(&keys, &p); err != nil {
		t.Fatal(err)
	}
	if want := 1 / (1 + math.Exp(-2)); keys != "[LABEL_0]" || math.Abs(p-want) > 1e-5 {
		t.Fatalf("probabilities %s %g, want [LABEL_0] %.6f", keys, p, want)
	}
}

// Pins: MPNet's max_length fallback ignored its padding offset (ORT Gather error).
// An MPNet folder without tokenizer_config.json: MPNet counts positions from the
// padding id as RoBERTa does (max_position_embeddings 514 for 512 tokens), so a long
// text is truncated to max_position_embeddings - 2 tokens, not failed by the model.
func TestHFMPNetMaxLength(t *testing.T) {
	dir := t.TempDir()
	folder := copyHFFolder(t, "xlmr_embed", dir, "mpnet", "tokenizer_config.json")
	os.WriteFile(filepath.Join(folder, "config.json"), []byte(`{"model_type": "mpnet", "architectures": ["MPNetModel"], "max_position_embeddings": 130, "pad_token_id": 1}`), 0o644)
	db, _ := open(t, WithTaskDirs(dir))
	var n int
	if err := db.QueryRow(`SELECT len(embedding) FROM ml_embed('mpnet', 'SELECT repeat(''good '', 300) AS text')`).Scan(&n); err != nil {
		t.Fatalf("a long text: %v", err)
	}
}

// noMaskModel is an embedder that takes input_ids only (no attention_mask, as a
// model exported with torch.onnx.export(model, (input_ids,)) does): each token's
// vector is its id plus the mean id of the whole sequence it was given, so padding the
// sequence changes every vector.
func noMaskModel(t *testing.T) []byte {
	t.Helper()
	g := &onnxbuild.Graph{
		Name: "nomask",
		Nodes: []*onnxbuild.Node{
			onnxbuild.NewNode("Cast", []string{"input_ids"}, []string{"x"}, onnxbuild.AttrInt("to", int64(onnxbuild.Float))),
			onnxbuild.NewNode("ReduceMean", []string{"x"}, []string{"m"}, onnxbuild.AttrInts("axes", []int64{1}), onnxbuild.AttrInt("keepdims", 1)),
			onnxbuild.NewNode("Add", []string{"x", "m"}, []string{"y"}),
			onnxbuild.NewNode("Unsqueeze", []string{"y", "two"}, []string{"last_hidden_state"}),
		},
		Initializers: []*onnxbuild.Tensor{onnxbuild.Int64Tensor("two", []int64{1}, []int64{2})},
		Inputs:       []*onnxbuild.ValueInfo{onnxbuild.TensorValue("input_ids", onnxbuild.Int64, onnxbuild.N, onnxbuild.Sym("S"))},
		Outputs:      []*onnxbuild.ValueInfo{onnxbuild.TensorValue("last_hidden_state", onnxbuild.Float, onnxbuild.N, onnxbuild.Sym("S"), onnxbuild.D(1))},
	}
	b, err := onnxbuild.NewModel(g).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Pins: rows of a model without attention_mask were padded to their batch-mates.
// A model without an attention_mask input cannot tell padding from text: a row's
// embedding must then not depend on the other rows of its batch (no padding leak).
// "hi" alone and "hi" batched beside a longer text must get the same vector.
func TestHFNoMaskModelNoPaddingLeak(t *testing.T) {
	dir := t.TempDir()
	folder := copyHFFolder(t, "bert_embed", dir, "nomask")
	os.WriteFile(filepath.Join(folder, "onnx", "model.onnx"), noMaskModel(t), 0o644)
	// The same model padding every batch to the chunk's longest ("chunk").
	chunk := copyHFFolder(t, "bert_embed", dir, "nomask_chunk")
	os.WriteFile(filepath.Join(chunk, "onnx", "model.onnx"), noMaskModel(t), 0o644)
	os.WriteFile(filepath.Join(chunk, "task.json"), []byte(`{"padding": "chunk"}`), 0o644)
	db, _ := open(t, WithTaskDirs(dir))
	textTable(t, db, "alone", []string{"hi"})
	textTable(t, db, "mixed", []string{"hi", "the food was good and the service", "hi there", "the food", "good and the service was"})
	for _, task := range []string{"nomask", "nomask_chunk"} {
		t.Run(task, func(t *testing.T) { noPaddingLeak(t, db, task) })
	}
}

func noPaddingLeak(t *testing.T, db *sql.DB, task string) {
	q := func(table string) float64 {
		// Every row of the table is embedded (a WHERE on id would reach the input scan).
		rows, err := db.Query(`SELECT id, embedding FROM ml_embed('` + task + `', '` + table + `', normalize := false, batch_size := 64)`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		v := math.NaN()
		for rows.Next() {
			var id int
			var emb any
			if err := rows.Scan(&id, &emb); err != nil {
				t.Fatal(err)
			}
			if id == 0 {
				v = floats(t, emb)[0]
			}
		}
		return v
	}
	alone, mixed := q("alone"), q("mixed")
	if math.Abs(alone-mixed) > 1e-4*math.Abs(alone) {
		t.Fatalf(`"hi" alone: %g; batched beside a longer text: %g`, alone, mixed)
	}
}

// A max_length past the model's position embeddings is refused at bind with the limit
// named, not failed row by row by an index error inside the model.
func TestHFMaxLengthPastPositions(t *testing.T) {
	db, _ := open(t, WithTaskDirs(hfDir))
	var n int
	// bert_embed: max_position_embeddings 128; xlmr_embed: 130, less RoBERTa's 2.
	for task, limit := range map[string]int{"bert_embed": 128, "xlmr_embed": 128} {
		err := db.QueryRow(`SELECT count(*) FROM ml_embed('` + task + `', 'SELECT ''good'' AS text', max_length := ` + strconv.Itoa(limit) + `)`).Scan(&n)
		if err != nil {
			t.Fatalf("%s, max_length %d: %v", task, limit, err)
		}
		err = db.QueryRow(`SELECT count(*) FROM ml_embed('` + task + `', 'SELECT ''good'' AS text', max_length := ` + strconv.Itoa(limit+1) + `)`).Scan(&n)
		if err == nil || !strings.Contains(err.Error(), "use at most "+strconv.Itoa(limit)) {
			t.Fatalf("%s, max_length %d: got %v, want a bind error naming %d", task, limit+1, err, limit)
		}
	}
}

// A Hugging Face folder whose num_labels disagrees with the model's logits is told so
// in the folder's own terms: before, the error said "task.json lists 3 labels" for a
// folder that has no task.json.
func TestHFLabelCountMismatchNamesConfig(t *testing.T) {
	dir := t.TempDir()
	folder := copyHFFolder(t, "bert_sentiment", dir, "three")
	os.WriteFile(filepath.Join(folder, "config.json"), []byte(`{"model_type": "bert", "vocab_size": 1838, "hidden_size": 32, "max_position_embeddings": 128, "pad_token_id": 0, "num_labels": 3, "architectures": ["BertForSequenceClassification"]}`), 0o644)
	db, _ := open(t, WithTaskDirs(dir))
	_, err := db.Exec(`SELECT * FROM ml_predict('three', 'SELECT ''good'' AS text')`)
	if err == nil || strings.Contains(err.Error(), "task.json lists") || !strings.Contains(err.Error(), "num_labels") {
		t.Fatalf("got %v; want the mismatch named with config.json's num_labels", err)
	}
}
