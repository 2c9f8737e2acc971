package models

import (
	"fmt"
	"io/fs"
)

// Padding rules of a text input ("padding" in task.json): PaddingBucket sorts a
// chunk's rows by token count, so that each batch is padded to its own longest row
// (the results go back to row order); PaddingChunk keeps row order and pads every
// batch to the chunk's longest (the baseline BenchmarkBucketing compares against);
// PaddingNone sorts too but never pads: each batch holds rows of one token count, for
// models whose result padding would change (a decoder classifier pooling the last
// position, hfConfig). A model without an attention_mask input is always batched so.
const (
	PaddingBucket = "bucket"
	PaddingChunk  = "chunk"
	PaddingNone   = "none"
)

// Truncation sides of a text input ("truncation" in task.json; a Hugging Face
// folder's tokenizer_config.json truncation_side): which end of a text longer than
// max_length loses its tokens.
const (
	TruncationRight = "right"
	TruncationLeft  = "left"
)

// Pooling rules of an embed task: the attention-masked mean of the token vectors, or
// the first token's ([CLS], <s>).
const (
	PoolingMean = "mean"
	PoolingCLS  = "cls"
)

// validateText checks the fields of text inputs and embed outputs.
func (c *Config) validateText() error {
	text := -1
	for i, in := range c.Inputs {
		if in.Type == InputText {
			text = i
		}
	}
	if text < 0 {
		for field, set := range map[string]bool{"tokenizer": c.Tokenizer != "", "max_length": c.MaxLength != 0, "pad_id": c.PadID != nil, "padding": c.Padding != "", "truncation": c.Truncation != ""} {
			if set {
				return fmt.Errorf(`%q is for tasks with a "text" input; remove it`, field)
			}
		}
	} else {
		if len(c.Inputs) != 1 {
			return fmt.Errorf(`inputs[%d] (%s): a "text" input feeds every token input of the model (input_ids, attention_mask, token_type_ids, position_ids), so it must be the task's only input`, text, c.Inputs[text].Name)
		}
		if c.Tokenizer == "" {
			c.Tokenizer = "tokenizer.json"
		}
		if !fs.ValidPath(c.Tokenizer) || c.Tokenizer == "." {
			return fmt.Errorf(`"tokenizer" %q must be a file path inside the task folder`, c.Tokenizer)
		}
		if c.MaxLength < 0 {
			return fmt.Errorf(`"max_length" %d is negative; give the model's longest input in tokens, or leave it out`, c.MaxLength)
		}
		switch c.Padding {
		case "":
			c.Padding = PaddingBucket
		case PaddingBucket, PaddingChunk, PaddingNone:
		default:
			return fmt.Errorf(`"padding" %q is not supported; use %q (the default), %q or %q`, c.Padding, PaddingBucket, PaddingChunk, PaddingNone)
		}
		switch c.Truncation {
		case "":
			c.Truncation = TruncationRight
		case TruncationRight, TruncationLeft:
		default:
			return fmt.Errorf(`"truncation" %q is not supported; use %q (the default: a long text keeps its first tokens) or %q (its last)`, c.Truncation, TruncationRight, TruncationLeft)
		}
	}
	if c.Kind != OutputEmbed {
		if c.Pooling != "" || c.Normalize != nil {
			return fmt.Errorf(`"pooling" and "normalize" are for "kind": "embed"; remove them`)
		}
	}
	return nil
}
