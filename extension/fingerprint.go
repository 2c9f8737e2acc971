package extension

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
)

// TaskFingerprint names the version of a task that predictions come from: outputs
// made with equal fingerprints are interchangeable, so a batch job that finds output
// with another fingerprint knows the model or the task's config changed since.
type TaskFingerprint struct {
	Task         string `json:"task"`
	ModelSHA256  string `json:"model_sha256"`  // the ONNX file's content
	ConfigSHA256 string `json:"config_sha256"` // the task's parsed config (labels, inputs, output, batch size...)
	// The tokenizer file a text task reads ("" for other tasks), with the special
	// tokens tokenizer_config.json puts in place of the file's (Llama-, CodeLlama-
	// and Gemma-class folders): an edited vocabulary or normalizer changes
	// predictions with the model and config as they were. The rest of a Hugging Face
	// folder's config.json and tokenizer_config.json is in the parsed config
	// (labels, max_length, pad_id, truncation).
	TokenizerSHA256 string `json:"tokenizer_sha256,omitempty"`
}

// TaskFingerprint looks the task up as a query would and returns its fingerprint.
func (c *Connector) TaskFingerprint(task string) (TaskFingerprint, error) {
	t, err := c.env.Registry.Lookup(task)
	if err != nil {
		return TaskFingerprint{}, fmt.Errorf("extension: %w", err)
	}
	model, err := t.Fingerprint()
	if err != nil {
		return TaskFingerprint{}, fmt.Errorf("extension: fingerprint of task %q: %w", task, err)
	}
	// The parsed config, not task.json's bytes: reformatting the file changes nothing
	// a prediction depends on. Struct fields marshal in declaration order, so the
	// bytes are stable.
	cfg, err := json.Marshal(t.Config)
	if err != nil {
		return TaskFingerprint{}, fmt.Errorf("extension: encoding task %q's config: %w", task, err)
	}
	sum := sha256.Sum256(cfg)
	return TaskFingerprint{Task: t.Name, ModelSHA256: model, ConfigSHA256: hex.EncodeToString(sum[:]), TokenizerSHA256: t.TokenizerSHA256()}, nil
}
