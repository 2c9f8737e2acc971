package core

import (
	"sync"
	"time"
)

// MaxRowFailures bounds the failures an Env remembers.
const MaxRowFailures = 1000

// RowFailure is one row that failed under on_error := 'null'.
type RowFailure struct {
	Time  time.Time
	Task  string
	Input string // the row's model inputs (or the value they could not hold), shortened, so the user can find the row
	Error string
}

// Failures is a bounded ring of the most recent row failures.
type Failures struct {
	mu   sync.Mutex
	ring []RowFailure
	next int
}

// Add remembers r, forgetting the oldest once MaxRowFailures are held.
func (f *Failures) Add(r RowFailure) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.ring) < MaxRowFailures {
		f.ring = append(f.ring, r)
		return
	}
	f.ring[f.next] = r
	f.next = (f.next + 1) % MaxRowFailures
}

// List returns the remembered failures, oldest first.
func (f *Failures) List() []RowFailure {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := append([]RowFailure(nil), f.ring[f.next:]...)
	return append(out, f.ring[:f.next]...)
}
