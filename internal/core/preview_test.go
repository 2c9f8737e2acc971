package core

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/duckinfer/duckinfer/internal/models"
)

// Pins: a row's preview in error messages and ml_errors() was cut for a string but not
// for numbers, so a wide numeric input or many inputs made a message of every value.
func TestPreviewIsCut(t *testing.T) {
	wide := func(input string, n int) []string {
		cols := make([]string, n)
		for i := range cols {
			cols[i] = fmt.Sprintf("%s_%d", input, i)
		}
		return cols
	}
	for _, tc := range []struct {
		name   string
		inputs [][]string // each model input's columns
	}{
		{"one input of 1000 columns", [][]string{wide("x", 1000)}},
		{"500 inputs of one column", func() [][]string {
			out := make([][]string, 500)
			for i := range out {
				out[i] = []string{fmt.Sprintf("c%d", i)}
			}
			return out
		}()},
		{"50 inputs of 50 columns", func() [][]string {
			out := make([][]string, 50)
			for i := range out {
				out[i] = wide(fmt.Sprintf("in%d", i), 50)
			}
			return out
		}()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var specs []map[string]any
			var cols []models.Column
			for i, cs := range tc.inputs {
				specs = append(specs, map[string]any{"name": fmt.Sprintf("input_%d", i), "columns": cs, "type": "float32"})
				for _, c := range cs {
					cols = append(cols, &models.Values{ColName: c, Nums: []float64{123456.789}})
				}
			}
			doc, _ := json.Marshal(map[string]any{"inputs": specs, "output": "p", "labels": []string{"a", "b"}})
			cfg, err := models.ParseConfig(doc)
			if err != nil {
				t.Fatal(err)
			}
			c := &Call{Task: &models.Task{Name: "t", Config: cfg}, env: &Env{}}
			ch := c.chunk()
			valid := []bool{true}
			off := 0
			for i, cs := range tc.inputs {
				if err := ch.inputs[i].Load(cols[off:off+len(cs)], 1, valid, nil); err != nil {
					t.Fatal(err)
				}
				off += len(cs)
			}
			p := c.preview(ch, 0)
			if len(p) > 1000 || !strings.Contains(p, "123456.79") || !strings.Contains(p, "…") {
				t.Errorf("preview is %d bytes, want at most 1000 with the first value and a mark that it was cut: %.300s", len(p), p)
			}
		})
	}
}
