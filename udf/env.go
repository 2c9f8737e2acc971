package udf

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/duckinfer/duckinfer/gpu"
	"github.com/duckinfer/duckinfer/models"
	"github.com/duckinfer/duckinfer/partitions"
)

// Env is everything the functions need; the extension package builds one per database
// and owns (closes) its parts.
type Env struct {
	Registry  *models.Registry
	Pool      *models.Pool
	Inventory func() gpu.Inventory
	Threads   *partitions.Threads
	Defaults  partitions.Options // device, models_per_gpu, ... when a query names none
	Flavor    models.Flavor      // the ONNX Runtime files the pool's sessions use

	RowsInferred atomic.Uint64 // rows that reached a model
	Chunks       atomic.Uint64 // ml_infer calls

	failures failures
	conns    connContexts
}

// MaxRowFailures bounds the failures ml_errors() remembers per Env (one per Go
// connector, so per process for the shell).
const MaxRowFailures = 1000

// RowFailure is one row that failed under on_error := 'null'.
type RowFailure struct {
	Time  time.Time
	Task  string
	Input string // the row's first model input, shortened, so the user can find the row
	Error string
}

// failures is a bounded ring of the most recent row failures.
type failures struct {
	mu   sync.Mutex
	ring []RowFailure
	next int
}

func (f *failures) add(r RowFailure) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.ring) < MaxRowFailures {
		f.ring = append(f.ring, r)
		return
	}
	f.ring[f.next] = r
	f.next = (f.next + 1) % MaxRowFailures
}

// list returns the remembered failures, oldest first.
func (f *failures) list() []RowFailure {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := append([]RowFailure(nil), f.ring[f.next:]...)
	return append(out, f.ring[:f.next]...)
}
