package models

import (
	"fmt"
	"math"
	"runtime"
	"sync"
	"sync/atomic"
	"unicode"
	"unicode/utf8"

	ort "github.com/yalue/onnxruntime_go"
)

// classifyOutput reads class scores, [N, len(labels)] floats: the result of a row is
// the label of the largest and its confidence, by the task's "scores" rule (see
// ScoresProbabilities). A row whose scores hold a NaN or +Inf (or, for probabilities,
// any value outside [0, 1] beyond probSlack) has no result.
type classifyOutput struct{}

func (classifyOutput) Validate(c *Config) error {
	if c.Output == "" {
		return fmt.Errorf(`"output" (the model output holding class scores) is missing`)
	}
	switch c.Scores {
	case "":
		c.Scores = ScoresProbabilities
	case ScoresProbabilities, ScoresLogits, ScoresSigmoid:
	default:
		return fmt.Errorf(`"scores" %q is not supported; use "probabilities" (the default), "logits" (softmax is applied) or "sigmoid" (one logit per label)`, c.Scores)
	}
	switch {
	case len(c.Labels) == 1 && c.Scores == ScoresSigmoid:
		// One logit, a score (say a reranker's): its sigmoid is the label's probability.
	case len(c.Labels) == 1:
		// A softmax over one class, or its one probability, is always 1.
		return fmt.Errorf(`"labels" needs at least two class labels, got 1 (%q); a model with a single score takes "scores": "sigmoid"`, c.Labels[0])
	case len(c.Labels) < 2:
		return fmt.Errorf(`"labels" needs at least two class labels, got %d`, len(c.Labels))
	}
	seen := make(map[string]int, len(c.Labels))
	for i, l := range c.Labels {
		// One label twice would give two classes one name, and probabilities := true a
		// MAP with a repeated key.
		if j, dup := seen[l]; dup {
			return fmt.Errorf(`labels[%d] and labels[%d] are both %q; give each class its own label`, j, i, l)
		}
		seen[l] = i
		// Bindings may carry a label next to other values; control characters and
		// empty labels would be ambiguous there and invisible in a shell.
		for _, r := range l {
			if unicode.IsControl(r) {
				return fmt.Errorf(`labels[%d] %q has a control character`, i, l)
			}
		}
		if l == "" {
			return fmt.Errorf(`labels[%d] is empty`, i)
		}
		// Both bindings write labels into DuckDB without its UTF-8 check (they are
		// checked here, once). JSON decoding already yields valid UTF-8.
		if !utf8.ValidString(l) {
			return fmt.Errorf(`labels[%d] %q is not valid UTF-8`, i, l)
		}
	}
	return nil
}

func (classifyOutput) CheckModel(c *Config, o ort.InputOutputInfo) error {
	if o.OrtValueType != ort.ONNXTypeTensor {
		// skl2onnx's ZipMap turns probabilities into a sequence of maps.
		return fmt.Errorf("model output %q is %s, not a tensor of class scores (a ZipMap?); re-export without it (skl2onnx: options={id(model): {\"zipmap\": False}}) or name the probability tensor in \"output\"", o.Name, valueTypeName(o.OrtValueType))
	}
	switch o.DataType {
	case ort.TensorElementDataTypeFloat:
	case ort.TensorElementDataTypeInt64, ort.TensorElementDataTypeString:
		// Most likely a classifier's predicted-label output (skl2onnx's "label"),
		// which has no scores to cast.
		return fmt.Errorf("model output %q holds %s, most likely the predicted labels; a classify task reads float32 class scores [N, %d] and gives the label itself; name the model's probability output in \"output\" (skl2onnx: \"output_probability\", exported with options={id(model): {\"zipmap\": False}})", o.Name, elemName(o.DataType), len(c.Labels))
	default:
		return fmt.Errorf("model output %q holds %s; it must be float32 class scores [N, %d]; cast it to float inside the model", o.Name, elemName(o.DataType), len(c.Labels))
	}
	if d := o.Dimensions; len(d) != 0 && len(d) != 2 {
		// Rank 0 is also how ORT reports an output of unknown rank: Decode checks it.
		return fmt.Errorf("model output %q has shape %v; a classify task reads class scores [N, labels] ([N, %d] here); re-export the model with that output shape (unsqueeze a single score to [N, 1])", o.Name, []int64(d), len(c.Labels))
	}
	if len(o.Dimensions) == 2 && o.Dimensions[1] > 0 && int(o.Dimensions[1]) != len(c.Labels) {
		// The labels come from task.json, or, in a Hugging Face folder without one,
		// from config.json's id2label or num_labels.
		return fmt.Errorf("model output %q has %d classes but the task has %d labels (%s, from task.json's \"labels\", or a Hugging Face config.json's id2label or num_labels); make them agree", o.Name, o.Dimensions[1], len(c.Labels), quoteList(c.Labels))
	}
	return nil
}

func (classifyOutput) NewData(c *Config) OutputData {
	d := &ClassData{labels: c.Labels, scores: c.Scores}
	for _, l := range c.Labels {
		d.labelBytes = append(d.labelBytes, l...)
		d.labelEnds = append(d.labelEnds, uint32(len(d.labelBytes)))
	}
	return d
}

// ClassData holds, per row, the index of the predicted label and its probability;
// Class is -1 for a row without a result.
type ClassData struct {
	labels     []string
	scores     string    // ScoresProbabilities, ScoresLogits or ScoresSigmoid
	raw        []float32 // each row's scores as the model gave them, len(labels) per row
	Class      []int32
	Confidence []float32

	labelBytes []byte       // the labels back to back, for writers in C (PackedLabels)
	labelEnds  []uint32     // where each label ends in labelBytes
	anyNaN     atomic.Bool  // a row decoded since Reset has no class (AnyRowError)
	heldMu     sync.Mutex   // held by the batch using held, until its tensor is destroyed
	held       *heldOutputs // outputTensor's, made at its first call
}

// heldOutputs are outputTensor's tensors, kept from chunk to chunk by their rows: a
// chunk's batches fall on the same bounds as the last one's, and a new tensor per batch
// cost two cgo calls and five allocations. They point into raw's array at base; when
// raw moves they are freed.
type heldOutputs struct {
	base *float32
	t    map[[2]int]*ort.Tensor[float32]
}

// maxHeldOutputs bounds the kept tensors (text tasks may batch by token counts, on
// bounds that vary from chunk to chunk); past it, a batch gets a tensor of its own.
const maxHeldOutputs = 32

func (h *heldOutputs) destroy() {
	for _, t := range h.t {
		t.Destroy()
	}
	clear(h.t)
}

// keptOutput is a held tensor as Predict sees it: Predict destroys the output after
// decoding it, which must leave a held one alone and give back the lock on held.
type keptOutput struct {
	*ort.Tensor[float32]
	mu *sync.Mutex
}

func (k keptOutput) Destroy() error {
	k.mu.Unlock()
	return nil
}

func (d *ClassData) Reset(n int) {
	d.anyNaN.Store(false)
	d.Class = grow(d.Class, n)
	d.Confidence = grow(d.Confidence, n)
	d.raw = grow(d.raw, n*len(d.labels))
}

// outputTensor is a [rows × labels] tensor over rows [lo, hi) of d's own score buffer,
// for ORT to write the model's output into: the run then allocates no output of its
// own and Decode copies nothing (onnxruntime_go would otherwise build a Go tensor from
// ORT's output, several cgo calls and a copy per batch). nil unless the model declares
// exactly len(labels) scores per row and an open first dimension or one of hi-lo rows
// (outputBinder), or while another batch running beside this one holds the kept
// tensors (ORT then allocates this batch's output).
func (d *ClassData) outputTensor(lo, hi, rows, width int) (ort.Value, error) {
	nl := len(d.labels)
	if width != nl || hi <= lo || (rows > 0 && rows != hi-lo) || !d.heldMu.TryLock() {
		return nil, nil
	}
	v, err := d.heldTensor(lo, hi, nl)
	if _, kept := v.(keptOutput); !kept {
		d.heldMu.Unlock()
	}
	return v, err
}

// heldTensor is outputTensor's under heldMu.
func (d *ClassData) heldTensor(lo, hi, nl int) (ort.Value, error) {
	if d.held == nil {
		d.held = &heldOutputs{}
		runtime.AddCleanup(d, func(h *heldOutputs) { h.destroy() }, d.held)
	}
	h, key := d.held, [2]int{lo, hi}
	if h.base != &d.raw[0] {
		h.destroy()
		h.base = &d.raw[0]
	}
	if t := h.t[key]; t != nil {
		return keptOutput{t, &d.heldMu}, nil
	}
	t, err := ort.NewTensor(ort.NewShape(int64(hi-lo), int64(nl)), d.raw[lo*nl:hi*nl])
	if err != nil || len(h.t) >= maxHeldOutputs {
		return t, err
	}
	if h.t == nil {
		h.t = map[[2]int]*ort.Tensor[float32]{}
	}
	h.t[key] = t
	return keptOutput{t, &d.heldMu}, nil
}

func (d *ClassData) Decode(v ort.Value, lo, hi int) error {
	if k, ok := v.(keptOutput); ok {
		v = k.Tensor
	}
	nl := len(d.labels)
	raw := d.raw[lo*nl : hi*nl]
	switch out := v.(type) {
	case *ort.Tensor[float32]:
		if !d.shapeFits(out.GetShape(), hi-lo) {
			return fmt.Errorf("%w: the output has shape %v, want [%d %d] (rows × labels); make the model's classes match task.json's labels", ErrModel, out.GetShape(), hi-lo, nl)
		}
		// A tensor from outputTensor already wrote d.raw: no copy.
		if probs := out.GetData(); len(probs) > 0 && &probs[0] != &raw[0] {
			copy(raw, probs)
		}
	case *ort.Scalar[float32]:
		// A squeezed single score's one-row batch (scalarOutput checked both).
		raw[0] = out.GetData()
	default:
		return fmt.Errorf("%w: the output is not a float tensor", ErrModel)
	}
	plain := d.scores == ScoresProbabilities
	// A score below floor or above ceil (or a NaN, which passes no comparison) leaves
	// its row without an answer, rather than a confident guess: +Inf is an overflow,
	// not a certainty; but a -Inf logit is a probability of 0 (a masked class, say).
	// A probability outside [0, 1] is most likely a logit in a task that left out
	// "scores": taken as it is, 2.5 would read as certainty and -0.3 as a class with
	// confidence 0.
	floor, ceil := float32(math.Inf(-1)), float32(math.MaxFloat32)
	if plain {
		floor, ceil = -probSlack, 1+probSlack
	}
	cls, conf := d.Class[lo:hi], d.Confidence[lo:hi]
	for i := range cls {
		row := raw[i*nl : i*nl+nl]
		best, top := 0, row[0]
		ok := true
		for j, x := range row {
			if x > top {
				best, top = j, x
			}
			ok = ok && x >= floor && x <= ceil
		}
		c := top
		if !plain {
			c = d.confidence(row, best)
		}
		// A NaN confidence: say, softmax over logits that are all -Inf.
		if cls[i], conf[i] = int32(best), c; !ok || c != c {
			cls[i] = -1
			d.anyNaN.Store(true)
		}
	}
	return nil
}

// shapeFits says whether a model output of shape s holds the scores of rows rows:
// [rows, labels], or what PyTorch's .squeeze() makes of it in a model exported with
// an output of undeclared rank: [labels] for one row, [rows] for a single score.
func (d *ClassData) shapeFits(s ort.Shape, rows int) bool {
	nl := int64(len(d.labels))
	switch len(s) {
	case 2:
		return s[0] == int64(rows) && s[1] == nl
	case 1:
		return (rows == 1 && s[0] == nl) || (nl == 1 && s[0] == int64(rows))
	}
	return false
}

// decodesScalar: a single score squeezed to [N] gives a scalar for one row.
func (d *ClassData) decodesScalar() bool { return len(d.labels) == 1 }

// Labels are the task's class labels, in the model's order.
func (d *ClassData) Labels() []string { return d.labels }

// PackedLabels are the labels back to back, label k ending at ends[k]: a form C code
// can take (no Go pointers inside).
func (d *ClassData) PackedLabels() (buf []byte, ends []uint32) { return d.labelBytes, d.labelEnds }

// Probabilities appends row i's probability of every label (by the task's "scores"
// rule) to dst.
func (d *ClassData) Probabilities(dst []float64, i int) []float64 {
	nl := len(d.labels)
	row := d.raw[i*nl : (i+1)*nl]
	switch d.scores {
	case ScoresLogits:
		top := float64(row[0])
		for _, x := range row {
			top = max(top, float64(x))
		}
		sum := 0.0
		for _, x := range row {
			sum += math.Exp(float64(x) - top)
		}
		for _, x := range row {
			dst = append(dst, math.Exp(float64(x)-top)/sum)
		}
	case ScoresSigmoid:
		for _, x := range row {
			dst = append(dst, 1/(1+math.Exp(-float64(x))))
		}
	default:
		for _, x := range row {
			dst = append(dst, float64(x))
		}
	}
	return dst
}

// confidence is the probability of label best given a row of scores.
func (d *ClassData) confidence(row []float32, best int) float32 {
	switch d.scores {
	case ScoresLogits:
		// Softmax relative to the largest logit: exp never overflows.
		top, sum := float64(row[best]), 1.0
		for j, x := range row {
			if j != best {
				sum += math.Exp(float64(x) - top)
			}
		}
		return float32(1 / sum)
	case ScoresSigmoid:
		return float32(1 / (1 + math.Exp(-float64(row[best]))))
	}
	return row[best]
}

func (d *ClassData) AnyRowError() bool { return d.anyNaN.Load() }

// probSlack is how far past [0, 1] a score may lie and still count as a probability
// (clamped when written): a softmax's rounding, up to bfloat16's 2^-7 above 1 (a
// model that computes in bfloat16 and casts its output to float32).
const probSlack = 0.01

func (d *ClassData) RowError(i int) error {
	if d.Class[i] >= 0 {
		return nil
	}
	if d.scores != ScoresProbabilities {
		return fmt.Errorf("%w: the model's output for this row holds a NaN or +Inf logit, or only -Inf ones: such NaN or infinite scores give no probability", ErrModel)
	}
	nl := len(d.labels)
	row := d.raw[i*nl : (i+1)*nl]
	for _, x := range row {
		if x != x || math.IsInf(float64(x), 0) {
			return fmt.Errorf("%w: the model's output for this row is NaN or infinite, which is no probability", ErrModel)
		}
	}
	for j, x := range row {
		if x < -probSlack || x > 1+probSlack {
			return fmt.Errorf("%w: the model's score for label %q in this row is %v, not a probability in [0, 1] (the task's \"scores\" is \"probabilities\", the default); if the model outputs raw logits, set \"scores\": \"logits\" in task.json (softmax over the labels), or \"sigmoid\" for one independent logit per label", ErrModel, d.labels[j], x)
		}
	}
	return fmt.Errorf("%w: the model's output for this row is no probability", ErrModel)
}

// Label is row i's predicted label.
func (d *ClassData) Label(i int) string { return d.labels[d.Class[i]] }

// ConfidenceWidth is the width of every confidence AppendConfidence writes.
const ConfidenceWidth = 8

// AppendConfidence writes p (a probability) with six decimals, "0.123456": the one
// confidence format of every binding. Integer formatting is several times cheaper than
// strconv's, and the fixed width lets SQL cut a packed value by position.
func AppendConfidence(b []byte, p float32) []byte {
	switch {
	case !(p > 0): // also NaN
		p = 0
	case p > 1:
		p = 1
	}
	v := uint32(float64(p)*1e6 + 0.5)
	// Two digits per table lookup: three divisions instead of seven.
	hi, mid, lo := v/10000, v/100%100, v%100
	return append(b, byte('0'+hi/100), '.',
		digitPairs[2*(hi%100)], digitPairs[2*(hi%100)+1],
		digitPairs[2*mid], digitPairs[2*mid+1],
		digitPairs[2*lo], digitPairs[2*lo+1])
}

// digitPairs is "00" to "99", back to back.
const digitPairs = "00010203040506070809101112131415161718192021222324252627282930313233343536373839" +
	"40414243444546474849505152535455565758596061626364656667686970717273747576777879" +
	"8081828384858687888990919293949596979899"
