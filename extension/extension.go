// Package extension is duckinfer's public Go API: a duckdb-go connector whose every
// connection has ml_predict, ml_infer, ml_tasks() and ml_devices(), and the program's
// own Go functions (WithFuncs) as row pre- and post-processors; Predict runs a task over
// Arrow records without SQL. It wires the parts (udf, partitions, models, gpu) together
// and owns their lifetime: closing the connector closes the database, then every model
// session.
package extension

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/duckdb/duckdb-go/v2"

	"github.com/duckinfer/duckinfer/internal/core"
	"github.com/duckinfer/duckinfer/internal/gpu"
	"github.com/duckinfer/duckinfer/internal/models"
	"github.com/duckinfer/duckinfer/internal/partitions"
	"github.com/duckinfer/duckinfer/internal/udf"
)

// ModelsEnv names extra task folders, separated by the OS path list separator (':').
const ModelsEnv = "DUCKINFER_MODELS"

// Option configures a Connector.
type Option func(*config)

type config struct {
	taskDirs  []string
	defaults  partitions.Options
	inventory *gpu.Inventory
	funcs     []Func
	keepProcs bool
}

// WithTaskDirs adds folders whose sub-folders are user tasks (task.json + model.onnx).
func WithTaskDirs(dirs ...string) Option {
	return func(c *config) { c.taskDirs = append(c.taskDirs, dirs...) }
}

// WithDevice sets the default device for queries that name none: "auto" (GPUs when
// there are any and the GPU ONNX Runtime is installed, else CPU), "cpu" or "cuda", in
// any case, as in SQL. NewConnector refuses a device every query would fail on: another
// name, or "cuda" without a usable GPU.
func WithDevice(device string) Option {
	return func(c *config) { c.defaults.Device = device }
}

// WithModelsPerGPU sets the default number of model instances per GPU, 1..64 (default,
// and 0: 2).
func WithModelsPerGPU(n int) Option {
	return func(c *config) { c.defaults.ModelsPerGPU = n }
}

// WithCPUSlots sets how many CPU model instances to spread partitions over when there
// is no GPU, 0..4096 (default, and 0: one per core).
func WithCPUSlots(n int) Option {
	return func(c *config) { c.defaults.CPUSlots = n }
}

// WithGPUMemLimit caps each CUDA session's memory arena, in bytes (default, and 0: no
// cap).
func WithGPUMemLimit(bytes int64) Option {
	return func(c *config) { c.defaults.GPUMemLimit = bytes }
}

// WithInventory replaces NVML discovery with a fixed device list (tests simulate GPUs
// with gpu.Simulated).
func WithInventory(inv gpu.Inventory) Option {
	return func(c *config) { c.inventory = &inv }
}

// WithKeepGOMAXPROCS leaves GOMAXPROCS as the program set it. By default NewConnector
// raises it to DuckDB's thread count + 1 when it is not above that already and the
// GOMAXPROCS environment variable is unset: DuckDB's worker threads each hold a Go P
// while they call ml_infer, and with no P left idle Go's scheduler keeps taking them
// back (on 2 cores, ~15 % slower; README, "Performance and tuning").
func WithKeepGOMAXPROCS() Option {
	return func(c *config) { c.keepProcs = true }
}

// Stats are cumulative counters of one Connector, safe to read while queries run.
type Stats struct {
	RowsInferred uint64 // rows that reached a model (NULL inputs excluded)
	RowsReused   uint64 // of those, rows that took the prediction of an equal value in the same DuckDB chunk, inferred once
	Chunks       uint64 // DuckDB chunks inferred (counted with RowsInferred: not a cancelled or failed one)
	// RowsLent counts the rows of RowsInferred run on a model slot lent beside their
	// partition's: a chunk's batches spread over slots its query left idle (a table of
	// fewer row groups than DuckDB has threads; a scan's last row group).
	RowsLent   uint64
	ModelLoads int64 // model sessions created (once per task and device slot)
	Partitions int   // worker threads seen so far
}

// Connector is a driver.Connector: use it with sql.OpenDB. Closing the *sql.DB opened
// on it closes its connections, then the Connector: the database and every model
// session. Closing only the Connector leaves the *sql.DB's connections (idle ones too)
// holding the database file open until db.Close().
type Connector struct {
	*duckdb.Connector
	env       *core.Env
	fns       *udf.Env
	closeOnce sync.Once
	closeErr  error
}

// NewConnector opens the DuckDB database at dsn ("" for in-memory; duckdb-go DSN
// options such as "?access_mode=read_only" apply) with duckinfer's functions on every
// connection. Defaults that every query would fail on (WithModelsPerGPU(-1), a device
// other than auto, cpu, cuda) are its error, naming the option. It raises GOMAXPROCS to
// DuckDB's thread count + 1 when it is lower and the GOMAXPROCS environment variable is
// unset (WithKeepGOMAXPROCS says why and opts out).
func NewConnector(dsn string, opts ...Option) (*Connector, error) {
	var cfg config
	for _, o := range opts {
		o(&cfg)
	}
	fromEnv := models.SplitDirs(os.Getenv(ModelsEnv))
	reg, err := models.NewRegistry(append(cfg.taskDirs, fromEnv...)...)
	if err != nil {
		// Name where the bad folder came from, as the loadable extension does.
		if _, envErr := models.NewRegistry(fromEnv...); envErr != nil {
			return nil, fmt.Errorf("extension: %w; fix the folders in $%s (separated by ':')", envErr, ModelsEnv)
		}
		return nil, fmt.Errorf("extension: %w", err)
	}
	// As SQL's device := 'CPU' is (core.Env.Bind).
	device := cfg.defaults.Device
	cfg.defaults.Device = strings.ToLower(strings.TrimSpace(device))
	env := &core.Env{Registry: reg, Threads: &partitions.Threads{}, Defaults: cfg.defaults}
	if cfg.inventory != nil {
		inv := *cfg.inventory
		env.Inventory = func() gpu.Inventory { return inv }
	} else {
		env.Inventory = gpu.Discover
	}
	env.Flavor, env.CPUWhy = flavorFor(cfg.defaults.Device, env.Inventory)
	if err := checkDefaults(env, device); err != nil {
		return nil, err
	}
	env.Pool = models.NewPool(env.Flavor)

	fns := udf.NewEnv(env)
	var registered atomic.Bool
	dc, err := duckdb.NewConnector(dsn, func(execer driver.ExecerContext) error {
		// The macro names our functions, so it can only be created once they exist;
		// the one connection opened before that only registers them.
		if !registered.Load() {
			return nil
		}
		return fns.InitConn(context.Background(), execer)
	})
	if err != nil {
		return nil, fmt.Errorf("extension: opening %q: %w", dsn, err)
	}
	c := &Connector{Connector: dc, env: env, fns: fns}
	if err := c.register(dsn, cfg.funcs, !cfg.keepProcs); err != nil {
		_ = c.Close()
		return nil, err
	}
	registered.Store(true)
	return c, nil
}

// checkDefaults refuses connector defaults that would fail every query, naming the
// With... option that set each: the plan's own messages name the SQL options
// (models_per_gpu), which such a query never gave. device is WithDevice's value as given.
func checkDefaults(env *core.Env, device string) error {
	d := env.Defaults
	cpu := func(o partitions.Options) partitions.Options { o.Device = partitions.DeviceCPU; return o }
	for _, c := range []struct {
		option string
		o      partitions.Options
	}{
		{fmt.Sprintf("WithModelsPerGPU(%d)", d.ModelsPerGPU), cpu(partitions.Options{ModelsPerGPU: d.ModelsPerGPU})},
		{fmt.Sprintf("WithGPUMemLimit(%d)", d.GPUMemLimit), cpu(partitions.Options{GPUMemLimit: d.GPUMemLimit})},
		{fmt.Sprintf("WithCPUSlots(%d)", d.CPUSlots), cpu(partitions.Options{CPUSlots: d.CPUSlots})},
		{fmt.Sprintf("WithDevice(%q)", device), d}, // the others are fine by now
	} {
		if _, err := env.Plan(c.o); err != nil {
			return fmt.Errorf("extension: %s would fail every query: %w", c.option, err)
		}
	}
	return nil
}

// flavorFor picks the ONNX Runtime files: the GPU set when GPUs may be used and it is
// installed, else the CPU set, with why when the GPU set is installed but not chosen
// (core.Env.CPUWhy). ONNX Runtime loads once per process, so the first connector to
// load it decides for the process (core.Env.Plan follows what is loaded).
func flavorFor(device string, inv func() gpu.Inventory) (models.Flavor, string) {
	if device == partitions.DeviceCPU {
		if models.HasLibrary(models.FlavorGPU) {
			return models.FlavorCPU, "this connector was opened with WithDevice(\"cpu\"), so it loads the CPU build of ONNX Runtime, " +
				"which cannot run on them; open it with WithDevice(\"auto\") (in a program that has not loaded ONNX Runtime yet) to use them"
		}
		return models.FlavorCPU, ""
	}
	if device == partitions.DeviceCUDA || len(inv().GPUs) > 0 {
		if models.HasLibrary(models.FlavorGPU) {
			return models.FlavorGPU, ""
		}
	}
	return models.FlavorCPU, ""
}

// register adds duckinfer's functions, then the user's (WithFuncs), to the database
// through a private *sql.DB that must not close the shared connector. DuckDB keeps
// scalar functions in the database's catalog, so every connection sees them. With
// headroom, GOMAXPROCS is raised above the database's thread count
// (core.GoProcsHeadroom).
//
// duckdb-go hands every connector opened on one file the same DuckDB instance, so a
// second Connector there would replace the first's functions with closures over its own
// task folders, counters and pool (and fail the first's queries once it closed). A
// database that already has ml_infer is therefore refused, before anything is
// registered; registerMu keeps two concurrent opens from both finding it empty.
func (c *Connector) register(dsn string, funcs []Func, headroom bool) error {
	db := sql.OpenDB(noClose{c.Connector})
	defer db.Close()
	conn, err := db.Conn(context.Background())
	if err != nil {
		return fmt.Errorf("extension: %w", err)
	}
	defer conn.Close()
	registerMu.Lock()
	defer registerMu.Unlock()
	var ours int
	if err := conn.QueryRowContext(context.Background(),
		`SELECT count(*) FROM duckdb_functions() WHERE function_name = 'ml_infer' AND function_type = 'scalar'`).Scan(&ours); err != nil {
		return fmt.Errorf("extension: %w", err)
	}
	if ours > 0 {
		return fmt.Errorf("extension: database %q is already open through another duckinfer Connector in this process, "+
			"and both would share one DuckDB instance and its functions; use that Connector's *sql.DB, or Close it first", dsn)
	}
	if err := udf.Register(conn, c.fns); err != nil {
		return err
	}
	if err := udf.AttachCatalog(context.Background(), conn); err != nil {
		return fmt.Errorf("extension: %w", err)
	}
	if headroom {
		var threads int
		if err := conn.QueryRowContext(context.Background(), `SELECT current_setting('threads')::BIGINT`).Scan(&threads); err != nil {
			return fmt.Errorf("extension: reading DuckDB's thread count: %w", err)
		}
		core.GoProcsHeadroom(threads)
	}
	return registerFuncs(conn, funcs)
}

var registerMu sync.Mutex

type noClose struct{ driver.Connector }

// Open is NewConnector + sql.OpenDB; closing the *sql.DB closes the connector.
func Open(dsn string, opts ...Option) (*sql.DB, error) {
	c, err := NewConnector(dsn, opts...)
	if err != nil {
		return nil, err
	}
	return sql.OpenDB(c), nil
}

// CountRows returns a context that counts, into n, the rows that queries run with it
// put through models; read n from another goroutine to show a running query's progress:
//
//	var n atomic.Int64
//	rows, err := db.QueryContext(extension.CountRows(ctx, &n), "SELECT * FROM ml_predict(...)")
func CountRows(ctx context.Context, n *atomic.Int64) context.Context {
	return context.WithValue(ctx, core.RowCounterKey{}, n)
}

// Stats returns a snapshot of the counters.
func (c *Connector) Stats() Stats {
	return Stats{
		RowsInferred: c.env.RowsInferred.Load(),
		RowsReused:   c.env.RowsReused.Load(),
		Chunks:       c.env.Chunks.Load(),
		RowsLent:     c.env.RowsLent.Load(),
		ModelLoads:   c.env.Pool.Loads(),
		Partitions:   c.env.Threads.Count(),
	}
}

// Close closes the Connector's handle on the database, then the model sessions. Safe
// to call more than once. The connections of a *sql.DB opened on it, idle ones too,
// keep the database file open until db.Close() (which also closes the Connector):
// until then NewConnector on that file waits (inside DuckDB's instance cache). Close
// the *sql.DB rather than only the Connector.
func (c *Connector) Close() error {
	c.closeOnce.Do(func() {
		err := c.Connector.Close()
		if perr := c.env.Pool.Close(); err == nil {
			err = perr
		}
		c.closeErr = err
	})
	return c.closeErr
}
