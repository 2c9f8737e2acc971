package models

import (
	"fmt"
	"math"

	ort "github.com/yalue/onnxruntime_go"
)

// OutputEmbed turns a text model's hidden states into one vector per row
// (ml_embed's embedding column).
const OutputEmbed = "embed"

// embedOutputs are the outputs an embed task reads when task.json names none, in order
// of preference: the model's own sentence vectors [N, d] (what
// SentenceTransformer.encode returns of an Optimum export), else token vectors
// [N, seq, d], pooled here.
var embedOutputs = []string{"sentence_embedding", "last_hidden_state", "token_embeddings"}

// embedOutputOrder is embedOutputs for c: a "pooling" of the user's asks to pool
// token vectors here (the model's own sentence vectors may have pooled otherwise), so
// they come first.
func embedOutputOrder(c *Config) []string {
	if c.poolingSet && !c.poolingImplicit {
		return []string{"last_hidden_state", "token_embeddings", "sentence_embedding"}
	}
	return embedOutputs
}

type embedOutput struct{}

func (embedOutput) Validate(c *Config) error {
	if len(c.Labels) > 0 || c.Scores != "" {
		return fmt.Errorf(`"labels" and "scores" are for "kind": "classify"; an embed task returns vectors`)
	}
	c.poolingSet = c.Pooling != ""
	switch c.Pooling {
	case "":
		c.Pooling = PoolingMean
	case PoolingMean, PoolingCLS:
	default:
		return fmt.Errorf(`"pooling" %q is not supported; use %q (attention-masked mean, the default) or %q (the first token)`, c.Pooling, PoolingMean, PoolingCLS)
	}
	for _, in := range c.Inputs {
		if in.Type != InputText {
			return fmt.Errorf(`"kind": "embed" needs a "text" input (it pools token vectors by their attention mask)`)
		}
	}
	return nil
}

func (embedOutput) CheckModel(c *Config, o ort.InputOutputInfo) error {
	if o.OrtValueType != ort.ONNXTypeTensor || o.DataType != ort.TensorElementDataTypeFloat {
		return fmt.Errorf("model output %q is not a float32 tensor; an embed task reads float32 vectors", o.Name)
	}
	if d := len(o.Dimensions); d != 2 && d != 3 {
		return fmt.Errorf("model output %q has shape %v; an embed task reads [N, seq, d] token vectors or [N, d] sentence vectors", o.Name, []int64(o.Dimensions))
	}
	if c.stUnapplied != "" && len(o.Dimensions) == 3 {
		return fmt.Errorf("%s/modules.json lists modules duckinfer does not apply: %s. SentenceTransformer.encode runs them; duckinfer pools the model's token vectors (output %q) and would return other vectors. Export the model with its own pooled output (optimum-cli export onnx --library sentence_transformers writes sentence_embedding, which includes them), or name the output in a task.json beside it (\"output\": %q) to take the pooled token vectors as they are", c.stFolder, c.stUnapplied, o.Name, o.Name)
	}
	if c.poolingImplicit {
		// The Pooling module's pooling is what the model's own sentence vectors did.
		return nil
	}
	return poolingError(o, c.Pooling, `task.json's "pooling": "cls"`)
}

// poolingError refuses 'cls' pooling over an output the model has already pooled
// ([N, d] sentence vectors): there is no first token left to take, and Decode would
// return the model's own pooling instead. by says where 'cls' was asked for. A task
// with "pooling": "cls" reads token vectors when the model has them (embedOutputOrder),
// so it meets this only over a model that has none; a query's pooling := 'cls' meets
// it over a task that reads the model's sentence_embedding.
func poolingError(o ort.InputOutputInfo, pooling, by string) error {
	if pooling != PoolingCLS || len(o.Dimensions) != 2 {
		return nil
	}
	return fmt.Errorf("%s takes the first token's vector, but model output %q has shape %v: sentence vectors the model has already pooled; name a token-vector output [N, seq, d] (\"output\": \"token_embeddings\" or \"last_hidden_state\") in task.json, or leave pooling out to take the model's own", by, o.Name, []int64(o.Dimensions))
}

// CheckPooling refuses a query's pooling (ml_embed's pooling argument) that t's model
// output cannot honour. Over sentence vectors the model has pooled itself ([N, d]),
// only the task's own pooling, as the sentence-transformers Pooling module states
// it, can be honoured: any other would return the model's pooling under its name.
// It is nil until Check has passed for t.
func (p *Pool) CheckPooling(t *Task, pooling string) error {
	o, ok := p.checkedOutput(t)
	if !ok || pooling == "" || len(o.Dimensions) != 2 {
		return nil
	}
	if t.Config.poolingImplicit && pooling == t.Config.Pooling {
		return nil
	}
	return fmt.Errorf("task %q: pooling '%s' pools token vectors, but the task reads model output %q, sentence vectors the model has already pooled (shape %v); set \"pooling\": \"%s\" in the task's task.json, which reads the model's token vectors where it has them, or leave pooling out to take the model's own", t.Name, pooling, o.Name, []int64(o.Dimensions), pooling)
}

func (embedOutput) NewData(c *Config) OutputData {
	return &EmbedData{cls: c.Pooling == PoolingCLS, normalize: c.Normalize == nil || *c.Normalize}
}

// EmbedData holds one vector of Width float32 values per row (row-major in Values).
type EmbedData struct {
	Width     int
	Values    []float32
	ok        []bool
	cls       bool
	normalize bool
	text      *TextData // the rows' token counts, for the attention-masked mean
}

// SetPooling overrides the task's pooling ("mean" or "cls") and normalisation for this
// data (ml_embed's pooling and normalize).
func (d *EmbedData) SetPooling(pooling string, normalize *bool) {
	if pooling != "" {
		d.cls = pooling == PoolingCLS
	}
	if normalize != nil {
		d.normalize = *normalize
	}
}

func (d *EmbedData) Reset(n int) {
	d.ok = grow(d.ok, n)
	if d.Width > 0 {
		d.Values = grow(d.Values, n*d.Width)
	}
}

func (d *EmbedData) Decode(v ort.Value, lo, hi int) error {
	out, ok := v.(*ort.Tensor[float32])
	if !ok {
		return fmt.Errorf("%w: the output is not a float32 tensor", ErrModel)
	}
	s := out.GetShape()
	rows := hi - lo
	if (len(s) != 2 && len(s) != 3) || s[0] != int64(rows) {
		return fmt.Errorf("%w: the output has shape %v, want [%d, seq, d] or [%d, d]", ErrModel, s, rows, rows)
	}
	w := int(s[len(s)-1])
	if d.Width == 0 {
		d.Width = w
		d.Values = grow(d.Values, len(d.ok)*w)
	} else if w != d.Width {
		return fmt.Errorf("%w: the output has %d values per row here and %d before", ErrModel, w, d.Width)
	}
	data := out.GetData()
	for b := range rows {
		r := lo + b
		dst := d.Values[r*w : (r+1)*w]
		switch {
		case len(s) == 2:
			copy(dst, data[b*w:(b+1)*w])
		case d.cls:
			copy(dst, data[b*int(s[1])*w:][:w])
		default:
			seq := int(s[1])
			n := seq
			if d.text != nil {
				n = min(d.text.Len(r), seq)
			}
			acc := make([]float64, w)
			for j := range n {
				tok := data[(b*seq+j)*w:][:w]
				for k, x := range tok {
					acc[k] += float64(x)
				}
			}
			for k := range dst {
				dst[k] = float32(acc[k] / float64(max(n, 1)))
			}
		}
		d.ok[r] = true
		var sum float64
		for _, x := range dst {
			if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
				d.ok[r] = false
			}
			sum += float64(x) * float64(x)
		}
		if d.normalize && sum > 0 {
			// As torch.nn.functional.normalize: divide by the norm (eps 1e-12).
			inv := 1 / max(math.Sqrt(sum), 1e-12)
			for k := range dst {
				dst[k] = float32(float64(dst[k]) * inv)
			}
		}
	}
	return nil
}

// AnyRowError is true: the rows' flags are checked one by one (not a hot path).
func (d *EmbedData) AnyRowError() bool { return true }

func (d *EmbedData) RowError(i int) error {
	if !d.ok[i] {
		return fmt.Errorf("%w: the model's output for this row is NaN or infinite", ErrModel)
	}
	return nil
}

// Row is row i's embedding.
func (d *EmbedData) Row(i int) []float32 { return d.Values[i*d.Width : (i+1)*d.Width] }
