package core

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/duckinfer/duckinfer/internal/models"
)

// emptyFails is a string input whose empty values are unusable, as a text input's are
// under a tokenizer that adds no tokens of its own, reported as a text input reports
// them: no row in the message, a remedy of its own.
type emptyFails struct{ models.InputData }

func (e emptyFails) Load(cols []models.Column, n int, valid []bool, bad func(int, error)) error {
	vals := make([]string, n)
	if err := cols[0].Strings(vals, valid); err != nil {
		return err
	}
	for r, v := range vals {
		if v == "" {
			valid[r] = false
			bad(r, &models.ValueError{Input: `""`, Err: errors.New("the text gives no tokens"), RowFree: true, Remedy: "filter such rows out"})
		}
	}
	return nil
}

// A text input's unusable row is named by its chunk row, also on the distinct-values
// path, where Load's row is an index among the distinct values (it named row 1 for row
// 2); and its hint does not suggest isfinite(col), which is for numbers.
func TestTextInputErrorNamesChunkRow(t *testing.T) {
	c, _ := testCall(t, []string{"x"}, 8, OnErrorFail)
	c.pool.New = func() any {
		return &Chunk{inputs: []models.InputData{emptyFails{c.Task.NewInputs()[0]}}, output: c.Task.NewOutput()}
	}
	texts := []string{"a", "a", "", "a"}
	col := &models.Values{ColName: "text", Strs: texts}
	d := Distinct{Uniq: []string{"a", ""}, First: []int32{0, 2}, Of: []int32{0, 0, 1, 0}}
	_, err := c.runDistinct(context.Background(), 0, col, len(texts), d)
	if err == nil || !strings.Contains(err.Error(), "row 2 of its chunk") || strings.Contains(err.Error(), "isfinite") {
		t.Errorf("distinct path: %v; want row 2 of its chunk named, and no isfinite", err)
	}
	_, err = c.runChunk(context.Background(), 0, []models.Column{col}, len(texts), nil)
	if err == nil || !strings.Contains(err.Error(), "row 2 of its chunk") || strings.Contains(err.Error(), "isfinite") {
		t.Errorf("row by row: %v; want row 2 of its chunk named, and no isfinite", err)
	}
	if err != nil && !strings.Contains(err.Error(), "gives no tokens") {
		t.Errorf("row by row: %v lost the input's error", err)
	}
}
