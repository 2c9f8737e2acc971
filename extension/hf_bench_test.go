package extension

import (
	"bufio"
	"compress/gzip"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/duckinfer/duckinfer/internal/models"
)

// createTexts creates table name(id, text) holding texts (bound as parameters: the
// hard cases hold a NUL character, which a SQL literal cannot).
func createTexts(b testing.TB, db *sql.DB, name string, texts []string) {
	b.Helper()
	exec(b, db, `CREATE OR REPLACE TABLE `+name+` (id INTEGER, text VARCHAR)`)
	tx, err := db.Begin()
	if err != nil {
		b.Fatal(err)
	}
	st, err := tx.Prepare(`INSERT INTO ` + name + ` VALUES (?, ?)`)
	if err != nil {
		b.Fatal(err)
	}
	for i, s := range texts {
		if _, err := st.Exec(i, s); err != nil {
			b.Fatal(err)
		}
	}
	st.Close()
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
}

// uciTexts returns n texts cycling through the 3,000 UCI sentences of the tokenizer
// corpus (testdata/hf/golden/corpus.jsonl.gz), with the corpus's long text (which the
// model truncates to 128 tokens) at every longEvery-th row (0: never).
func uciTexts(b testing.TB, n, longEvery int) []string {
	b.Helper()
	f, err := os.Open(filepath.Join("..", "testdata", "hf", "golden", "corpus.jsonl.gz"))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	z, err := gzip.NewReader(f)
	if err != nil {
		b.Fatal(err)
	}
	var corpus []string
	sc := bufio.NewScanner(z)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var s string
		if err := json.Unmarshal(sc.Bytes(), &s); err != nil {
			b.Fatal(err)
		}
		corpus = append(corpus, s)
	}
	short, long := corpus[:3000], corpus[len(corpus)-1]
	out := make([]string, n)
	for i := range out {
		out[i] = short[i%len(short)]
		if longEvery > 0 && i%longEvery == longEvery-1 {
			out[i] = long
		}
	}
	return out
}

// cpuTime is the process's user + system CPU time: on a shared machine, CPU µs per
// row is steadier than wall-clock rows/s, which other processes' load distorts.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportRows reports rows/s (wall) and CPU µs/row since cpu0.
func reportRows(b *testing.B, rows int, cpu0 time.Duration) {
	b.ReportMetric(float64(b.N*rows)/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N*rows), "cpu-µs/row")
}

// BenchmarkHFClassifier runs the BERT classifier fixture over 245,760 UCI sentences
// (cycled; two of DuckDB's 122,880-row groups, its unit of scan parallelism, so two
// threads both have work) through ml_predict with DuckDB
// threads 1 and 2 (two CPU slots), and directly through the same ONNX Runtime session
// from Go (texts tokenized before the clock starts, batches of 256, each padded to its
// longest: "direct" in row order, "direct-sorted" with the whole table sorted by
// length), in the same run. rows/s and CPU µs/row for each.
//
//	go test -run '^$' -bench HFClassifier -benchtime 1x ./extension/
func BenchmarkHFClassifier(b *testing.B) {
	const n = 2 * 122_880
	texts := uciTexts(b, n, 0)
	db, c := open(b, WithTaskDirs(hfDir), WithCPUSlots(2))
	createTexts(b, db, "t", texts)
	for _, threads := range []int{1, 2} {
		b.Run(fmt.Sprintf("sql/threads=%d", threads), func(b *testing.B) {
			exec(b, db, fmt.Sprintf(`SET threads = %d`, threads))
			exec(b, db, `CREATE OR REPLACE TEMP TABLE o AS SELECT * FROM ml_predict('bert_sentiment', 't') LIMIT 10`)
			cpu0 := cpuTime()
			for b.Loop() {
				exec(b, db, `CREATE OR REPLACE TEMP TABLE o AS SELECT * FROM ml_predict('bert_sentiment', 't')`)
			}
			reportRows(b, n, cpu0)
		})
	}
	for _, sorted := range []bool{false, true} {
		name := "direct"
		if sorted {
			name = "direct-sorted"
		}
		b.Run(name, func(b *testing.B) {
			task, err := c.env.Registry.Lookup("bert_sentiment")
			if err != nil {
				b.Fatal(err)
			}
			sess, err := c.env.Pool.Session(context.Background(), task, models.Placement{Device: "cpu", Threads: 1})
			if err != nil {
				b.Fatal(err)
			}
			in := task.NewInputs()
			valid := make([]bool, n)
			for r := range valid {
				valid[r] = true
			}
			if err := in[0].Load([]models.Column{&models.Values{ColName: "text", Strs: texts}}, n, valid, nil); err != nil {
				b.Fatal(err)
			}
			if sorted {
				// The whole table sorted by length: the least padding any batching gets.
				in[0].(*models.TextData).SortByLength()
			}
			out := task.NewOutput()
			out.Reset(n)
			ctx := context.Background()
			cpu0 := cpuTime()
			for b.Loop() {
				for lo := 0; lo < n; lo += 256 {
					if err := sess.Predict(ctx, in, lo, min(lo+256, n), out); err != nil {
						b.Fatal(err)
					}
				}
			}
			reportRows(b, n, cpu0)
		})
	}
}

// BenchmarkBucketing runs the BERT classifier over 8,192 mixed texts — 7 of 8 short
// (UCI sentences, ~20 tokens), 1 of 8 the long text (128 tokens after truncation) —
// through ml_predict on one thread, with rows batched by token length (padding
// "bucket", the default) and with rows in order, every batch padded to the chunk's
// longest (padding "chunk", a task.json override of the same folder), in the same run.
// The bar: bucket >= 1.5x chunk in rows/s.
//
//	go test -run '^$' -bench Bucketing -benchtime 3x ./extension/
func BenchmarkBucketing(b *testing.B) {
	const n = 8192
	dir := b.TempDir()
	for _, name := range []string{"bucket", "chunk"} {
		copyFolder(b, filepath.Join(hfDir, "bert_sentiment"), filepath.Join(dir, name))
	}
	if err := os.WriteFile(filepath.Join(dir, "chunk", "task.json"), []byte(`{"padding": "chunk"}`), 0o644); err != nil {
		b.Fatal(err)
	}
	db, _ := open(b, WithTaskDirs(dir), WithCPUSlots(1))
	exec(b, db, `SET threads = 1`)
	createTexts(b, db, "t", uciTexts(b, n, 8))
	for _, task := range []string{"bucket", "chunk"} {
		b.Run(task, func(b *testing.B) {
			q := `CREATE OR REPLACE TEMP TABLE o AS SELECT * FROM ml_predict('` + task + `', 't')`
			exec(b, db, q)
			cpu0 := cpuTime()
			for b.Loop() {
				exec(b, db, q)
			}
			reportRows(b, n, cpu0)
		})
	}
}

func copyFolder(t testing.TB, from, to string) {
	t.Helper()
	err := filepath.WalkDir(from, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Dir(filepath.Join(to, rel)), 0o755); err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(to, rel), data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}
