package models

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"regexp"
)

// InputType says how a model input is built from table columns.
type InputType string

const (
	// InputString feeds exactly one VARCHAR column as a string tensor of shape [N].
	InputString InputType = "string"
	// InputFloat32, InputFloat64, InputInt32 and InputInt64 feed k numeric columns as a
	// tensor of that element type, shaped [N, k] (or [N] when the model takes one value
	// per row).
	InputFloat32 InputType = "float32"
	InputFloat64 InputType = "float64"
	InputInt32   InputType = "int32"
	InputInt64   InputType = "int64"
	// InputText tokenizes one VARCHAR column with the task's tokenizer.json and feeds
	// the model's int64 input_ids and whichever of attention_mask, token_type_ids and
	// position_ids it declares (input_text.go).
	InputText InputType = "text"
)

// DefaultBatchSize applies when a task config names none.
const DefaultBatchSize = 256

// MaxBatchSize bounds batch_size: a batch larger than this only costs memory, since a
// DuckDB chunk (2048 rows) is the most one call ever holds.
const MaxBatchSize = 1 << 16

// InputSpec maps table columns to one model input.
type InputSpec struct {
	Name    string    `json:"name"`
	Columns []string  `json:"columns"`
	Type    InputType `json:"type"`
}

// Config is a task folder's task.json.
type Config struct {
	Description string      `json:"description"`
	Model       string      `json:"model"`
	Inputs      []InputSpec `json:"inputs"`
	Kind        string      `json:"kind,omitempty"` // the output kind: "classify" (default)
	Output      string      `json:"output"`         // the model output the kind reads
	Labels      []string    `json:"labels"`
	Scores      string      `json:"scores,omitempty"` // classify: what the output holds (see ScoresProbabilities)
	BatchSize   int         `json:"batch_size"`

	// Text tasks (an input of type "text").
	Tokenizer string `json:"tokenizer,omitempty"`  // the tokenizer.json, in the task folder
	MaxLength int    `json:"max_length,omitempty"` // tokens per text, special tokens included; 0: no limit
	PadID     *int64 `json:"pad_id,omitempty"`     // input_ids of padding; default: the tokenizer's [PAD]/<pad>
	Padding   string `json:"padding,omitempty"`    // "bucket" (default), "chunk" or "none"; see PaddingBucket
	// "right" (default) or "left": the end a text longer than max_length loses.
	Truncation string `json:"truncation,omitempty"`
	// Embed tasks.
	Pooling   string `json:"pooling,omitempty"`   // "mean" (default) or "cls"
	Normalize *bool  `json:"normalize,omitempty"` // L2-normalise the embedding (default true)

	kinds Kinds // resolved by validate
	// poolingImplicit: Pooling came from a sentence-transformers Pooling module, not
	// from the user; a model's own sentence vectors then stand for it (embedOutputs).
	poolingImplicit bool
	poolingSet      bool // "pooling" was given (task.json, or the Pooling module), not defaulted
	// stUnapplied: sentence-transformers modules the folder lists that pooling token
	// vectors here would skip (hfModel.stUnapplied); only the model's own sentence
	// vectors include them.
	stUnapplied string
	// stFolder is where that modules.json is, for the error.
	stFolder string
}

var taskNamePattern = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.-]*$`)

// ParseConfig reads and validates a task.json. Unknown fields are errors so that a
// typo ("batchsize") is not silently ignored.
func ParseConfig(data []byte) (Config, error) {
	// batch_size shadows Config's field so that an absent one (default) can be told
	// from an explicit 0, which is a mistake to report, not a request for the default.
	var raw struct {
		Config
		BatchSize presentInt `json:"batch_size"`
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&raw); err != nil {
		return Config{}, fmt.Errorf("task.json: %w", err)
	}
	c := raw.Config
	// dec.More only looks for another value, so "}]]]garbage" would pass it; anything
	// but JSON whitespace after the object is an error.
	if rest := bytes.TrimLeft(data[dec.InputOffset():], " \t\r\n"); len(rest) > 0 {
		return Config{}, fmt.Errorf("task.json: trailing data after the JSON object at byte %d (%.20q); remove everything after the closing brace", dec.InputOffset(), rest)
	}
	if err := repeatedKey(data); err != nil {
		return Config{}, fmt.Errorf("task.json: %w", err)
	}
	if c.Model == "" {
		c.Model = "model.onnx"
	}
	c.BatchSize = DefaultBatchSize
	if raw.BatchSize.set {
		if raw.BatchSize.v < 1 || raw.BatchSize.v > MaxBatchSize {
			return Config{}, fmt.Errorf(`task.json: "batch_size" %d is out of range 1..%d; set rows per model call, or leave the field out for the default %d`,
				raw.BatchSize.v, MaxBatchSize, DefaultBatchSize)
		}
		c.BatchSize = raw.BatchSize.v
	}
	if err := c.validate(); err != nil {
		return Config{}, fmt.Errorf("task.json: %w", err)
	}
	return c, nil
}

// presentInt is batch_size as written in task.json, and whether it was written at all.
type presentInt struct {
	v   int
	set bool
}

func (p *presentInt) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return fmt.Errorf(`"batch_size" is null; give an integer or leave the field out`)
	}
	p.set = true
	if err := json.Unmarshal(b, &p.v); err != nil {
		return fmt.Errorf(`"batch_size" %s is not an integer; give rows per model call, e.g. 256`, b)
	}
	return nil
}

func (c *Config) validate() error {
	// The model is read from inside the task folder only, as it was through os.DirFS.
	if !fs.ValidPath(c.Model) || c.Model == "." {
		return fmt.Errorf(`"model" %q must be a file path inside the task folder (no "..", no leading "/"); copy or link the model into the folder`, c.Model)
	}
	if len(c.Inputs) == 0 {
		return fmt.Errorf(`"inputs" is empty: name at least one model input and its columns`)
	}
	c.kinds = Kinds{}
	seenCol := map[string]bool{}
	seenInput := map[string]bool{}
	for i, in := range c.Inputs {
		if in.Name == "" {
			return fmt.Errorf(`inputs[%d]: "name" (the model input's name) is missing`, i)
		}
		if seenInput[in.Name] {
			return fmt.Errorf("inputs[%d]: model input %q is listed twice", i, in.Name)
		}
		seenInput[in.Name] = true
		k, err := inputKind(in.Type)
		if err == nil {
			err = k.Validate(in)
		}
		if err != nil {
			return fmt.Errorf("inputs[%d] (%s): %w", i, in.Name, err)
		}
		c.kinds.Inputs = append(c.kinds.Inputs, k)
		for _, col := range in.Columns {
			if col == "" {
				return fmt.Errorf("inputs[%d] (%s): empty column name", i, in.Name)
			}
			if seenCol[col] {
				return fmt.Errorf("column %q feeds more than one model input", col)
			}
			seenCol[col] = true
		}
	}
	if c.Kind == "" {
		c.Kind = OutputClassify
	}
	out, ok := outputKinds[c.Kind]
	if !ok {
		return fmt.Errorf(`"kind" %q is not supported; use one of %s`, c.Kind, kindNames(outputKinds))
	}
	c.kinds.Output = out
	if err := c.kinds.Output.Validate(c); err != nil {
		return err
	}
	if c.BatchSize < 1 || c.BatchSize > MaxBatchSize {
		return fmt.Errorf(`"batch_size" %d is out of range 1..%d`, c.BatchSize, MaxBatchSize)
	}
	return c.validateText()
}

// Columns lists the table columns the task reads, in model-input order.
func (c *Config) Columns() []string {
	var cols []string
	for _, in := range c.Inputs {
		cols = append(cols, in.Columns...)
	}
	return cols
}
