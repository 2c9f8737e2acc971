package core

import (
	"fmt"
	"slices"
	"strings"

	"github.com/duckinfer/duckinfer/internal/gpu"
	"github.com/duckinfer/duckinfer/internal/models"
	"github.com/duckinfer/duckinfer/internal/partitions"
)

// ColumnKind is a column type of the small tables below, as the bindings map it to
// their database's types.
type ColumnKind int

const (
	KindText      ColumnKind = iota // VARCHAR; values string
	KindInt                         // INTEGER; values int32
	KindBigint                      // BIGINT; values int64
	KindTextList                    // VARCHAR[]; values []string
	KindTimestamp                   // TIMESTAMP; values time.Time
)

// TableColumn is one column of a Table.
type TableColumn struct {
	Name string
	Kind ColumnKind
}

// Table is a small result computed at bind: what ml_tasks(), ml_devices() and
// ml_errors() return, the same through every binding. A nil value is NULL.
type Table struct {
	Columns []TableColumn
	Rows    [][]any
}

// TasksTable lists every task folder as it is now, usable or not: a broken one has
// NULL details and its error, so a task that will not load is not simply missing.
// fingerprint is the start of the model's sha256 (models.Task.Fingerprint); the first
// call after a model changes reads the whole file to compute it.
func (e *Env) TasksTable() *Table {
	t := &Table{Columns: []TableColumn{{"name", KindText}, {"source", KindText}, {"inputs", KindTextList},
		{"labels", KindTextList}, {"batch_size", KindInt}, {"description", KindText}, {"fingerprint", KindText}, {"error", KindText}}}
	for _, en := range e.Registry.Entries() {
		tk := en.Task
		if tk == nil {
			t.Rows = append(t.Rows, []any{en.Name, en.Source, nil, nil, nil, nil, nil, en.Err.Error()})
			continue
		}
		var inputs []string
		for _, in := range tk.Config.Inputs {
			inputs = append(inputs, fmt.Sprintf("%s: %s ← %s", in.Name, in.Type, strings.Join(in.Columns, ", ")))
		}
		// A model that cannot be read (missing, not a regular file) is this task's
		// error, though its task.json is fine.
		var fp, errText any
		if sum, err := tk.Fingerprint(); err != nil {
			errText = err.Error()
		} else {
			fp = sum[:16]
		}
		t.Rows = append(t.Rows, []any{tk.Name, tk.Source, inputs, tk.Config.Labels, int32(tk.Config.BatchSize), tk.Config.Description, fp, errText})
	}
	return t
}

// DevicesTable lists the GPUs seen (or one CPU row saying why there is no GPU), each
// with its slots under the default options, and the ONNX Runtime in use. It loads the
// runtime, so that ml_devices() answers "will this work?" before the first
// prediction; a failure is shown, not raised.
func (e *Env) DevicesTable() (*Table, error) {
	t := &Table{Columns: []TableColumn{{"device", KindText}, {"device_id", KindInt}, {"name", KindText},
		{"memory_total_mb", KindBigint}, {"slots", KindInt}, {"runtime", KindText}, {"note", KindText}}}
	inv := e.Inventory()
	plan, err := e.Plan(e.Defaults)
	if err != nil {
		return nil, Wrap(err)
	}
	info, rtErr := models.InitRuntime(e.Flavor)
	runtime := func(provider string) string {
		if rtErr != nil {
			return "not loadable: " + rtErr.Error()
		}
		return fmt.Sprintf("ONNX Runtime %s (%s) %s, %s", info.Version, info.Flavor, info.Path, provider)
	}
	perDevice := map[int]int32{}
	for _, sl := range plan.Slots {
		perDevice[sl.Placement.DeviceID]++
	}
	if plan.Device == partitions.DeviceCPU {
		note := plan.Note
		if note == "" {
			note = "device 'cpu' requested"
		}
		if len(inv.GPUs) == 0 && !strings.Contains(note, inv.Reason) {
			note += "; " + inv.Reason
		}
		t.Rows = append(t.Rows, []any{"cpu", int32(0), "CPU", nil, int32(len(plan.Slots)), runtime("CPUExecutionProvider"), note})
		return t, nil
	}
	for _, d := range inv.GPUs {
		note := "driver " + inv.Driver
		switch {
		case d.NVMLIndex < 0:
			note += fmt.Sprintf("; %s (%s)", d.UUID, gpu.VisibleEnv)
		case d.NVMLIndex != d.Index:
			// device_id is CUDA's ordinal under CUDA_VISIBLE_DEVICES; nvidia-smi shows NVML's.
			note += fmt.Sprintf("; nvidia-smi index %d (%s)", d.NVMLIndex, gpu.VisibleEnv)
		}
		var mem any // unknown for a MIG instance
		if d.MemoryTotal > 0 {
			mem = int64(d.MemoryTotal >> 20)
		}
		t.Rows = append(t.Rows, []any{"cuda", int32(d.Index), d.Name, mem, perDevice[d.Index], runtime("CUDAExecutionProvider"), note})
	}
	return t, nil
}

// ErrorsTable lists the most recent rows that failed under on_error := 'null', from
// each of envs.
func ErrorsTable(envs ...*Env) *Table {
	t := &Table{Columns: []TableColumn{{"time", KindTimestamp}, {"task", KindText}, {"input", KindText}, {"error", KindText}}}
	var all []RowFailure
	for _, e := range envs {
		all = append(all, e.Failures.List()...)
	}
	if len(envs) > 1 {
		// Several Envs (the extension's, one per task-folder setting): their failures
		// in time order, the most recent MaxRowFailures of them, as one Env keeps.
		slices.SortStableFunc(all, func(a, b RowFailure) int { return a.Time.Compare(b.Time) })
		all = all[max(len(all)-MaxRowFailures, 0):]
	}
	for _, f := range all {
		t.Rows = append(t.Rows, []any{f.Time, f.Task, f.Input, f.Error})
	}
	return t
}
