package hosttest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/duckinfer/duckinfer/internal/onnxbuild"
)

// The loadable extension reads HUGEINT and UHUGEINT columns into an int64 input
// exactly when their values fit, as the Go binding does: before, HUGEINT went through
// float64 (2^53+1 arrived as 2^53) and UHUGEINT was refused as "DuckDB type 32".
func TestExtensionWideIntegersExact(t *testing.T) {
	dir := t.TempDir()
	b, err := onnxbuild.NewModel(&onnxbuild.Graph{Name: "i64off",
		Inputs:       []*onnxbuild.ValueInfo{onnxbuild.TensorValue("x", onnxbuild.Int64, onnxbuild.N)},
		Outputs:      []*onnxbuild.ValueInfo{onnxbuild.TensorValue("y", onnxbuild.Double, onnxbuild.N)},
		Initializers: []*onnxbuild.Tensor{onnxbuild.Int64Tensor("base", []int64{1}, []int64{1 << 53})},
		Nodes: []*onnxbuild.Node{onnxbuild.NewNode("Sub", []string{"x", "base"}, []string{"d"}),
			onnxbuild.NewNode("Cast", []string{"d"}, []string{"y"}, onnxbuild.AttrInt("to", int64(onnxbuild.Double)))},
	}).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	task := filepath.Join(dir, "i64off")
	if err := os.MkdirAll(task, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(task, "model.onnx"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(task, "task.json"), []byte(`{"kind":"regress","inputs":[{"name":"x","type":"int64","columns":["v"]}],"output":"y"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	env := []string{"DUCKINFER_MODELS=" + dir}
	starts := map[string]func() (*Host, error){
		"node": func() (*Host, error) {
			node, err := exec.LookPath("node")
			if err != nil {
				return nil, err
			}
			return startEnv(env, node, filepath.Join(root(t), "internal", "capi", "hosts", "node", "host.mjs"), extPath, ":memory:", "{}")
		},
		"duckdb2": func() (*Host, error) {
			cHost.once.Do(func() { cHost.path, cHost.err = BuildCHost(tmpDir) })
			if cHost.err != nil {
				return nil, cHost.err
			}
			return startEnv(env, cHost.path, extPath, ":memory:")
		},
	}
	for name, start := range starts {
		t.Run(name, func(t *testing.T) {
			h, err := start()
			if err != nil {
				t.Fatal(err)
			}
			defer closeHost(t, h)
			for _, typ := range []string{"BIGINT", "UBIGINT", "HUGEINT", "UHUGEINT"} {
				r, err := h.Query("a", `SELECT prediction::VARCHAR FROM ml_predict('i64off', 'SELECT 9007199254740993::`+typ+` AS v')`)
				if err != nil {
					t.Fatal(err)
				}
				got := "error: " + strings.SplitN(r.Error, "\n", 2)[0]
				if r.OK {
					got = r.Value(0, 0)
				}
				if got != "1.0" {
					t.Errorf("%s 2^53+1: prediction %s, want 1.0", typ, got)
				}
			}
		})
	}
}
