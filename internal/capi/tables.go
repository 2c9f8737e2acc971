package capi

/*
#include "capi.h"
*/
import "C"

import (
	"runtime/cgo"
	"time"
	"unsafe"

	"github.com/duckinfer/duckinfer/internal/core"
	"github.com/duckinfer/duckinfer/internal/models"
)

// ml_tasks(), ml_devices() and ml_errors(): the core's small tables (core.Table), the
// same as the duckdb-go binding's; and
// ml_stats(), this database's counters (the Go API's Connector.Stats), which the host
// tests read to see parallelism and per-database state.
var tableNames = []string{"ml_tasks", "ml_devices", "ml_errors", "ml_stats"}

// tableSource is a table function's bind data: how to compute its rows (at init), and
// the function's name for internalError.
type tableSource struct {
	name  string
	build func() (*core.Table, error)
}

// tableScan is one scan's rows and how far it has written them.
type tableScan struct {
	name string
	t    *core.Table
	pos  int
}

//export goTableBind
func goTableBind(info C.duckdb_bind_info, which C.int, envh C.uintptr_t) {
	name := "a table function"
	defer func() {
		if p := recover(); p != nil {
			tableBindError(info, internalError("bind", name, p))
		}
	}()
	name = tableNames[which]
	if testHooks {
		testHookPanic("bind", name)
	}
	d := cgo.Handle(envh).Value().(*dbEnv)
	build, err := d.table(info, int(which))
	var t *core.Table
	if err == nil {
		t, err = build()
	}
	if err != nil {
		tableBindError(info, err)
		return
	}
	for _, c := range t.Columns {
		var lt C.duckdb_logical_type
		switch c.Kind {
		case core.KindText:
			lt = C.di_type(C.DUCKDB_TYPE_VARCHAR)
		case core.KindInt:
			lt = C.di_type(C.DUCKDB_TYPE_INTEGER)
		case core.KindBigint:
			lt = C.di_type(C.DUCKDB_TYPE_BIGINT)
		case core.KindTextList:
			lt = C.di_list_type(C.DUCKDB_TYPE_VARCHAR)
		case core.KindTimestamp:
			lt = C.di_type(C.DUCKDB_TYPE_TIMESTAMP)
		}
		cname := cString(c.Name)
		C.di_table_add_column(info, cname, lt)
		C.free(unsafe.Pointer(cname))
		C.di_destroy_type(lt)
	}
	C.di_table_set_bind_data(info, C.uintptr_t(cgo.NewHandle(&tableSource{name: name, build: build})))
}

func tableBindError(info C.duckdb_bind_info, err error) {
	msg := errString(err)
	C.di_table_bind_error(info, msg)
	C.free(unsafe.Pointer(msg))
}

// goTableInit computes a scan's rows; it returns the scan's handle, or 0 after
// reporting an error.
//
//export goTableInit
func goTableInit(info C.duckdb_init_info, h C.uintptr_t) (scan C.uintptr_t) {
	name := "a table function"
	defer func() {
		if p := recover(); p != nil {
			tableInitError(info, internalError("init", name, p))
			scan = 0
		}
	}()
	src := cgo.Handle(h).Value().(*tableSource)
	name = src.name
	if testHooks {
		testHookPanic("init", name)
	}
	t, err := src.build()
	if err != nil {
		tableInitError(info, err)
		return 0
	}
	return C.uintptr_t(cgo.NewHandle(&tableScan{name: name, t: t}))
}

func tableInitError(info C.duckdb_init_info, err error) {
	msg := errString(err)
	C.di_table_init_error(info, msg)
	C.free(unsafe.Pointer(msg))
}

// table returns how to compute the rows of table function which, for the task
// folders in effect at bind.
func (d *dbEnv) table(info C.duckdb_bind_info, which int) (func() (*core.Table, error), error) {
	name := cString(ModelsSetting)
	setting := goString(C.di_table_bind_option(info, name))
	C.free(unsafe.Pointer(name))
	env, err := d.env(setting)
	if err != nil {
		return nil, err
	}
	switch which {
	case 0:
		return func() (*core.Table, error) { return env.TasksTable(), nil }, nil
	case 1:
		return env.DevicesTable, nil
	case 2:
		return func() (*core.Table, error) { return core.ErrorsTable(d.all()...), nil }, nil
	}
	return d.statsTable, nil
}

// statsTable is ml_stats(): this database's counters.
func (d *dbEnv) statsTable() (*core.Table, error) {
	var rows, reused, chunks, lent int64
	for _, e := range d.all() {
		rows += int64(e.RowsInferred.Load())
		reused += int64(e.RowsReused.Load())
		chunks += int64(e.Chunks.Load())
		lent += int64(e.RowsLent.Load())
	}
	return &core.Table{Columns: []core.TableColumn{{Name: "rows_inferred", Kind: core.KindBigint}, {Name: "chunks", Kind: core.KindBigint},
		{Name: "model_loads", Kind: core.KindBigint}, {Name: "partitions", Kind: core.KindBigint}, {Name: "rows_reused", Kind: core.KindBigint},
		{Name: "process_sessions", Kind: core.KindBigint}, {Name: "rows_lent", Kind: core.KindBigint}},
		Rows: [][]any{{rows, chunks, d.pool.Loads(), int64(d.threads.Count()), reused, models.OpenSessions(), lent}}}, nil
}

// goTableFill writes the scan's next rows into out, up to a vector's worth (none:
// the scan is done).
//
//export goTableFill
func goTableFill(info C.duckdb_function_info, h C.uintptr_t, out C.duckdb_data_chunk) {
	name := "a table function"
	defer func() {
		if p := recover(); p != nil {
			msg := errString(internalError("scan", name, p))
			C.di_table_function_error(info, msg)
			C.free(unsafe.Pointer(msg))
		}
	}()
	scan := cgo.Handle(h).Value().(*tableScan)
	name = scan.name
	if testHooks {
		testHookPanic("scan", name)
	}
	t, start := scan.t, scan.pos
	n := min(len(t.Rows)-start, int(C.di_vector_size()))
	if n <= 0 {
		C.di_chunk_set_size(out, 0)
		return
	}
	for j, c := range t.Columns {
		vec := C.di_chunk_vector(out, C.idx_t(j))
		listOff := 0
		for r := range n {
			v := t.Rows[start+r][j]
			if v == nil {
				C.di_set_invalid(vec, C.idx_t(r))
				continue
			}
			switch c.Kind {
			case core.KindText:
				s := v.(string)
				cs := C.CString(s)
				C.di_set_table_string(vec, C.idx_t(r), cs, C.idx_t(len(s)))
				C.free(unsafe.Pointer(cs))
			case core.KindInt:
				data[int32](vec, n)[r] = v.(int32)
			case core.KindBigint:
				data[int64](vec, n)[r] = v.(int64)
			case core.KindTimestamp:
				data[int64](vec, n)[r] = v.(time.Time).UnixMicro()
			case core.KindTextList:
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
	scan.pos = start + n
}
