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
	// CPUWhy says why the binding chose the CPU Flavor though GPUs may be seen, as
	// partitions.Options.NoCUDA words it; "" means NoCUDAReason (no GPU build installed).
	CPUWhy string
	// Loaded reports the ONNX Runtime this process has loaded (nil: models.Runtime).
	// It loads once per process, so it, not Flavor, is what sessions get once loaded.
	Loaded func() (models.RuntimeInfo, bool)

	RowsInferred atomic.Uint64 // rows that reached a model
	RowsReused   atomic.Uint64 // of those, rows answered by an equal value's run in the same chunk (runDistinct)
	Chunks       atomic.Uint64 // chunks inferred: counted with RowsInferred, so not a cancelled or failed one
	RowsLent     atomic.Uint64 // of RowsInferred, rows run on a slot lent beside their partition's (Call.lend)

	// Running, when set, counts the chunks running through a model now and the lent
	// slots' helpers for every Env of one database (the extension's Env per models
	// setting); nil: this Env's own count. Call.lend keeps them within DuckDB's threads.
	Running   *atomic.Int64
	inferring atomic.Int64

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

// LoadedCPUReason is partitions.Options.NoCUDA for an Env that would load the GPU ONNX
// Runtime in a process that has already loaded the CPU build.
const LoadedCPUReason = "this process has already loaded the CPU build of ONNX Runtime, which cannot run on them " +
	"(ONNX Runtime loads once per process: an earlier database or connector, opened with device 'cpu' " +
	"or while the GPU build was not installed, loaded it first); restart the program so that the first one to load it can use the GPUs"

// Plan places a call's model instances under o on the GPUs seen, as far as the ONNX
// Runtime this process runs can run on them: with the CPU build, 'auto' means CPU.
func (e *Env) Plan(o partitions.Options) (partitions.Plan, error) {
	o.NoCUDA = e.noCUDA()
	return partitions.NewPlan(e.Inventory(), o)
}

// noCUDA says why this Env cannot run CUDA sessions, or "" when it can.
func (e *Env) noCUDA() string {
	loaded := e.Loaded
	if loaded == nil {
		loaded = models.Runtime
	}
	// The pool gets the library already loaded, whichever flavour it asks for. A CPU
	// load of the GPU build's own file ($DUCKINFER_ORT_LIB names one file for both)
	// still runs CUDA.
	if info, ok := loaded(); ok && info.Flavor != e.Flavor {
		if gpuPath := models.LibraryPath(models.FlavorGPU); info.Flavor == models.FlavorGPU || gpuPath != "" && info.Path == gpuPath {
			return ""
		}
		return LoadedCPUReason
	}
	if e.Flavor == models.FlavorCPU {
		if e.CPUWhy != "" {
			return e.CPUWhy
		}
		return NoCUDAReason
	}
	return ""
}

// running is the count Call.lend reads: Running, or the Env's own.
func (e *Env) running() *atomic.Int64 {
	if e.Running != nil {
		return e.Running
	}
	return &e.inferring
}
