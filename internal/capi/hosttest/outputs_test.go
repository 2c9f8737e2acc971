package hosttest

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/duckinfer/duckinfer/extension"
	"github.com/duckinfer/duckinfer/internal/onnxbuild"
)

// outputIdentityTask writes a task whose model returns its float32 input x [N, 2] as
// its output y (cast to elem), so that a query chooses the model's output exactly.
func outputIdentityTask(t *testing.T, dir, name string, elem onnxbuild.DataType, taskJSON string) {
	t.Helper()
	node := onnxbuild.NewNode("Identity", []string{"x"}, []string{"y"})
	if elem != onnxbuild.Float {
		node = onnxbuild.NewNode("Cast", []string{"x"}, []string{"y"}, onnxbuild.AttrInt("to", int64(elem)))
	}
	b, err := onnxbuild.NewModel(&onnxbuild.Graph{
		Name:    "id",
		Inputs:  []*onnxbuild.ValueInfo{onnxbuild.TensorValue("x", onnxbuild.Float, onnxbuild.N, onnxbuild.D(2))},
		Outputs: []*onnxbuild.ValueInfo{onnxbuild.TensorValue("y", elem, onnxbuild.N, onnxbuild.D(2))},
		Nodes:   []*onnxbuild.Node{node},
	}).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(filepath.Join(dir, name), 0o755)
	os.WriteFile(filepath.Join(dir, name, "model.onnx"), b, 0o644)
	os.WriteFile(filepath.Join(dir, name, "task.json"), []byte(taskJSON), 0o644)
}

// The same model output reaches SQL as the same text through both bindings: labels,
// confidences, probabilities maps (odd label names, tiny, negative-zero and tied
// scores), rows whose "probabilities" are none (±80: NULL under on_error := 'null')
// and regress values, float32 and float64.
func TestOutputsMatchGoBinding(t *testing.T) {
	dir := t.TempDir()
	in := `"inputs":[{"name":"x","type":"float32","columns":["c0","c1"]}],"output":"y"`
	outputIdentityTask(t, dir, "rv_cls", onnxbuild.Float, `{`+in+`,"labels":["a,b","it's 日本=x"]}`)
	outputIdentityTask(t, dir, "rv_logit", onnxbuild.Float, `{`+in+`,"scores":"logits","labels":["A","B"]}`)
	outputIdentityTask(t, dir, "rv_reg", onnxbuild.Float, `{`+in+`,"kind":"regress"}`)
	outputIdentityTask(t, dir, "rv_reg64", onnxbuild.Double, `{`+in+`,"kind":"regress"}`)
	rows := `SELECT i AS id, [0.5, -0.0, 1e-7, 0.3, 1e-45, 0.999999, 80, -80][i+1]::FLOAT AS c0,
		[0.5, 0.0, 0.9999999, 0.7, 0, 0.000001, -80, 80][i+1]::FLOAT AS c1 FROM range(8) r(i)`
	qs := []string{
		`SELECT string_agg(id || ' ' || coalesce(predicted_class || ' ' || confidence || ' ' || probabilities::VARCHAR, 'NULL'), ' | ' ORDER BY id) FROM ml_predict('rv_cls', '` + sqlQuote(rows) + `', probabilities := true, on_error := 'null')`,
		`SELECT string_agg(id || ' ' || predicted_class || ' ' || confidence || ' ' || probabilities::VARCHAR, ' | ' ORDER BY id) FROM ml_predict('rv_logit', '` + sqlQuote(rows) + `', probabilities := true)`,
		`SELECT string_agg(id || ' ' || prediction::VARCHAR, ' | ' ORDER BY id) FROM ml_predict('rv_reg', '` + sqlQuote(rows) + `')`,
		`SELECT string_agg(id || ' ' || prediction::VARCHAR, ' | ' ORDER BY id) FROM ml_predict('rv_reg64', '` + sqlQuote(rows) + `')`,
	}
	db, err := extension.Open("", extension.WithTaskDirs(dir))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	want := make([]string, len(qs))
	for i, q := range qs {
		if err := db.QueryRowContext(context.Background(), q).Scan(&want[i]); err != nil {
			t.Fatalf("Go binding: %v", err)
		}
		t.Logf("Go binding %d: %s", i, want[i])
	}
	forEachHost(t, func(t *testing.T, k hostKind) {
		h := k.start(t, ":memory:", nil)
		defer closeHost(t, h)
		mustQuery(t, h, "a", "SET duckinfer_models = '"+dir+"'")
		for i, q := range qs {
			r := mustQuery(t, h, "a", q)
			if got := r.Value(0, 0); got != want[i] {
				t.Errorf("query %d: extension %q, Go binding %q", i, got, want[i])
			}
		}
	})
}

func sqlQuote(s string) string {
	out := []byte{}
	for i := range len(s) {
		if s[i] == '\'' {
			out = append(out, '\'')
		}
		out = append(out, s[i])
	}
	return string(out)
}
