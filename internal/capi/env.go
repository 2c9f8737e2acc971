package capi

/*
#include "capi.h"
*/
import "C"

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime/cgo"
	"strings"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/duckinfer/duckinfer/internal/core"
	"github.com/duckinfer/duckinfer/internal/gpu"
	"github.com/duckinfer/duckinfer/internal/models"
	"github.com/duckinfer/duckinfer/internal/partitions"
	"github.com/duckinfer/duckinfer/internal/sqlgen"
)

// Settings the extension adds to DuckDB (SET duckinfer_models = '/path/a:/path/b').
const (
	ModelsSetting = "duckinfer_models"
	// ModelsEnv is read too, as the Go API does, for hosts that cannot SET.
	ModelsEnv = "DUCKINFER_MODELS"
	// Catalog is the attached in-memory database that holds the ml_predict macro.
	Catalog = sqlgen.Catalog
	// CompanionFile is the DuckDB 2.0 companion extension (internal/capi/v2ext), which
	// registers ml_predict and friends unqualified through the C API v2; it sits beside
	// this extension's file and is built for exactly CompanionDuckDB.
	CompanionFile   = "duckinfer_v2.duckdb_extension"
	CompanionDuckDB = "v2.0.0" // = cmd/duckinfer-v2macros' DuckDBVersion, which builds it
)

// dbEnv is one database's state: DuckDB runs the entry point once per database, and
// every function registered there carries a handle to its dbEnv (never a global), so
// two databases in one process share nothing but the ONNX Runtime library.
type dbEnv struct {
	pool      *models.Pool
	threads   *partitions.Threads
	inventory func() gpu.Inventory
	flavor    models.Flavor

	mu   sync.Mutex
	envs map[string]*core.Env // by the task folders in effect (setting + environment)
	// used is when (by useTick) each key of envs was last asked for; the registries of
	// all but the liveEnvs most recent are retired.
	used    map[string]uint64
	useTick uint64

	refs atomic.Int32 // registered functions holding the state (goEnvRetain)
	// running counts the database's chunks in models now, every Env's (core.Env.Running).
	running atomic.Int64
}

// goEnvRetain counts one more registered function holding the database state h.
//
//export goEnvRetain
func goEnvRetain(h C.uintptr_t) { cgo.Handle(h).Value().(*dbEnv).refs.Add(1) }

// goEnvRelease drops one; the last, when DuckDB closes the database, closes the
// models it loaded and frees the state. (Before, a database's sessions stayed for
// the life of the process: a host opening a database per request grew without end.)
//
//export goEnvRelease
func goEnvRelease(h C.uintptr_t) {
	d := cgo.Handle(h).Value().(*dbEnv)
	if d.refs.Add(-1) == 0 {
		_ = d.pool.Close()
		cgo.Handle(h).Delete()
	}
}

// env returns the core Env for the task folders named by the setting's value (plus
// $DUCKINFER_MODELS); the sessions pool is shared, since it keys sessions by task
// snapshot.
func (d *dbEnv) env(setting string) (*core.Env, error) {
	fromEnv := models.SplitDirs(getenv(ModelsEnv))
	dirs := append(fromEnv, models.SplitDirs(setting)...)
	key := strings.Join(dirs, "\x00")
	d.mu.Lock()
	defer d.mu.Unlock()
	d.useTick++
	if e, ok := d.envs[key]; ok {
		_, live := d.used[key]
		d.used[key] = d.useTick
		if !live {
			d.retireLocked()
		}
		return e, nil
	}
	reg, err := models.NewRegistry(dirs...)
	if err != nil {
		// Name where the bad folder came from: the user may never have used the setting.
		if _, envErr := models.NewRegistry(fromEnv...); envErr != nil {
			return nil, fmt.Errorf("%w; fix the folders in $%s (separated by ':')", envErr, ModelsEnv)
		}
		return nil, fmt.Errorf("%w; fix the folders in SET %s = '...' (separated by ':')", err, ModelsSetting)
	}
	// The unknown-task error names the extension's ways, not the Go API's.
	reg.AddHint = fmt.Sprintf("SET %s = '/path/a:/path/b' or $%s", ModelsSetting, ModelsEnv)
	e := &core.Env{Registry: reg, Pool: d.pool, Inventory: d.inventory, Threads: d.threads, Flavor: d.flavor, Running: &d.running}
	d.envs[key] = e
	d.used[key] = d.useTick
	d.retireLocked()
	return e, nil
}

// liveEnvs is how many settings' registries keep their task snapshots (and so their
// sessions) between queries: each distinct SET duckinfer_models value has a registry
// of its own, whose snapshots of even a built-in task are its own, so a process that
// moves through many values would otherwise hold a set of sessions per value.
const liveEnvs = 4

// retireLocked retires the registry of the least recently used setting once more
// than liveEnvs are live. A retired registry makes new snapshots if its setting comes
// back; the Env stays, for ml_stats() and ml_errors().
func (d *dbEnv) retireLocked() {
	if len(d.used) <= liveEnvs {
		return
	}
	oldest, at, first := "", uint64(0), true
	for k, t := range d.used {
		if first || t < at {
			oldest, at, first = k, t, false
		}
	}
	delete(d.used, oldest)
	d.envs[oldest].Registry.Retire()
	// Their sessions go now where no statement uses them, else after the last one.
	d.pool.Sweep()
}

// all lists every core Env made so far, for ml_errors.
func (d *dbEnv) all() []*core.Env {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make([]*core.Env, 0, len(d.envs))
	for _, e := range d.envs {
		out = append(out, e)
	}
	return out
}

var libDirOnce sync.Once

// initDatabase registers everything on the database conn belongs to.
func initDatabase(conn C.duckdb_connection) error {
	libDirOnce.Do(func() {
		// ONNX Runtime beside the extension file (lib/ort/<flavor>/ or the file itself)
		// comes before the usual places (models.LibraryCandidates).
		if self := C.GoString(C.di_self_path()); self != "" {
			models.AddLibraryDirs(filepath.Dir(self))
		}
	})
	// This Go runtime serves only DuckDB's threads: leave a P spare over them
	// (core.GoProcsHeadroom), unless GOMAXPROCS is set in the environment.
	threads, err := queryInt64(conn, `SELECT current_setting('threads')::BIGINT`)
	if err != nil {
		return fmt.Errorf("reading DuckDB's thread count: %w", err)
	}
	core.GoProcsHeadroom(int(threads))
	// The macro: DuckDB 1.x's C API cannot register one, and a macro created in the
	// user's database would be saved into their file; so it lives in an attached
	// in-memory catalog, callable as duckinfer.ml_predict(...) (or duckinfer.predict)
	// from every connection, with the caller's own transaction and temp tables visible.
	// Attached before anything is registered: a LOAD that fails here leaves nothing
	// behind, so the next LOAD (once the cause is gone) starts clean.
	if err := attachCatalog(conn); err != nil {
		return err
	}
	d := &dbEnv{threads: &partitions.Threads{}, inventory: gpu.Discover, envs: map[string]*core.Env{}, used: map[string]uint64{}}
	d.flavor = models.FlavorCPU
	if len(d.inventory().GPUs) > 0 && models.HasLibrary(models.FlavorGPU) {
		d.flavor = models.FlavorGPU
	}
	d.pool = models.NewPool(d.flavor)
	// The handle lives as long as the functions registered with it (goEnvRelease).
	h := C.uintptr_t(cgo.NewHandle(d))

	name := cString(ModelsSetting)
	desc := cString("task folders for duckinfer's ml_predict, separated by ':' (added to $DUCKINFER_MODELS)")
	ok := C.di_register_option(conn, name, desc)
	C.free(unsafe.Pointer(name))
	C.free(unsafe.Pointer(desc))
	if ok == 0 {
		return fmt.Errorf("registering the setting %s failed", ModelsSetting)
	}

	varchar := C.di_type(C.DUCKDB_TYPE_VARCHAR)
	double := C.di_type(C.DUCKDB_TYPE_DOUBLE)
	doubles := C.di_list_type(C.DUCKDB_TYPE_DOUBLE)
	floats := C.di_list_type(C.DUCKDB_TYPE_FLOAT)
	boolean := C.di_type(C.DUCKDB_TYPE_BOOLEAN)
	// ml_infer's result: STRUCT(predicted_class VARCHAR, confidence VARCHAR) (sqlgen.StructSQL).
	label, conf := cString(sqlgen.PredictOutputs[0]), cString(sqlgen.PredictOutputs[1])
	pair := C.di_pair_type(label, conf)
	C.free(unsafe.Pointer(label))
	C.free(unsafe.Pointer(conf))
	defer func() {
		for _, t := range []C.duckdb_logical_type{varchar, double, doubles, floats, boolean, pair} {
			C.di_destroy_type(t)
		}
	}()
	scalars := []struct {
		kind     C.int
		nfixed   int
		fixed    C.duckdb_type
		varargs  bool
		last     C.duckdb_type
		result   C.duckdb_logical_type
		volatile bool
	}{
		{C.DI_INFER, numFixedArgs, C.DUCKDB_TYPE_VARCHAR, true, C.DUCKDB_TYPE_ANY, pair, true},
		{C.DI_INFER_PROBS, numFixedArgs, C.DUCKDB_TYPE_VARCHAR, true, C.DUCKDB_TYPE_ANY, varchar, true},
		{C.DI_INFER_REGRESS, numFixedArgs, C.DUCKDB_TYPE_VARCHAR, true, C.DUCKDB_TYPE_ANY, double, true},
		{C.DI_INFER_REGRESS_LIST, numFixedArgs, C.DUCKDB_TYPE_VARCHAR, true, C.DUCKDB_TYPE_ANY, doubles, true},
		{C.DI_INFER_EMBED, numFixedArgs, C.DUCKDB_TYPE_VARCHAR, true, C.DUCKDB_TYPE_ANY, floats, true},
		{C.DI_PREDICT_SQL, sqlgen.PSNumArgs, C.DUCKDB_TYPE_ANY, false, C.DUCKDB_TYPE_INVALID, varchar, false},
		{C.DI_KEEP_COLUMN, 2, C.DUCKDB_TYPE_ANY, false, C.DUCKDB_TYPE_VARCHAR, boolean, false},
	}
	for _, s := range scalars {
		cs := cString(scalarNames[s.kind])
		ok := C.di_register_scalar(conn, cs, C.int(s.kind), h, C.int(s.nfixed), s.fixed, cbool(s.varargs), s.last, s.result, cbool(s.volatile))
		C.free(unsafe.Pointer(cs))
		if ok == 0 {
			return fmt.Errorf("registering %s failed (is another extension defining it?)", scalarNames[s.kind])
		}
	}
	for i, name := range tableNames {
		cs := cString(name)
		ok := C.di_register_table(conn, cs, h, C.int(i))
		C.free(unsafe.Pointer(cs))
		if ok == 0 {
			return fmt.Errorf("registering %s failed", name)
		}
	}
	for _, q := range sqlgen.CatalogMacros(sqlgen.ConnFromContext) {
		if err := exec(conn, q); err != nil {
			return fmt.Errorf("creating the macros in %s: %w", Catalog, err)
		}
	}
	return loadCompanion(conn)
}

// attachCatalog attaches the in-memory catalog that holds the macros. A database of
// that name that is not in memory (a file duckinfer.duckdb opened or attached under
// its default name) is refused: ATTACH IF NOT EXISTS would keep it, and the macros
// would be saved into the user's file. READ_WRITE: in a read-only database instance
// every attach defaults to read-only, which an in-memory database refuses.
func attachCatalog(conn C.duckdb_connection) error {
	n, err := queryInt64(conn, "SELECT count(*) FROM duckdb_databases() WHERE database_name = "+sqlgen.Quote(Catalog)+" AND (path IS NOT NULL OR readonly)")
	if err != nil {
		return fmt.Errorf("looking for a database named %s: %w", Catalog, err)
	}
	if n > 0 {
		return fmt.Errorf("a database named %s is attached already (a file %s.duckdb takes that name by default), and duckinfer keeps its macros in an in-memory catalog of that name, which would write them into your file; attach or open that file under another name (ATTACH '%s.duckdb' AS other_name), then LOAD again", Catalog, Catalog, Catalog)
	}
	if err := exec(conn, "ATTACH IF NOT EXISTS ':memory:' AS "+Catalog+" (READ_WRITE)"); err != nil {
		return fmt.Errorf("attaching the in-memory catalog %s: %w", Catalog, err)
	}
	return nil
}

// loadCompanion LOADs the C API v2 companion on the DuckDB version it was built for, so
// that ml_predict(...) works unqualified there: the v2 API can register a macro as a
// C++ extension does (system catalog, nothing saved, the caller's transaction visible),
// which v1 cannot. Elsewhere (DuckDB 1.x, or a 2.x it was not built for: its v2 API is
// unstable, pinned to one version) only the catalog form exists. A companion that is
// missing is not an error: the catalog form still works; a companion that fails to load
// on its own version is, since the build is then broken.
func loadCompanion(conn C.duckdb_connection) error {
	if v := C.GoString(C.di_library_version()); v != CompanionDuckDB {
		return nil
	}
	self := C.GoString(C.di_self_path())
	if self == "" {
		return nil
	}
	path := filepath.Join(filepath.Dir(self), CompanionFile)
	if _, err := os.Stat(path); err != nil {
		return nil
	}
	if err := exec(conn, "LOAD "+sqlgen.Quote(path)); err != nil {
		return fmt.Errorf("loading the DuckDB %s companion %s (rebuild both files with make extension): %w", CompanionDuckDB, path, err)
	}
	return nil
}

func cbool(b bool) C.int {
	if b {
		return 1
	}
	return 0
}
