package extension

import (
	"strings"
	"testing"

	"github.com/duckinfer/duckinfer/internal/onnxbuild"
)

// scaleTask writes a classify task whose scores are [a, b]·1e30 (float32): an input of
// ±1e10 overflows to ±Inf, as an fp16 or float32 model's scores can.
func scaleTask(t *testing.T, dir, name, scores string) {
	writeTask(t, dir, name, &onnxbuild.Graph{
		Name:         "scale",
		Inputs:       []*onnxbuild.ValueInfo{onnxbuild.TensorValue("x", onnxbuild.Float, onnxbuild.N, onnxbuild.D(2))},
		Outputs:      []*onnxbuild.ValueInfo{onnxbuild.TensorValue("y", onnxbuild.Float, onnxbuild.N, onnxbuild.D(2))},
		Initializers: []*onnxbuild.Tensor{onnxbuild.FloatTensor("big", []int64{1}, []float32{1e30})},
		Nodes:        []*onnxbuild.Node{onnxbuild.NewNode("Mul", []string{"x", "big"}, []string{"y"})},
	}, `{"scores":"`+scores+`","inputs":[{"name":"x","type":"float32","columns":["a","b"]}],"output":"y","labels":["A","B"]}`)
}

// checkScores runs scores task name on the row (a, 0) and checks its answer, or, for
// want "", that the row fails: an error under 'fail', NULL predictions (also in the
// probabilities) and an ml_errors() entry under 'null'.
func checkScores(t *testing.T, name, a, want string) {
	t.Helper()
	dir := t.TempDir()
	scaleTask(t, dir, "s", name)
	db, _ := open(t, WithTaskDirs(dir))
	q := `SELECT coalesce(predicted_class || ' ' || confidence || ' ' || probabilities::VARCHAR, 'NULL')
		FROM ml_predict('s', 'SELECT ` + a + ` AS a, 0.0 AS b', probabilities := true`
	if want != "" {
		if got := one[string](t, db, q+`)`); got != want {
			t.Fatalf("got %q, want %q", got, want)
		}
		return
	}
	if _, err := db.Exec(q + `)`); err == nil || !strings.Contains(err.Error(), "infinite") {
		got := one[string](t, db, q+`, on_error := 'null')`)
		t.Fatalf("want an error naming the infinite score, got %v (answer %q)", err, got)
	}
	if got := one[string](t, db, q+`, on_error := 'null')`); got != "NULL" {
		t.Fatalf("on_error := 'null': got %q, want NULL", got)
	}
	if n := one[int64](t, db, `SELECT count(*) FROM ml_errors() WHERE task = 's'`); n != 1 {
		t.Fatalf("%d ml_errors() entries, want 1", n)
	}
}

// Pins a defect: a +Inf logit gave "A 1.000000 {A=nan, B=nan}". A NaN or +Inf logit
// (an overflow) fails its row, in logits and sigmoid tasks alike; a -Inf logit is a
// probability of 0 (a masked class, say) and stays an answer.
func TestClassifyInfiniteLogits(t *testing.T) {
	for _, tc := range []struct{ name, scores, a, want string }{
		{"logits +Inf", "logits", "1e10", ""},
		{"logits -Inf", "logits", "-1e10", "B 1.000000 {A=0.0, B=1.0}"},
		{"sigmoid +Inf", "sigmoid", "1e10", ""},
		{"sigmoid -Inf", "sigmoid", "-1e10", "B 0.500000 {A=0.0, B=0.5}"},
	} {
		t.Run(tc.name, func(t *testing.T) { checkScores(t, tc.scores, tc.a, tc.want) })
	}
}

// Pins a defect: a "probabilities" output of +Inf came back as certainty, "A 1.000000
// {A=inf, B=0.0}". An infinite probability, either sign, fails its row as NaN does.
func TestClassifyInfiniteProbabilities(t *testing.T) {
	for _, tc := range []struct{ name, a string }{{"+Inf", "1e10"}, {"-Inf", "-1e10"}} {
		t.Run(tc.name, func(t *testing.T) { checkScores(t, "probabilities", tc.a, "") })
	}
}
