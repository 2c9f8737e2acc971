package models

import (
	"fmt"
	"sort"
	"strings"

	ort "github.com/yalue/onnxruntime_go"
)

// A task is an input side and an output side. Each task input has an InputKind (its
// "type" in task.json) and the task has one OutputKind; both are looked up once, when
// the task loads, so the hot path never switches on a type name. Adding a kind is one
// type in one file, one line in inputKinds or outputKinds, and its tests.

// Column is one table column of a chunk, as a binding (DuckDB, Arrow) reads it. Each
// method fills dst for every row and clears valid[r] where the value is NULL; a column
// of the wrong type is an error that names the type.
type Column interface {
	Name() string
	Strings(dst []string, valid []bool) error
	Float64s(dst []float64, valid []bool) error
	// Int64s reads an integer column exactly and returns true; for any other column
	// (float, DECIMAL) it returns false, and the caller reads the column through
	// Float64s. Each non-NULL value beyond int64 (UBIGINT, HUGEINT, UHUGEINT) goes to
	// beyond with its row and its exact decimal text, so that it fails its own row
	// and no other: a row's result must not depend on the rest of its chunk.
	Int64s(dst []int64, valid []bool, beyond func(r int, v string)) (bool, error)
	// ArrayFloat64s reads a numeric ARRAY or LIST column, k values per row into
	// dst[r*k : (r+1)*k]; a NULL array or element clears valid[r], and a row of another
	// length is an error that names it.
	ArrayFloat64s(dst []float64, k int, valid []bool) error
}

// Float32Column is a Column that can read FLOAT data as it is, without widening it to
// float64 (the hot path of wide float32 models); ok is false, and nothing is read, for
// a column of any other type.
type Float32Column interface {
	Float32s(dst []float32, valid []bool) (ok bool, err error)
}

// InputKind turns a task input's columns into one model input tensor.
type InputKind interface {
	// Validate checks a task.json input entry of this kind.
	Validate(spec InputSpec) error
	// CheckModel checks the model's declared input against the entry.
	CheckModel(spec InputSpec, info ort.InputOutputInfo) error
	// NewData returns empty storage for this input's rows; dims is the model input's
	// declared shape (nil when the model has not been checked yet).
	NewData(spec InputSpec, dims []int64) InputData
}

// InputData holds one model input's values, first for every row of a chunk (Load),
// then for the rows that go to the model (Compact).
type InputData interface {
	// Load reads n rows from cols; a NULL clears valid[r]; a value no model can take
	// (NaN, ±Inf, a text the tokenizer cannot encode) clears valid[r] and is reported
	// through bad, as a *ValueError.
	Load(cols []Column, n int, valid []bool, bad func(r int, err error)) error
	// Compact keeps the rows listed in rows (increasing), in that order.
	Compact(rows []int)
	// Tensor builds the model input for rows [lo, hi); the caller destroys it. After
	// Compact, several goroutines may build (and run) disjoint ranges at once.
	Tensor(lo, hi int) (ort.Value, error)
	// Preview describes row i for error messages.
	Preview(i int) string
}

// OutputKind turns a model output into result values.
type OutputKind interface {
	// Validate checks the task.json fields this kind reads.
	Validate(c *Config) error
	// CheckModel checks the model's declared output.
	CheckModel(c *Config, info ort.InputOutputInfo) error
	// NewData returns empty storage for a chunk's results.
	NewData(c *Config) OutputData
}

// OutputData holds one chunk's results, by model row.
type OutputData interface {
	// Reset makes room for n rows.
	Reset(n int)
	// Decode reads the model's output for rows [lo, hi). Once one batch of a chunk has
	// been decoded, several goroutines may decode disjoint ranges at once (Predict on
	// several sessions sharing one chunk).
	Decode(v ort.Value, lo, hi int) error
	// RowError is the reason row i has no result (say, a NaN output), or nil.
	RowError(i int) error
	// AnyRowError is false when RowError is nil for every row decoded since Reset, so
	// the caller can skip asking row by row.
	AnyRowError() bool
}

// outputBinder is an OutputData that can hand ORT a tensor over its own memory for
// rows [lo, hi) to write the output into. ORT holds a bound tensor to the output's
// declared shape, which need not be what the model computes (an export with dynamic
// axes on its inputs only declares [1, C] and computes [N, C]). So the binder returns
// nil unless the declared shape fits its tensor: rows is the declared first dimension
// (<= 0 when open) and width the values per row (Task.OutputWidth, 0 when open). A run
// then never fails for the tensor it was handed: otherwise ORT allocates the output
// and Decode says what the model gave.
type outputBinder interface {
	outputTensor(lo, hi, rows, width int) (ort.Value, error)
}

// scalarDecoder is an OutputData whose Decode may take a rank-0 output (an
// *ort.Scalar) as the one value of a one-row batch: what a squeezed [N] output gives
// for N = 1. decodesScalar says whether this one does (a classifier only with one
// label).
type scalarDecoder interface {
	decodesScalar() bool
}

var inputKinds = map[InputType]InputKind{
	InputString:  stringInput{},
	InputFloat32: numericInput[float32]{},
	InputFloat64: numericInput[float64]{},
	InputInt32:   numericInput[int32]{},
	InputInt64:   numericInput[int64]{},
	InputText:    textInput{},
}

// Output kinds ("kind" in task.json): OutputClassify turns class scores into a label
// and its confidence; OutputRegress passes the model's numbers through.
const (
	OutputClassify = "classify"
	OutputRegress  = "regress"
)

// What a classify output holds ("scores" in task.json), and how it becomes a
// confidence: probabilities as they are; logits through softmax over the labels;
// sigmoid scores (one independent logit per label) through the sigmoid. Every rule picks
// the label of the largest score, so a sigmoid task gives one label per row (the
// argmax; the confidence is that label's sigmoid), not a multi-label set.
const (
	ScoresProbabilities = "probabilities"
	ScoresLogits        = "logits"
	ScoresSigmoid       = "sigmoid"
)

var outputKinds = map[string]OutputKind{
	OutputClassify: classifyOutput{},
	OutputRegress:  regressOutput{},
	OutputEmbed:    embedOutput{},
}

func inputKind(t InputType) (InputKind, error) {
	k, ok := inputKinds[t]
	if !ok {
		return nil, fmt.Errorf("type %q is not supported; use one of %s", t, kindNames(inputKinds))
	}
	return k, nil
}

func kindNames[K ~string, V any](m map[K]V) string {
	var names []string
	for k := range m {
		names = append(names, fmt.Sprintf("%q", string(k)))
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// Kinds are what a loaded task runs with: one InputKind per input, one OutputKind.
type Kinds struct {
	Inputs []InputKind
	Output OutputKind
}

// NewInputs returns empty storage for every input of the task.
func (t *Task) NewInputs() []InputData {
	out := make([]InputData, len(t.Config.Inputs))
	dims := t.inputDims.Load()
	for i, spec := range t.Config.Inputs {
		if spec.Type == InputText {
			out[i] = t.newTextData(t.feedsOf(i))
			continue
		}
		var d []int64
		if dims != nil {
			d = (*dims)[i]
		}
		out[i] = t.Config.kinds.Inputs[i].NewData(spec, d)
	}
	return out
}

// FixedBatch is the batch size the model's inputs fix in their first dimension (a
// PyTorch export without dynamic_axes: [1, 4]), 0 when every input takes any number
// of rows or the model is not checked yet; the input and its shape come with it.
func (t *Task) FixedBatch() (rows int64, input string, shape []int64) {
	dims := t.inputDims.Load()
	if dims == nil {
		return 0, "", nil
	}
	if i := fixedBatchInput(*dims); i >= 0 {
		return (*dims)[i][0], t.Config.Inputs[i].Name, (*dims)[i]
	}
	return 0, "", nil
}

// fixedBatchInput is the first of the inputs' declared shapes dims whose first
// dimension is a fixed number, -1 when every input takes any number of rows.
func fixedBatchInput(dims [][]int64) int {
	for i, d := range dims {
		if len(d) > 0 && d[0] > 0 {
			return i
		}
	}
	return -1
}

// NewOutput returns empty storage for the task's results.
func (t *Task) NewOutput() OutputData {
	out := t.Config.kinds.Output.NewData(&t.Config)
	if r, ok := out.(*RegressData); ok {
		// Decode holds the model to the width the bind chose the result type by.
		r.declared = max(t.OutputWidth(), 0)
	}
	return out
}
