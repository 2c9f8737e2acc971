package models

import (
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

func sentiment(t *testing.T) (*Pool, *Session) {
	t.Helper()
	_, pool, s := shippedSession(t, "sentiment")
	return pool, s
}

// shippedSession is a CPU session of the shipped task name, in a pool closed when the
// test ends.
func shippedSession(t *testing.T, name string) (*Task, *Pool, *Session) {
	t.Helper()
	reg, err := NewRegistry()
	if err != nil {
		t.Fatal(err)
	}
	task, err := reg.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	pool := NewPool(FlavorCPU)
	t.Cleanup(func() { pool.Close() })
	s, err := pool.Session(context.Background(), task, Placement{Device: "cpu", Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	return task, pool, s
}

func TestRegistryUnknownTask(t *testing.T) {
	dir := t.TempDir()
	reg, err := NewRegistry(dir)
	if err != nil {
		t.Fatal(err)
	}
	_, err = reg.Lookup("sentmient")
	if !errors.Is(err, ErrUnknownTask) {
		t.Fatalf("got %v", err)
	}
	for _, want := range []string{`"sentmient"`, "iris, sentiment", dir, "DUCKINFER_MODELS"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	// A folder dropped in after start is found by the next lookup.
	copyTask(t, "tasks/iris", filepath.Join(dir, "iris2"))
	task, err := reg.Lookup("iris2")
	if err != nil || task.Source != filepath.Join(dir, "iris2") {
		t.Fatalf("iris2: %v %+v", err, task)
	}
}

func TestRegistryBadFolderAndUserOverride(t *testing.T) {
	if _, err := NewRegistry("/nonexistent/tasks"); err == nil || !strings.Contains(err.Error(), "/nonexistent/tasks") {
		t.Fatalf("missing dir: %v", err)
	}
	dir := t.TempDir()
	copyTask(t, "tasks/iris", filepath.Join(dir, "sentiment")) // user task shadows a shipped name
	os.MkdirAll(filepath.Join(dir, "broken"), 0o755)
	os.WriteFile(filepath.Join(dir, "broken", "task.json"), []byte(`{"inputs":[]}`), 0o644)
	reg, _ := NewRegistry(dir)
	task, err := reg.Lookup("sentiment")
	if err != nil || task.Source != filepath.Join(dir, "sentiment") || task.Config.Labels[0] != "setosa" {
		t.Fatalf("override: %v %+v", err, task)
	}
	if _, err := reg.Lookup("broken"); !errors.Is(err, ErrTaskConfig) || !strings.Contains(err.Error(), "inputs") {
		t.Fatalf("broken: %v", err)
	}
}

func copyTask(t *testing.T, from, to string) {
	t.Helper()
	os.MkdirAll(to, 0o755)
	for _, f := range []string{"task.json", "model.onnx"} {
		b, err := shippedTasks.ReadFile(from + "/" + f)
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(to, f), b, 0o644)
	}
}

func TestPredictSentiment(t *testing.T) {
	pool, s := sentiment(t)
	in, out := loadTexts(t, s.task, "I love it, works great", "awful, broke in a day, waste of money", "")
	if err := s.Predict(context.Background(), in, 0, 3, out); err != nil {
		t.Fatal(err)
	}
	res := out.(*ClassData)
	if res.Class[0] != 1 || res.Class[1] != 0 {
		t.Fatalf("classes %v, want [1 0 _]", res.Class)
	}
	for i, c := range res.Confidence {
		if c < 0.5 || c > 1 {
			t.Errorf("row %d confidence %v outside [0.5, 1]", i, c)
		}
	}
	// The same (task, placement) reuses the loaded session.
	task := s.task
	s2, _ := pool.Session(context.Background(), task, Placement{Device: "cpu", Threads: 1})
	s3, _ := pool.Session(context.Background(), task, Placement{Device: "cpu", Threads: 1, Instance: 1})
	if s2 != s || s3 == s || pool.Loads() != 2 {
		t.Fatalf("session reuse: same=%v distinct=%v loads=%d", s2 == s, s3 != s, pool.Loads())
	}
}

func TestPredictCancelled(t *testing.T) {
	_, s := sentiment(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	in, out := loadTexts(t, s.task, "x")
	if err := s.Predict(ctx, in, 0, 1, out); !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v", err)
	}
}

// loadTexts puts texts into a one-text-input task's storage, as the core does.
func loadTexts(t testing.TB, task *Task, texts ...string) ([]InputData, OutputData) {
	t.Helper()
	return loadColumns(t, task, len(texts), &Values{ColName: "text", Strs: texts})
}

// loadColumns loads n rows of a task's input columns (all of them, in order) and
// makes room for n results. Every row starts valid, as the core's do.
func loadColumns(t testing.TB, task *Task, n int, cols ...Column) ([]InputData, OutputData) {
	t.Helper()
	in := task.NewInputs()
	valid := make([]bool, n)
	for i := range valid {
		valid[i] = true
	}
	off := 0
	for i, spec := range task.Config.Inputs {
		k := len(spec.Columns)
		if err := in[i].Load(cols[off:off+k], n, valid, func(r int, err error) { t.Fatalf("row %d: %v", r, err) }); err != nil {
			t.Fatal(err)
		}
		off += k
	}
	out := task.NewOutput()
	out.Reset(n)
	return in, out
}

func TestAppendConfidence(t *testing.T) {
	cases := map[float32]string{
		0: "0.000000", 1: "1.000000", 0.75: "0.750000", 0.9990387: "0.999039", 0.5000004: "0.500000",
		0.9999996: "1.000000", 1.5: "1.000000", -0.1: "0.000000", float32(math.NaN()): "0.000000", 1e-7: "0.000000",
	}
	for p, want := range cases {
		got := string(AppendConfidence(nil, p))
		if got != want || len(got) != ConfidenceWidth {
			t.Errorf("AppendConfidence(%v) = %q, want %q", p, got, want)
		}
	}
	// Every value of the six-decimal grid, against strconv.
	for v := range 1000001 {
		p := float32(float64(v) / 1e6)
		want := strconv.FormatFloat(float64(uint32(float64(p)*1e6+0.5))/1e6, 'f', 6, 64)
		if got := string(AppendConfidence(nil, p)); got != want {
			t.Fatalf("AppendConfidence(%v) = %q, want %q", p, got, want)
		}
	}
}

func BenchmarkAppendConfidence(b *testing.B) {
	buf := make([]byte, 0, 8)
	p := float32(0)
	for b.Loop() {
		buf = AppendConfidence(buf[:0], p)
		p += 1e-6
		if p > 1 {
			p = 0
		}
	}
}

func TestCheckRejectsBrokenModels(t *testing.T) {
	dir := t.TempDir()
	write := func(name, cfg string, model []byte) *Task {
		os.MkdirAll(filepath.Join(dir, name), 0o755)
		os.WriteFile(filepath.Join(dir, name, "task.json"), []byte(cfg), 0o644)
		if model != nil {
			os.WriteFile(filepath.Join(dir, name, "model.onnx"), model, 0o644)
		}
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
	iris, _ := shippedTasks.ReadFile("tasks/iris/model.onnx")
	irisCfg := func(input, output string, labels string) string {
		return `{"inputs":[{"name":"` + input + `","columns":["a","b","c","d"],"type":"float32"}],"output":"` + output + `","labels":[` + labels + `]}`
	}
	cases := []struct {
		name  string
		task  *Task
		want  string
		isErr error
	}{
		{"missing file", write("nofile", irisCfg("features", "probabilities", `"a","b","c"`), nil), "cannot read model file", ErrTaskConfig},
		{"not onnx", write("garbage", irisCfg("features", "probabilities", `"a","b","c"`), []byte("hello, not a model")), "not a loadable ONNX model", ErrModel},
		{"truncated", write("trunc", irisCfg("features", "probabilities", `"a","b","c"`), iris[:len(iris)/2]), "not a loadable ONNX model", ErrModel},
		{"wrong input", write("wrongin", irisCfg("pixels", "probabilities", `"a","b","c"`), iris), `names model input "pixels"`, ErrTaskConfig},
		{"wrong output", write("wrongout", irisCfg("features", "logits", `"a","b","c"`), iris), `names output "logits"`, ErrTaskConfig},
		{"labels mismatch", write("labels", irisCfg("features", "probabilities", `"a","b"`), iris), "3 classes but the task has 2 labels", ErrTaskConfig},
	}
	pool := NewPool(FlavorCPU)
	defer pool.Close()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := pool.Check(context.Background(), tc.task)
			if !errors.Is(err, tc.isErr) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want %v containing %q", err, tc.isErr, tc.want)
			}
			if _, err := pool.Session(context.Background(), tc.task, Placement{Device: "cpu"}); err == nil {
				t.Error("session loaded a broken model")
			}
		})
	}
	if pool.Loads() != 0 {
		t.Fatalf("loads = %d", pool.Loads())
	}
}

func TestLibraryCandidatesEnvOverride(t *testing.T) {
	t.Setenv(LibraryEnv, "/opt/ort/libonnxruntime.so.1")
	c := LibraryCandidates(FlavorCPU)
	if len(c) != 1 || c[0] != "/opt/ort/libonnxruntime.so.1" {
		t.Fatalf("got %v", c)
	}
	t.Setenv(LibraryEnv, "")
	c = LibraryCandidates(FlavorGPU)
	if !strings.HasSuffix(c[0], "lib/ort/gpu/libonnxruntime.so.1") || c[len(c)-1] != "libonnxruntime.so.1" {
		t.Fatalf("search order: %v", c)
	}
}

// Cancelling while batches run must not race Terminate against freeing the run
// options (found by the race detector in TestCancelStopsQuery).
func TestPredictCancelDuringRuns(t *testing.T) {
	_, s := sentiment(t)
	texts := make([]string, 256)
	for i := range texts {
		texts[i] = "a long enough review sentence to keep the model busy for a while"
	}
	for range 20 {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		in, out := loadTexts(t, s.task, texts...)
		go func() {
			defer close(done)
			for ctx.Err() == nil {
				if err := s.Predict(ctx, in, 0, len(texts), out); err != nil && !errors.Is(err, context.Canceled) {
					t.Errorf("predict: %v", err)
					return
				}
			}
		}()
		time.Sleep(time.Millisecond)
		cancel()
		<-done
	}
}

// Predict hands ORT a tensor over the ClassData's own buffer only when the model
// declares exactly its width; otherwise (here: a 3-class model decoded as 2 labels,
// which Check refuses for a declared width but a model with a dynamic class dimension
// could still give) ORT allocates the output and Decode names the shape. With a fitting
// buffer, ORT writes in place and the results equal a copy.
func TestPredictOutputTensor(t *testing.T) {
	task, _, s := shippedSession(t, "iris")
	cols := []Column{
		&Values{ColName: "sepal_length", Nums: []float64{5.1, 6.3, 7.7}},
		&Values{ColName: "sepal_width", Nums: []float64{3.5, 2.5, 3.0}},
		&Values{ColName: "petal_length", Nums: []float64{1.4, 4.9, 6.1}},
		&Values{ColName: "petal_width", Nums: []float64{0.2, 1.5, 2.3}},
	}
	in := task.NewInputs()
	if err := in[0].Load(cols, 3, []bool{true, true, true}, func(r int, err error) { t.Fatalf("row %d: %v", r, err) }); err != nil {
		t.Fatal(err)
	}
	out := task.NewOutput()
	out.Reset(3)
	if err := s.Predict(context.Background(), in, 0, 3, out); err != nil {
		t.Fatal(err)
	}
	cd := out.(*ClassData)
	if got := []int32{cd.Class[0], cd.Class[1], cd.Class[2]}; got[0] != 0 || got[2] != 2 {
		t.Fatalf("iris classes %v, want [0 _ 2]; scores %v", got, cd.raw)
	}
	for r := range 3 {
		sum := float32(0)
		for _, p := range cd.raw[r*3 : r*3+3] {
			sum += p
		}
		if math.Abs(float64(sum-1)) > 1e-4 || cd.Confidence[r] != cd.raw[r*3+int(cd.Class[r])] {
			t.Fatalf("row %d: scores %v, confidence %v", r, cd.raw[r*3:r*3+3], cd.Confidence[r])
		}
	}
	// The next chunk's batch on the same rows reuses the tensor (ORT writes the new
	// scores into it); after raw has moved to a bigger array, a new one points there.
	first := slices.Clone(cd.raw[:9])
	for range 2 {
		clear(cd.raw)
		if err := s.Predict(context.Background(), in, 0, 3, out); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(cd.raw[:9], first) || len(cd.held.t) != 1 {
			t.Fatalf("scores %v, want %v again; %d tensors held, want 1", cd.raw[:9], first, len(cd.held.t))
		}
	}
	out.Reset(4096)
	clear(cd.raw)
	if err := s.Predict(context.Background(), in, 0, 3, out); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(cd.raw[:9], first) || cd.held.base != &cd.raw[0] || len(cd.held.t) != 1 {
		t.Fatalf("after raw moved: scores %v, want %v; held tensors point at the old array or were not freed", cd.raw[:9], first)
	}
	two := &ClassData{labels: []string{"a", "b"}, scores: cd.scores}
	two.Reset(3)
	err := s.Predict(context.Background(), in, 0, 3, two)
	if !errors.Is(err, ErrModel) || !strings.Contains(err.Error(), "the output has shape [3 3], want [3 2]") {
		t.Fatalf("got %v, want ErrModel naming the output's shape", err)
	}
}
