package extension

import (
	"context"
	"database/sql"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// hfDir holds Hugging Face folders (config.json, tokenizer.json, ONNX model, no
// task.json) made by testdata/hf/gen_models.py, with PyTorch's outputs in expected.json.
var hfDir = filepath.Join("..", "testdata", "hf", "models")

type hfExpected struct {
	Texts          []string    `json:"texts"`
	PredictedClass []string    `json:"predicted_class"`
	Confidence     []float64   `json:"confidence"`
	Probabilities  [][]float64 `json:"probabilities"`
	Mean           [][]float64 `json:"mean"`
	CLS            [][]float64 `json:"cls"`
	MeanRaw        [][]float64 `json:"mean_raw"`
}

func readExpected(t testing.TB, task string) hfExpected {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(hfDir, task, "expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	var e hfExpected
	if err := json.Unmarshal(data, &e); err != nil {
		t.Fatal(err)
	}
	return e
}

// textTable creates table name(id, text) holding texts, with a NULL text as the last row.
func textTable(t testing.TB, db *sql.DB, name string, texts []string) {
	t.Helper()
	exec(t, db, `CREATE OR REPLACE TABLE `+name+` (id INTEGER, text VARCHAR)`)
	for i, s := range texts {
		if _, err := db.Exec(`INSERT INTO `+name+` VALUES (?, ?)`, i, s); err != nil {
			t.Fatal(err)
		}
	}
	exec(t, db, `INSERT INTO `+name+` VALUES (`+strconv.Itoa(len(texts))+`, NULL)`)
}

// Classifier folders give PyTorch's label for every text (hard cases, UCI sentences, a
// long text truncated to the model's 128 tokens) and its probability within 1e-4, in
// several batch sizes (so several padded batches per chunk); a NULL text keeps its row
// with NULL outputs.
func TestHFClassifierSQL(t *testing.T) {
	db, _ := open(t, WithTaskDirs(hfDir))
	for _, task := range []string{"bert_sentiment", "roberta_topics"} {
		exp := readExpected(t, task)
		textTable(t, db, "texts", exp.Texts)
		for _, bs := range []string{"1", "7", "256"} {
			t.Run(task+"/batch_size="+bs, func(t *testing.T) {
				rows, err := db.Query(`SELECT id, predicted_class, confidence, map_values(probabilities) FROM ml_predict('` + task + `', 'texts', batch_size := ` + bs + `, probabilities := true) ORDER BY id`)
				if err != nil {
					t.Fatal(err)
				}
				defer rows.Close()
				n := 0
				for rows.Next() {
					var id int
					var label, conf sql.NullString
					var probs any
					if err := rows.Scan(&id, &label, &conf, &probs); err != nil {
						t.Fatal(err)
					}
					if id == len(exp.Texts) {
						if label.Valid || conf.Valid || probs != nil {
							t.Errorf("NULL text: got %v %v %v, want NULLs", label, conf, probs)
						}
						n++
						continue
					}
					c, _ := strconv.ParseFloat(conf.String, 64)
					if label.String != exp.PredictedClass[id] || math.Abs(c-exp.Confidence[id]) > 1e-4 {
						t.Errorf("text %d %q: got %s %s, PyTorch %s %.6f", id, exp.Texts[id], label.String, conf.String, exp.PredictedClass[id], exp.Confidence[id])
					}
					ps := probs.([]any)
					if len(ps) != len(exp.Probabilities[id]) {
						t.Fatalf("text %d: %d probabilities, want %d", id, len(ps), len(exp.Probabilities[id]))
					}
					for k, p := range ps {
						if math.Abs(p.(float64)-exp.Probabilities[id][k]) > 1e-4 {
							t.Errorf("text %d: probability %d is %g, PyTorch %g", id, k, p, exp.Probabilities[id][k])
						}
					}
					n++
				}
				if err := rows.Err(); err != nil {
					t.Fatal(err)
				}
				if n != len(exp.Texts)+1 {
					t.Fatalf("%d rows, want %d", n, len(exp.Texts)+1)
				}
			})
		}
	}
}

// floats reads a FLOAT[d] or FLOAT[] value as scanned.
func floats(t testing.TB, v any) []float64 {
	t.Helper()
	l, ok := v.([]any)
	if !ok {
		t.Fatalf("embedding is %T, want a list", v)
	}
	out := make([]float64, len(l))
	for i, x := range l {
		out[i] = float64(x.(float32))
	}
	return out
}

// Embedder folders give PyTorch's vectors within 1e-4: mean-pooled and L2-normalised by
// default, cls on request, unnormalised with normalize := false; the column is a
// FLOAT[32] that array_cosine_similarity takes.
func TestHFEmbedSQL(t *testing.T) {
	db, _ := open(t, WithTaskDirs(hfDir))
	for _, task := range []string{"bert_embed", "xlmr_embed"} {
		exp := readExpected(t, task)
		textTable(t, db, "texts", exp.Texts)
		for _, c := range []struct {
			name, args string
			want       [][]float64
		}{
			{"mean", "", exp.Mean},
			{"cls", ", pooling := 'cls'", exp.CLS},
			{"raw", ", normalize := false, batch_size := 5", exp.MeanRaw},
		} {
			t.Run(task+"/"+c.name, func(t *testing.T) {
				if typ := one[string](t, db, `SELECT typeof(embedding) FROM ml_embed('`+task+`', 'texts'`+c.args+`) LIMIT 1`); typ != "FLOAT[32]" {
					t.Fatalf("embedding is %s, want FLOAT[32]", typ)
				}
				rows, err := db.Query(`SELECT id, text, embedding FROM ml_embed('` + task + `', 'texts'` + c.args + `) ORDER BY id`)
				if err != nil {
					t.Fatal(err)
				}
				defer rows.Close()
				n := 0
				for rows.Next() {
					var id int
					var text sql.NullString
					var emb any
					if err := rows.Scan(&id, &text, &emb); err != nil {
						t.Fatal(err)
					}
					n++
					if id == len(exp.Texts) {
						if emb != nil {
							t.Errorf("NULL text: embedding %v, want NULL", emb)
						}
						continue
					}
					got := floats(t, emb)
					worst := 0.0
					for k, x := range got {
						worst = max(worst, math.Abs(x-c.want[id][k]))
					}
					if len(got) != len(c.want[id]) || worst > 1e-4 {
						t.Errorf("text %d %q: differs from PyTorch by %g", id, exp.Texts[id], worst)
					}
				}
				if n != len(exp.Texts)+1 {
					t.Fatalf("%d rows, want %d", n, len(exp.Texts)+1)
				}
			})
		}
		sim := one[float64](t, db, `SELECT min(array_cosine_similarity(embedding, embedding)) FROM ml_embed('`+task+`', 'texts') WHERE text IS NOT NULL`)
		if math.Abs(sim-1) > 1e-5 {
			t.Errorf("%s: self-similarity %g, want 1", task, sim)
		}
	}
}

// The Go API: Predict on an Arrow record of texts gives the same vectors as SQL
// (PyTorch's within 1e-4), as a FLOAT[32]-shaped fixed-size list column.
func TestHFEmbedPredictRecord(t *testing.T) {
	_, c := open(t, WithTaskDirs(hfDir))
	exp := readExpected(t, "bert_embed")
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	b := array.NewStringBuilder(mem)
	b.AppendValues(exp.Texts, nil)
	b.AppendNull()
	col := b.NewArray()
	b.Release()
	rec := array.NewRecordBatch(arrow.NewSchema([]arrow.Field{{Name: "text", Type: arrow.BinaryTypes.String, Nullable: true}}, nil), []arrow.Array{col}, int64(col.Len()))
	col.Release()
	defer rec.Release()
	out, err := c.Predict(context.Background(), "bert_embed", rec, RecordOptions{Pooling: "cls"}, mem)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Release()
	emb, ok := out.Column(1).(*array.FixedSizeList)
	if !ok || out.Schema().Field(1).Name != "embedding" {
		t.Fatalf("second column is %s %T, want embedding as a fixed-size list", out.Schema().Field(1).Name, out.Column(1))
	}
	vals := emb.ListValues().(*array.Float32).Float32Values()
	for i := range exp.Texts {
		for k, want := range exp.CLS[i] {
			if got := float64(vals[i*32+k]); math.Abs(got-want) > 1e-4 {
				t.Fatalf("text %d value %d: %g, PyTorch %g", i, k, got, want)
			}
		}
	}
	if !emb.IsNull(len(exp.Texts)) {
		t.Errorf("NULL text: embedding not NULL")
	}
}

// Over several chunks (DuckDB threads 2), with rows sorted by length inside each chunk,
// every row still gets its own text's answer, exactly once and in input order.
func TestHFClassifierChunksThreads(t *testing.T) {
	db, _ := open(t, WithTaskDirs(hfDir), WithCPUSlots(2))
	exp := readExpected(t, "bert_sentiment")
	const n = 6000
	texts := make([]string, n)
	for i := range texts {
		texts[i] = exp.Texts[(i*7)%len(exp.Texts)]
	}
	createTexts(t, db, "many", texts)
	exec(t, db, `SET threads = 2`)
	rows, err := db.Query(`SELECT id, predicted_class, confidence FROM ml_predict('bert_sentiment', 'many', batch_size := 16)`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	seen := make([]bool, n)
	last, sorted := -1, true
	for rows.Next() {
		var id int
		var label, conf string
		if err := rows.Scan(&id, &label, &conf); err != nil {
			t.Fatal(err)
		}
		if seen[id] {
			t.Fatalf("row %d twice", id)
		}
		seen[id] = true
		sorted = sorted && id > last
		last = id
		j := (id * 7) % len(exp.Texts)
		c, _ := strconv.ParseFloat(conf, 64)
		if label != exp.PredictedClass[j] || math.Abs(c-exp.Confidence[j]) > 1e-4 {
			t.Fatalf("row %d (text %d): %s %s, PyTorch %s %.6f", id, j, label, conf, exp.PredictedClass[j], exp.Confidence[j])
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	for id, ok := range seen {
		if !ok {
			t.Fatalf("row %d missing", id)
		}
	}
	if !sorted {
		t.Errorf("rows did not come back in input order")
	}
}

// The Go API: Predict on the classifier gives PyTorch's labels.
func TestHFClassifierPredictRecord(t *testing.T) {
	_, c := open(t, WithTaskDirs(hfDir))
	exp := readExpected(t, "roberta_topics")
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	b := array.NewStringBuilder(mem)
	b.AppendValues(exp.Texts, nil)
	col := b.NewArray()
	b.Release()
	rec := array.NewRecordBatch(arrow.NewSchema([]arrow.Field{{Name: "text", Type: arrow.BinaryTypes.String}}, nil), []arrow.Array{col}, int64(col.Len()))
	col.Release()
	defer rec.Release()
	out, err := c.Predict(context.Background(), "roberta_topics", rec, RecordOptions{BatchSize: 9}, mem)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Release()
	labels, confs := out.Column(1).(*array.String), out.Column(2).(*array.String)
	for i := range exp.Texts {
		c, _ := strconv.ParseFloat(confs.Value(i), 64)
		if labels.Value(i) != exp.PredictedClass[i] || math.Abs(c-exp.Confidence[i]) > 1e-4 {
			t.Errorf("text %d: %s %s, PyTorch %s %.6f", i, labels.Value(i), confs.Value(i), exp.PredictedClass[i], exp.Confidence[i])
		}
	}
}
