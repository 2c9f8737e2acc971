package core

import (
	"sync/atomic"

	"github.com/duckinfer/duckinfer/internal/gpu"
	"github.com/duckinfer/duckinfer/internal/models"
	"github.com/duckinfer/duckinfer/internal/partitions"
)

// Env is what every call shares: one per Go connector (so per database). The
// extension package builds it and owns (closes) its parts.
type Env struct {
	Registry  *models.Registry
	Pool      *models.Pool
	Inventory func() gpu.Inventory
	Threads   *partitions.Threads
	Defaults  partitions.Options // device, models_per_gpu, ... when a call names none
	Flavor    models.Flavor      // the ONNX Runtime files the pool's sessions use

	RowsInferred atomic.Uint64 // rows that reached a model
	RowsReused   atomic.Uint64 // of those, rows answered by an equal value's run in the same chunk (runDistinct)
	Chunks       atomic.Uint64 // chunks run

	Failures Failures
}

// RowCounterKey is the context key of an *atomic.Int64 that a caller puts on a query's
// context to watch how many rows that query has run through models so far.
type RowCounterKey struct{}

// TaskNames lists the known tasks, for error messages.
func (e *Env) TaskNames() []string {
	var names []string
	for _, t := range e.Registry.Tasks() {
		names = append(names, t.Name)
	}
	return names
}

// NoCUDAReason is partitions.Options.NoCUDA for an Env whose pool loads the CPU ONNX
// Runtime: the binding picked it because the GPU files are not installed.
const NoCUDAReason = "the ONNX Runtime installed is the CPU build, which cannot run on them; " +
	"run `make setup-gpu` in a duckinfer checkout (or set " + models.LibraryEnv + " to the GPU build) and restart to use them"

// Plan places a call's model instances under o on the GPUs seen, as far as the ONNX
// Runtime this Env loads can run on them: with the CPU build, 'auto' means CPU.
func (e *Env) Plan(o partitions.Options) (partitions.Plan, error) {
	if e.Flavor == models.FlavorCPU {
		o.NoCUDA = NoCUDAReason
	}
	return partitions.NewPlan(e.Inventory(), o)
}
