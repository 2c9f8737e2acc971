package train

import (
	"fmt"
	"os"
	"path/filepath"
)

// LongLabel and ShortLabel are the labels LabelsTask gives the sentiment model: one
// past DuckDB's 12-byte inline string limit, both multi-byte.
const (
	LongLabel  = "négatif — a label well past twelve bytes"
	ShortLabel = "pös"
)

// LabelsTask writes task folder dir/name: the shipped sentiment model (its file at
// model) with the labels LongLabel (negative) and ShortLabel (positive), for tests of
// how bindings write labels.
func LabelsTask(dir, name, model string) error {
	b, err := os.ReadFile(model)
	if err != nil {
		return fmt.Errorf("reading the sentiment model: %w", err)
	}
	task := fmt.Sprintf(`{"model": "model.onnx", "inputs": [{"name": "text", "columns": ["text"], "type": "string"}],
	"output": "probabilities", "labels": [%q, %q], "batch_size": 256}`, LongLabel, ShortLabel)
	if err := os.MkdirAll(filepath.Join(dir, name), 0o755); err != nil {
		return err
	}
	for file, data := range map[string][]byte{"model.onnx": b, "task.json": []byte(task)} {
		if err := os.WriteFile(filepath.Join(dir, name, file), data, 0o644); err != nil {
			return err
		}
	}
	return nil
}
