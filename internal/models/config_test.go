package models

import (
	"bytes"
	"strings"
	"testing"
)

func TestParseConfig(t *testing.T) {
	good := `{"model":"m.onnx","inputs":[{"name":"x","columns":["a","b"],"type":"float32"}],"output":"p","labels":["n","y"]}`
	c, err := ParseConfig([]byte(good))
	if err != nil {
		t.Fatal(err)
	}
	if c.BatchSize != DefaultBatchSize || strings.Join(c.Columns(), ",") != "a,b" {
		t.Fatalf("defaults/columns wrong: %+v", c)
	}
	// An explicit batch_size is kept as written; only an absent one gets the default.
	if c, err := ParseConfig([]byte(`{"inputs":[{"name":"x","columns":["a"],"type":"string"}],"output":"p","labels":["a","b"],"batch_size":7}`)); err != nil || c.BatchSize != 7 {
		t.Fatalf("batch_size 7: %v %d", err, c.BatchSize)
	}
	// One label is one score: its sigmoid is the label's probability.
	if _, err := ParseConfig([]byte(`{"inputs":[{"name":"x","columns":["a"],"type":"string"}],"output":"p","labels":["a"],"scores":"sigmoid"}`)); err != nil {
		t.Fatalf("one label under sigmoid: %v", err)
	}
	bad := []struct{ name, json, want string }{
		{"unknown field", `{"inputs":[{"name":"x","columns":["a"],"type":"string"}],"output":"p","labels":["a","b"],"batchsize":3}`, "unknown field"},
		{"no inputs", `{"output":"p","labels":["a","b"]}`, `"inputs" is empty`},
		{"string two cols", `{"inputs":[{"name":"x","columns":["a","b"],"type":"string"}],"output":"p","labels":["a","b"]}`, "exactly one column"},
		{"bad type", `{"inputs":[{"name":"x","columns":["a"],"type":"int8"}],"output":"p","labels":["a","b"]}`, `type "int8" is not supported`},
		{"dup column", `{"inputs":[{"name":"x","columns":["a"],"type":"string"},{"name":"y","columns":["a"],"type":"string"}],"output":"p","labels":["a","b"]}`, "feeds more than one"},
		{"no output", `{"inputs":[{"name":"x","columns":["a"],"type":"string"}],"labels":["a","b"]}`, `"output"`},
		{"one label", `{"inputs":[{"name":"x","columns":["a"],"type":"string"}],"output":"p","labels":["a"]}`, "at least two"},
		{"one label logits", `{"inputs":[{"name":"x","columns":["a"],"type":"string"}],"output":"p","labels":["a"],"scores":"logits"}`, `a model with a single score takes "scores": "sigmoid"`},
		{"batch", `{"inputs":[{"name":"x","columns":["a"],"type":"string"}],"output":"p","labels":["a","b"],"batch_size":-1}`, "out of range"},
		{"batch zero", `{"inputs":[{"name":"x","columns":["a"],"type":"string"}],"output":"p","labels":["a","b"],"batch_size":0}`, `"batch_size" 0 is out of range`},
		{"batch null", `{"inputs":[{"name":"x","columns":["a"],"type":"string"}],"output":"p","labels":["a","b"],"batch_size":null}`, "batch_size"},
		{"batch too big", `{"inputs":[{"name":"x","columns":["a"],"type":"string"}],"output":"p","labels":["a","b"],"batch_size":65537}`, "out of range"},
		{"batch fraction", `{"inputs":[{"name":"x","columns":["a"],"type":"string"}],"output":"p","labels":["a","b"],"batch_size":1.5}`, "batch_size"},
		{"label twice", `{"inputs":[{"name":"x","columns":["a"],"type":"string"}],"output":"p","labels":["a","b","a"]}`, `labels[0] and labels[2] are both "a"`},
		{"label sep", `{"inputs":[{"name":"x","columns":["a"],"type":"string"}],"output":"p","labels":["a\u001fb","c"]}`, "control character"},
		{"trailing", `{"inputs":[{"name":"x","columns":["a"],"type":"string"}],"output":"p","labels":["a","b"]} {}`, "trailing"},
		{"trailing brackets", `{"inputs":[{"name":"x","columns":["a"],"type":"string"}],"output":"p","labels":["a","b"]}]]]}garbage`, "trailing"},
		{"trailing brace", `{"inputs":[{"name":"x","columns":["a"],"type":"string"}],"output":"p","labels":["a","b"]}` + "\n}\n", "trailing"},
		{"trailing bracket", `{"inputs":[{"name":"x","columns":["a"],"type":"string"}],"output":"p","labels":["a","b"]}]`, "trailing"},
		{"not json", `model: x`, "task.json"},
		{"bad kind", `{"kind":"cluster","inputs":[{"name":"x","columns":["a"],"type":"string"}],"output":"p","labels":["a","b"]}`, `"kind" "cluster" is not supported; use one of "classify"`},
		{"bad scores", `{"scores":"softmax","inputs":[{"name":"x","columns":["a"],"type":"string"}],"output":"p","labels":["a","b"]}`, `"scores" "softmax" is not supported; use "probabilities"`},
		{"model outside", `{"model":"../other/model.onnx","inputs":[{"name":"x","columns":["a"],"type":"string"}],"output":"p","labels":["a","b"]}`, "inside the task folder"},
		{"model absolute", `{"model":"/dev/zero","inputs":[{"name":"x","columns":["a"],"type":"string"}],"output":"p","labels":["a","b"]}`, "inside the task folder"},
		// encoding/json keeps the last of two equal keys, and matches field names in any
		// case: the first value would be dropped without a word.
		{"key twice", `{"inputs":[{"name":"x","columns":["a"],"type":"string"}],"output":"p","labels":["a","b"],"labels":["b","a"]}`, `"labels" is given twice`},
		{"key twice case", `{"inputs":[{"name":"x","columns":["a"],"type":"string"}],"output":"p","labels":["a","b"],"Labels":["b","a"]}`, `"Labels" is given twice`},
		{"nested key twice", `{"inputs":[{"name":"x","columns":["a"],"columns":["b"],"type":"string"}],"output":"p","labels":["a","b"]}`, `inputs[0]: "columns" is given twice`},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseConfig([]byte(tc.json))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want error containing %q", err, tc.want)
			}
		})
	}
}

func FuzzParseConfig(f *testing.F) {
	f.Add([]byte(`{"inputs":[{"name":"x","columns":["a"],"type":"string"}],"output":"p","labels":["a","b"]}`))
	f.Add([]byte(`{"inputs":[{"name":"x","columns":["a","b"],"type":"float32"}],"output":"p","labels":["a","b","c"],"batch_size":7}`))
	f.Add([]byte(`{}`))
	// Trailing text that starts with a closing bracket (dec.More did not see it).
	f.Add([]byte(`{"inputs":[{"name":"x","columns":["a"],"type":"string"}],"output":"p","labels":["a","b"]}]]]}garbage`))
	f.Add([]byte(`{"inputs":[{"name":"x","columns":["a"],"type":"string"}],"output":"p","labels":["a","b"]}}`))
	f.Add([]byte("{\"inputs\":[{\"name\":\"x\",\"columns\":[\"a\"],\"type\":\"string\"}],\"output\":\"p\",\"labels\":[\"a\",\"b\"]}\r\n\t "))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseConfig(data)
		if err != nil {
			return
		}
		// Whatever parses must satisfy the invariants the runtime relies on, and be one
		// object with nothing but whitespace after it.
		if end := bytes.TrimRight(data, " \t\r\n"); len(end) == 0 || end[len(end)-1] != '}' {
			t.Fatalf("accepted text after the object: %q", data)
		}
		if len(c.Inputs) == 0 || len(c.Labels) < 2 || c.BatchSize < 1 || c.BatchSize > MaxBatchSize || c.Output == "" {
			t.Fatalf("accepted invalid config: %+v", c)
		}
		for _, in := range c.Inputs {
			if in.Type == InputString && len(in.Columns) != 1 {
				t.Fatalf("string input with %d columns accepted", len(in.Columns))
			}
		}
	})
}

// Labels must be valid UTF-8: both bindings write them into DuckDB unchecked. JSON
// decoding cannot produce anything else, so the check is called directly.
func TestClassifyLabelsUTF8(t *testing.T) {
	c := &Config{Output: "p", Labels: []string{"ok", "bad\xff"}}
	if err := (classifyOutput{}).Validate(c); err == nil || !strings.Contains(err.Error(), `labels[1] "bad\xff" is not valid UTF-8`) {
		t.Fatalf("got %v, want the invalid label named", err)
	}
	c.Labels[1] = "négatif 😀"
	if err := (classifyOutput{}).Validate(c); err != nil {
		t.Fatal(err)
	}
}
