package main

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// The transformer text run: the BERT classifier Hugging Face folder of the tests
// (testdata/hf/models/bert_sentiment: WordPiece tokenizer, 2-layer encoder, logits)
// over a generated table of texts, CPU labels against CUDA labels, then rows/s per
// models_per_gpu setting. The tokenizer and length bucketing run on the host, so this
// measures the whole text path, not only the model.

const textTask = "gpucheck_bert"

// copyTextTask copies the Hugging Face folder into the check's task folder under
// textTask; false (and a message) when the folder is not there.
func copyTextTask(from, dir string) bool {
	if _, err := os.Stat(filepath.Join(from, "config.json")); err != nil {
		fmt.Printf("text check: %s not found (%v); run from the repository root, or pass -hf\n", from, err)
		return false
	}
	err := filepath.WalkDir(from, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		to := filepath.Join(dir, textTask, rel)
		if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(to, b, 0o644)
	})
	if err != nil {
		fmt.Printf("text check: copying %s: %v\n", from, err)
		return false
	}
	return true
}

type textResult struct {
	lines    []string
	problems []string
}

// textCheck runs the text task over rows generated from the fixture's texts.
func textCheck(ctx context.Context, db *sql.DB, hf string, rows int, device string, mpgs []int, seconds float64) (textResult, error) {
	var res textResult
	exp := strings.ReplaceAll(filepath.Join(hf, "expected.json"), "'", "''")
	if _, err := db.ExecContext(ctx, fmt.Sprintf(`CREATE OR REPLACE TABLE tt AS SELECT i AS id, texts[(i %% len(texts)) + 1] AS text
		FROM (SELECT texts FROM read_json('%s')), range(%d) r(i)`, exp, rows)); err != nil {
		return res, fmt.Errorf("text table: %w", err)
	}
	labels := func(dev string, mpg int) (map[int64]pred, error) {
		q := fmt.Sprintf("SELECT id, predicted_class, confidence FROM ml_predict('%s', 'SELECT * FROM tt WHERE id %% 16 = 0', device := '%s'%s)", textTask, dev, mpgArg(mpg))
		r, err := db.QueryContext(ctx, q)
		if err != nil {
			return nil, err
		}
		defer r.Close()
		out := map[int64]pred{}
		for r.Next() {
			var id int64
			var cls, conf sql.NullString
			if err := r.Scan(&id, &cls, &conf); err != nil {
				return nil, err
			}
			f, err := strconv.ParseFloat(conf.String, 64)
			if err != nil {
				f = math.NaN()
			}
			out[id] = pred{class: cls.String, conf: f}
		}
		return out, r.Err()
	}
	ref, err := labels("cpu", 0)
	if err != nil {
		return res, fmt.Errorf("text CPU reference: %w", err)
	}
	got, err := labels(device, 2)
	if err != nil {
		return res, fmt.Errorf("text %s pass: %w", device, err)
	}
	cmp := compare(ref, got)
	res.lines = append(res.lines, fmt.Sprintf("text vs cpu on %d rows: labels agree on %d/%d, max |Δconfidence| %.3g", cmp.n, cmp.agree, cmp.n, cmp.maxDiff))
	if cmp.missing > 0 || len(got) != len(ref) || len(ref) == 0 || cmp.agree != cmp.n || cmp.maxDiff > 1e-3 {
		res.problems = append(res.problems, fmt.Sprintf("text: CPU and %s differ (%d/%d labels agree, max |Δconfidence| %.3g, %d missing)", device, cmp.agree, cmp.n, cmp.maxDiff, cmp.missing))
	}
	pass := func(dev string, mpg int) error {
		q := fmt.Sprintf("SELECT predicted_class, count(*) FROM ml_predict('%s', 'tt', device := '%s'%s) GROUP BY ALL", textTask, dev, mpgArg(mpg))
		r, err := db.QueryContext(ctx, q)
		if err != nil {
			return err
		}
		defer r.Close()
		var total int64
		for r.Next() {
			var cls sql.NullString
			var n int64
			if err := r.Scan(&cls, &n); err != nil {
				return err
			}
			total += n
		}
		if total != int64(rows) {
			return fmt.Errorf("a pass returned %d rows, want %d", total, rows)
		}
		return r.Err()
	}
	settings := []struct {
		dev string
		mpg int
	}{{"cpu", 0}}
	if device != "cpu" {
		for _, m := range mpgs {
			settings = append(settings, struct {
				dev string
				mpg int
			}{device, m})
		}
	}
	for _, s := range settings {
		if err := pass(s.dev, s.mpg); err != nil { // loads the sessions
			return res, fmt.Errorf("text %s: %w", s.dev, err)
		}
		t, n := time.Now(), 0
		for n == 0 || time.Since(t).Seconds() < seconds {
			if err := pass(s.dev, s.mpg); err != nil {
				return res, fmt.Errorf("text %s: %w", s.dev, err)
			}
			n++
		}
		name := s.dev
		if s.mpg > 0 {
			name += fmt.Sprintf(" models_per_gpu=%d", s.mpg)
		}
		res.lines = append(res.lines, fmt.Sprintf("text %s: %.0f rows/s (%d passes of %d rows)", name, float64(n*rows)/time.Since(t).Seconds(), n, rows))
	}
	return res, nil
}
