package models

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// Pins: a decoder classifier without pad_token_id had its rows padded, and pooled a
// padding token. Decoder classifiers (last-token pooling) whose config.json has no
// pad_token_id are batched without padding ("padding": "none"); with pad_token_id,
// that id pads (not the tokenizer's), and batches are padded as usual.
func TestHFDecoderPadding(t *testing.T) {
	reg, err := NewRegistry(hfModels)
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]struct {
		padding string
		pad     int64
	}{
		"llama_sentiment": {PaddingBucket, 1907}, // <|end_of_text|>; llama3.json has no padding token
		"qwen_nopad":      {PaddingNone, 1756},   // the tokenizer's <|endoftext|>, never used
	} {
		task, err := reg.Lookup(name)
		if err != nil {
			t.Fatal(err)
		}
		d := task.newTextData([]string{"input_ids", "attention_mask"})
		if task.Config.Padding != want.padding || task.padID != want.pad || d.noPad != (want.padding == PaddingNone) {
			t.Errorf("%s: padding %q pad %d noPad %v, want %q and %d", name, task.Config.Padding, task.padID, d.noPad, want.padding, want.pad)
		}
	}

	dir := t.TempDir()
	for _, c := range []struct {
		config, override, want string
	}{
		{`{"architectures": ["GPT2ForSequenceClassification"], "model_type": "gpt2"}`, ``, PaddingNone},
		{`{"architectures": ["MistralForSequenceClassification"]}`, ``, PaddingNone},
		{`{"architectures": ["GPTNeoXForSequenceClassification"], "model_type": "gpt_neox"}`, ``, PaddingNone},
		{`{"model_type": "qwen2", "id2label": {"0": "neg", "1": "pos"}}`, ``, PaddingNone},
		{`{"architectures": ["Qwen2ForSequenceClassification"], "model_type": "qwen2", "pad_token_id": 1756}`, ``, ""},
		{`{"architectures": ["BertForSequenceClassification"], "model_type": "bert"}`, ``, ""},
		{`{"architectures": ["Qwen2Model"], "model_type": "qwen2"}`, ``, ""},
		// Decoders not named anywhere here (every new one) are never padded either;
		// the known encoders are.
		{`{"architectures": ["Glm4ForSequenceClassification"], "model_type": "glm4"}`, ``, PaddingNone},
		{`{"architectures": ["DiffLlamaForSequenceClassification"], "model_type": "diffllama"}`, ``, PaddingNone},
		{`{"architectures": ["Exaone4ForSequenceClassification"], "model_type": "exaone4"}`, ``, PaddingNone},
		{`{"model_type": "deepseek_v2", "id2label": {"0": "neg", "1": "pos"}}`, ``, PaddingNone},
		{`{"architectures": ["XLMRobertaForSequenceClassification"], "model_type": "xlm-roberta"}`, ``, ""},
		{`{"architectures": ["DebertaV2ForSequenceClassification"], "model_type": "deberta-v2"}`, ``, ""},
		{`{"architectures": ["DistilBertForSequenceClassification"], "model_type": "distilbert"}`, ``, ""},
		// The user's task.json wins: one who knows the export handles padding.
		{`{"architectures": ["Qwen2ForSequenceClassification"], "model_type": "qwen2"}`, `{"padding": "bucket"}`, PaddingBucket},
		// A task.json whose inputs take no text drops the generated padding with the
		// other tokenizer fields.
		{`{"architectures": ["Qwen2ForSequenceClassification"], "model_type": "qwen2"}`, `{"inputs": [{"name": "x", "columns": ["a"], "type": "float32"}]}`, ""},
	} {
		folder := copyHF(t, "qwen_nopad", dir, "q")
		os.WriteFile(filepath.Join(folder, "config.json"), []byte(c.config), 0o644)
		var over []byte
		if c.override != "" {
			over = []byte(c.override)
		}
		b, _, err := hfConfig(folder, over)
		if err != nil {
			t.Fatalf("%s: %v", c.config, err)
		}
		var doc struct {
			Padding string `json:"padding"`
		}
		json.Unmarshal(b, &doc)
		if doc.Padding != c.want {
			t.Errorf("%s %s: padding %q, want %q", c.config, c.override, doc.Padding, c.want)
		}
		if _, err := ParseConfig(b); err != nil {
			t.Errorf("%s: %v", c.config, err)
		}
	}
}
