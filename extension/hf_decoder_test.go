package extension

import (
	"database/sql"
	"math"
	"strconv"
	"testing"
)

// Pins: a decoder classifier whose config.json has no pad_token_id pooled a padding
// token. Llama- and Qwen2-style classifiers (testdata/hf/gen_models.py) pool the last
// token; through ml_predict, with the default batch size (rows of different lengths
// share a padded batch) and with small batches, every text gets PyTorch's label for it
// run alone, unpadded, and its confidence within 1e-4. llama_sentiment has
// pad_token_id (<|end_of_text|>, not the tokenizer's, which has no padding token) and
// asks for left padding; qwen_nopad has none (its export pools the last position) and
// takes position_ids.
func TestHFDecoderClassifierSQL(t *testing.T) {
	db, _ := open(t, WithTaskDirs(hfDir))
	for _, task := range []string{"llama_sentiment", "qwen_nopad"} {
		exp := readExpected(t, task)
		textTable(t, db, "texts", exp.Texts)
		for _, args := range []string{"", ", batch_size := 7"} {
			t.Run(task+"/"+args, func(t *testing.T) {
				rows, err := db.Query(`SELECT id, predicted_class, confidence FROM ml_predict('` + task + `', 'texts'` + args + `, on_error := 'null') ORDER BY id`)
				if err != nil {
					t.Fatal(err)
				}
				defer rows.Close()
				n, bad := 0, 0
				for rows.Next() {
					var id int
					var label, conf sql.NullString
					if err := rows.Scan(&id, &label, &conf); err != nil {
						t.Fatal(err)
					}
					n++
					// The NULL text has no answer; nor has a text of no tokens (qwen2
					// adds no special tokens to ""), for which PyTorch has none either.
					if id == len(exp.Texts) {
						continue
					}
					if exp.PredictedClass[id] == "" {
						if label.Valid {
							t.Errorf("text %d %q has no tokens, yet got %s %s", id, exp.Texts[id], label.String, conf.String)
						}
						continue
					}
					c, _ := strconv.ParseFloat(conf.String, 64)
					if label.String != exp.PredictedClass[id] || math.Abs(c-exp.Confidence[id]) > 1e-4 {
						if bad++; bad <= 5 {
							t.Errorf("text %d %.40q: got %s %s, PyTorch %s %.6f", id, exp.Texts[id], label.String, conf.String, exp.PredictedClass[id], exp.Confidence[id])
						}
					}
				}
				if err := rows.Err(); err != nil {
					t.Fatal(err)
				}
				if bad > 0 {
					t.Errorf("%d of %d texts differ from PyTorch", bad, len(exp.Texts))
				}
				if n != len(exp.Texts)+1 {
					t.Fatalf("%d rows, want %d", n, len(exp.Texts)+1)
				}
			})
		}
	}
}
