package core

import (
	"strings"
	"testing"

	"github.com/duckinfer/duckinfer/internal/models"
)

// Probes that find no repeats space out the next ones (1, 2, 4, 8, then every 16
// chunks), one that finds some resets the spacing, and a task whose input is not one
// string column is never probed.
func TestProbeBackoff(t *testing.T) {
	c, _ := testCall(t, []string{"a"}, 8, OnErrorFail)
	// pattern runs chunks: a probe's outcome comes from found; '.' is a chunk without
	// a probe, 'p' one with.
	pattern := func(chunks int, found func(i int) bool) string {
		s := ""
		for i := range chunks {
			if c.wantDistinct() {
				s += "p"
				c.probeResult(found(i))
			} else {
				s += "."
			}
		}
		return s
	}
	none := func(int) bool { return false }
	if got, want := pattern(50, none), "p.p..p....p........p................p"+strings.Repeat(".", 13); got != want {
		t.Errorf("all-distinct chunks:\n got %s\nwant %s", got, want)
	}
	// Repeats appear: noticed at the next probe (the gap of 16 has 3 chunks left), and
	// every chunk is probed again.
	if got, want := pattern(20, func(int) bool { return true }), "...p"+strings.Repeat("p", 16); got != want {
		t.Errorf("after repeats appear:\n got %s\nwant %s", got, want)
	}
	if got, want := pattern(4, none), "p.p."; got != want {
		t.Errorf("after a reset:\n got %s\nwant %s", got, want)
	}
	// Two workers probe at once; the empty probe is recorded first, then the one that
	// found repeats: repeats win, and the next chunk is probed.
	for c.probe.skip.Load() > 0 {
		c.wantDistinct()
	}
	if !c.wantDistinct() || !c.wantDistinct() {
		t.Fatal("two workers were not both told to probe")
	}
	c.probeResult(false)
	c.probeResult(true)
	if !c.wantDistinct() {
		t.Error("after a probe found repeats, the next chunk skipped its probe (another worker's empty probe set the skip)")
	}

	cfg, err := models.ParseConfig([]byte(`{"inputs":[{"name":"x","columns":["a","b"],"type":"float32"}],"output":"p","labels":["a","b"]}`))
	if err != nil {
		t.Fatal(err)
	}
	num := &Call{Task: &models.Task{Name: "n", Config: cfg}, Columns: []string{"a", "b"}, env: &Env{}}
	if num.wantDistinct() {
		t.Error("a two-column float task was probed for repeated strings")
	}
}
