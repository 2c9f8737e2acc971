package capi

import (
	"errors"
	"testing"

	"github.com/duckinfer/duckinfer/internal/core"
	"github.com/duckinfer/duckinfer/internal/gpu"
	"github.com/duckinfer/duckinfer/internal/models"
	"github.com/duckinfer/duckinfer/internal/partitions"
)

// One statement binds ml_predict_sql (which looks the task up and writes a TaskRef)
// and then ml_infer (which looks the TaskRef up again). Between the two, other
// connections' queries under four other SET duckinfer_models values retire this
// setting's registry (retireLocked); the TaskRef still names its snapshot, which
// serves again.
// Pins: Retire dropped the snapshots, so the statement failed saying the task's
// folder changed, though nothing on disk did.
func TestRetireBetweenPartsOfOneStatement(t *testing.T) {
	d := &dbEnv{threads: &partitions.Threads{}, inventory: func() gpu.Inventory { return gpu.Simulated(0) },
		envs: map[string]*core.Env{}, used: map[string]uint64{}, pool: models.NewPool(models.FlavorCPU), flavor: models.FlavorCPU}
	t.Setenv(ModelsEnv, "")
	dirs := make([]string, 5)
	for i := range dirs {
		dirs[i] = t.TempDir()
	}
	e, err := d.env(dirs[0])
	if err != nil {
		t.Fatal(err)
	}
	task, err := e.Lookup("sentiment") // ml_predict_sql's bind
	if err != nil {
		t.Fatal(err)
	}
	ref := core.TaskRef(task)
	for _, s := range dirs[1:] { // other connections, other settings
		if _, err := d.env(s); err != nil {
			t.Fatal(err)
		}
	}
	e, err = d.env(dirs[0]) // ml_infer's bind, same statement
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Lookup(ref); err != nil {
		t.Errorf("ml_infer's bind of the same statement: %v (changed: %v); no task folder changed", err, errors.Is(err, models.ErrTaskChanged))
	}
}
