package core

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/duckinfer/duckinfer/internal/models"
)

// recorder is a predictor that records batch bounds, fails the batches it is told to,
// and fails any one-row batch whose text is "bad".
type recorder struct {
	bounds []string
	failAt map[int]bool
	texts  []string
}

func (r *recorder) Predict(_ context.Context, _ []models.InputData, lo, hi int, out models.OutputData) error {
	call := len(r.bounds)
	r.bounds = append(r.bounds, fmt.Sprintf("[%d,%d)", lo, hi))
	if r.failAt[call] || (hi-lo == 1 && r.texts[lo] == "bad") {
		return errors.New("boom")
	}
	cd := out.(*models.ClassData)
	for i := lo; i < hi; i++ {
		cd.Class[i], cd.Confidence[i] = int32(i%2), 0.75
	}
	return nil
}

func testCall(t *testing.T, texts []string, batch int, onError string) (*Call, *Chunk) {
	t.Helper()
	cfg, err := models.ParseConfig([]byte(`{"inputs":[{"name":"x","columns":["text"],"type":"string"}],"output":"p","labels":["a","b"]}`))
	if err != nil {
		t.Fatal(err)
	}
	task := &models.Task{Name: "t", Config: cfg}
	c := &Call{Task: task, Columns: []string{"text"}, BatchSize: batch, OnError: onError, env: &Env{}}
	ch := c.chunk()
	valid := make([]bool, len(texts))
	if err := ch.inputs[0].Load([]models.Column{&models.Values{ColName: "text", Strs: texts}}, len(texts), valid, nil); err != nil {
		t.Fatal(err)
	}
	ch.output.Reset(len(texts))
	return c, ch
}

func TestInferBatches(t *testing.T) {
	texts := []string{"a", "b", "c", "d", "e"}
	c, ch := testCall(t, texts, 2, OnErrorFail)
	r := &recorder{texts: texts}
	if err := c.infer(context.Background(), r, ch, 5); err != nil || ch.failed != nil {
		t.Fatal(err, ch.failed)
	}
	if fmt.Sprint(r.bounds) != "[[0,2) [2,4) [4,5)]" {
		t.Fatalf("batches %v", r.bounds)
	}
}

// A failed batch is re-run row by row, only its own rows; later batches run as usual.
func TestInferRetriesOnlyTheFailedBatch(t *testing.T) {
	texts := []string{"a", "b", "c", "bad", "e", "f"}
	c, ch := testCall(t, texts, 2, OnErrorNull)
	r := &recorder{texts: texts, failAt: map[int]bool{1: true}}
	if err := c.infer(context.Background(), r, ch, 6); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(r.bounds) != "[[0,2) [2,4) [2,3) [3,4) [4,6)]" {
		t.Fatalf("batches %v", r.bounds)
	}
	for b, err := range ch.failed {
		if (err != nil) != (b == 3) {
			t.Fatalf("row %d failed=%v", b, err)
		}
	}
	// Under 'fail' the call stops at the failed batch, with the bad row named.
	c, ch = testCall(t, texts, 2, OnErrorFail)
	r = &recorder{texts: texts, failAt: map[int]bool{1: true}}
	if err := c.infer(context.Background(), r, ch, 6); err != nil || ch.failed == nil || ch.failed[3] == nil {
		t.Fatalf("err %v failed %v", err, ch.failed)
	}
	if fmt.Sprint(r.bounds) != "[[0,2) [2,4) [2,3) [3,4)]" {
		t.Fatalf("batches %v", r.bounds)
	}
	// A batch that fails while each of its rows passes alone is the batch's error.
	c, ch = testCall(t, []string{"a", "b"}, 2, OnErrorNull)
	r = &recorder{texts: []string{"a", "b"}, failAt: map[int]bool{0: true}}
	if err := c.infer(context.Background(), r, ch, 2); err == nil {
		t.Fatal("no error for a batch that fails as a whole")
	}
	// A cancelled context stops before the next batch.
	c, ch = testCall(t, texts, 2, OnErrorFail)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r = &recorder{texts: texts}
	if err := c.infer(ctx, r, ch, 6); !errors.Is(err, context.Canceled) || len(r.bounds) != 0 {
		t.Fatalf("cancelled: %v after %v", err, r.bounds)
	}
}
