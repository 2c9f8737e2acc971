package capi

/*
#include "capi.h"
*/
import "C"

import (
	"fmt"
	"runtime/cgo"
	"strings"
	"time"
	"unsafe"

	"github.com/duckinfer/duckinfer/internal/models"
	"github.com/duckinfer/duckinfer/internal/partitions"
)

// ml_tasks(), ml_devices() and ml_errors(): small tables computed at bind, as in
// internal/udf (tasks.go, devices.go, errors_table.go), whose columns they match; and
// ml_stats(), this database's counters (the Go API's Connector.Stats), which the host
// tests read to see parallelism and per-database state.
var tableNames = []string{"ml_tasks", "ml_devices", "ml_errors", "ml_stats"}

type colKind int

const (
	colText colKind = iota
	colInt
	colBigint
	colTextList
	colTimestamp
)

type column struct {
	name string
	kind colKind
}

type table struct {
	cols []column
	rows [][]any
}

//export goTableBind
func goTableBind(info C.duckdb_bind_info, which C.int, envh C.uintptr_t) {
	d := cgo.Handle(envh).Value().(*dbEnv)
	t, err := d.table(info, int(which))
	if err != nil {
		msg := cString(err.Error())
		C.di_table_bind_error(info, msg)
		C.free(unsafe.Pointer(msg))
		return
	}
	for _, c := range t.cols {
		var lt C.duckdb_logical_type
		switch c.kind {
		case colText:
			lt = C.di_type(C.DUCKDB_TYPE_VARCHAR)
		case colInt:
			lt = C.di_type(C.DUCKDB_TYPE_INTEGER)
		case colBigint:
			lt = C.di_type(C.DUCKDB_TYPE_BIGINT)
		case colTextList:
			lt = C.di_list_type(C.DUCKDB_TYPE_VARCHAR)
		case colTimestamp:
			lt = C.di_type(C.DUCKDB_TYPE_TIMESTAMP)
		}
		name := cString(c.name)
		C.di_table_add_column(info, name, lt)
		C.free(unsafe.Pointer(name))
		C.di_destroy_type(lt)
	}
	C.di_table_set_bind_data(info, C.uintptr_t(cgo.NewHandle(t)))
}

func (d *dbEnv) table(info C.duckdb_bind_info, which int) (*table, error) {
	name := cString(ModelsSetting)
	setting := goString(C.di_table_bind_option(info, name))
	C.free(unsafe.Pointer(name))
	env, err := d.env(setting)
	if err != nil {
		return nil, err
	}
	switch which {
	case 0:
		t := &table{cols: []column{{"name", colText}, {"source", colText}, {"inputs", colTextList}, {"labels", colTextList},
			{"batch_size", colInt}, {"description", colText}, {"fingerprint", colText}, {"error", colText}}}
		for _, e := range env.Registry.Entries() {
			tk := e.Task
			if tk == nil {
				t.rows = append(t.rows, []any{e.Name, e.Source, nil, nil, nil, nil, nil, e.Err.Error()})
				continue
			}
			var inputs []string
			for _, in := range tk.Config.Inputs {
				inputs = append(inputs, fmt.Sprintf("%s: %s ← %s", in.Name, in.Type, strings.Join(in.Columns, ", ")))
			}
			var fp, errText any
			if sum, err := tk.Fingerprint(); err != nil {
				errText = err.Error()
			} else {
				fp = sum[:16]
			}
			t.rows = append(t.rows, []any{tk.Name, tk.Source, inputs, tk.Config.Labels, int32(tk.Config.BatchSize), tk.Config.Description, fp, errText})
		}
		return t, nil
	case 1:
		t := &table{cols: []column{{"device", colText}, {"device_id", colInt}, {"name", colText}, {"memory_total_mb", colBigint},
			{"slots", colInt}, {"runtime", colText}, {"note", colText}}}
		inv := env.Inventory()
		plan, err := partitions.NewPlan(inv, env.Defaults)
		if err != nil {
			return nil, err
		}
		info, rtErr := models.InitRuntime(env.Flavor)
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
			t.rows = append(t.rows, []any{"cpu", int32(0), "CPU", nil, int32(len(plan.Slots)), runtime("CPUExecutionProvider"), note})
			return t, nil
		}
		for _, g := range inv.GPUs {
			t.rows = append(t.rows, []any{"cuda", int32(g.Index), g.Name, int64(g.MemoryTotal >> 20), perDevice[g.Index], runtime("CUDAExecutionProvider"), "driver " + inv.Driver})
		}
		return t, nil
	}
	if which == 3 {
		var rows, chunks int64
		for _, e := range d.all() {
			rows += int64(e.RowsInferred.Load())
			chunks += int64(e.Chunks.Load())
		}
		return &table{cols: []column{{"rows_inferred", colBigint}, {"chunks", colBigint}, {"model_loads", colBigint}, {"partitions", colBigint}},
			rows: [][]any{{rows, chunks, d.pool.Loads(), int64(d.threads.Count())}}}, nil
	}
	t := &table{cols: []column{{"time", colTimestamp}, {"task", colText}, {"input", colText}, {"error", colText}}}
	for _, e := range d.all() {
		for _, f := range e.Failures.List() {
			t.rows = append(t.rows, []any{f.Time, f.Task, f.Input, f.Error})
		}
	}
	return t, nil
}

// goTableFill writes rows from pos on into out, up to a vector's worth, and returns
// the next position.
//
//export goTableFill
func goTableFill(info C.duckdb_function_info, h C.uintptr_t, out C.duckdb_data_chunk, pos C.idx_t) C.idx_t {
	t := cgo.Handle(h).Value().(*table)
	start := int(pos)
	n := min(len(t.rows)-start, int(C.di_vector_size()))
	if n <= 0 {
		C.di_chunk_set_size(out, 0)
		return pos
	}
	for j, c := range t.cols {
		vec := C.di_chunk_vector(out, C.idx_t(j))
		listOff := 0
		for r := range n {
			v := t.rows[start+r][j]
			if v == nil {
				C.di_set_invalid(vec, C.idx_t(r))
				continue
			}
			switch c.kind {
			case colText:
				s := v.(string)
				cs := C.CString(s)
				C.di_set_table_string(vec, C.idx_t(r), cs, C.idx_t(len(s)))
				C.free(unsafe.Pointer(cs))
			case colInt:
				data[int32](vec, n)[r] = v.(int32)
			case colBigint:
				data[int64](vec, n)[r] = v.(int64)
			case colTimestamp:
				data[int64](vec, n)[r] = v.(time.Time).UnixMicro()
			case colTextList:
				items := v.([]string)
				cs := make([]*C.char, len(items)+1)
				lens := make([]C.uint32_t, len(items)+1)
				for i, s := range items {
					cs[i] = C.CString(s)
					lens[i] = C.uint32_t(len(s))
				}
				C.di_write_string_list(vec, C.idx_t(r), C.idx_t(listOff), &cs[0], &lens[0], C.idx_t(len(items)))
				for i := range items {
					C.free(unsafe.Pointer(cs[i]))
				}
				listOff += len(items)
			}
		}
	}
	C.di_chunk_set_size(out, C.idx_t(n))
	return C.idx_t(start + n)
}
