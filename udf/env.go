package udf

import (
	"sync/atomic"

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

	RowsInferred atomic.Uint64 // rows that reached a model
	Chunks       atomic.Uint64 // ml_infer calls
}
