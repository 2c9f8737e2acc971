package udf

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"regexp"
	"strings"

	"github.com/duckdb/duckdb-go/v2"

	"github.com/duckinfer/duckinfer/internal/core"
	"github.com/duckinfer/duckinfer/internal/models"
	"github.com/duckinfer/duckinfer/internal/partitions"
)

// Register adds ml_infer, ml_task_inputs, ml_keep_column, ml_input_sql, ml_tasks,
// ml_devices and ml_errors to the database conn
// belongs to; DuckDB keeps them in the catalog, so every connection sees them.
func Register(conn *sql.Conn, env *Env) error {
	if err := duckdb.RegisterScalarUDF(conn, "ml_infer", &inferFunc{fns: env}); err != nil {
		return fmt.Errorf("ml_predict: registering ml_infer: %w", err)
	}
	if err := duckdb.RegisterScalarUDF(conn, "ml_task_inputs", &taskInputsFunc{env: env}); err != nil {
		return fmt.Errorf("ml_predict: registering ml_task_inputs: %w", err)
	}
	if err := duckdb.RegisterScalarUDF(conn, "ml_keep_column", &keepColumnFunc{env: env}); err != nil {
		return fmt.Errorf("ml_predict: registering ml_keep_column: %w", err)
	}
	if err := duckdb.RegisterScalarUDF(conn, "ml_input_sql", &inputSQLFunc{}); err != nil {
		return fmt.Errorf("ml_predict: registering ml_input_sql: %w", err)
	}
	if err := duckdb.RegisterTableUDF(conn, "ml_tasks", tasksFunc(env)); err != nil {
		return fmt.Errorf("ml_predict: registering ml_tasks: %w", err)
	}
	if err := duckdb.RegisterTableUDF(conn, "ml_devices", devicesFunc(env)); err != nil {
		return fmt.Errorf("ml_predict: registering ml_devices: %w", err)
	}
	if err := duckdb.RegisterTableUDF(conn, "ml_errors", errorsFunc(env)); err != nil {
		return fmt.Errorf("ml_predict: registering ml_errors: %w", err)
	}
	return nil
}

// errorsFunc lists the most recent rows that failed under on_error := 'null'.
func errorsFunc(env *Env) duckdb.RowTableFunction {
	return duckdb.RowTableFunction{
		BindArgumentsContext: func(ctx context.Context, named map[string]any, args ...any) (duckdb.RowTableSource, error) {
			s := &staticTable{cols: []duckdb.ColumnInfo{
				column("time", duckdb.TYPE_TIMESTAMP), column("task", duckdb.TYPE_VARCHAR),
				column("input", duckdb.TYPE_VARCHAR), column("error", duckdb.TYPE_VARCHAR),
			}}
			for _, f := range env.Failures.List() {
				s.rows = append(s.rows, []any{f.Time, f.Task, f.Input, f.Error})
			}
			return s, nil
		},
	}
}

// inputSQLFunc turns ml_predict's input argument into the SQL that query() reads: a
// query string as it is, a table or view name as FROM name. Bad input fails here with
// a message about ml_predict rather than a parser error about generated SQL.
type inputSQLFunc struct{}

// queryStart tells a query from a name; \b keeps tables like "selection" names.
var queryStart = regexp.MustCompile(`(?i)^\s*((select|from|with|values|table|pivot|unpivot|describe|show|summarize)\b|\()`)

func (f *inputSQLFunc) Config() duckdb.ScalarFuncConfig {
	varchar, _ := duckdb.NewTypeInfo(duckdb.TYPE_VARCHAR)
	anyT, _ := duckdb.NewTypeInfo(duckdb.TYPE_ANY)
	return duckdb.ScalarFuncConfig{InputTypeInfos: []duckdb.TypeInfo{anyT}, ResultTypeInfo: varchar, SpecialNullHandling: true}
}

func (f *inputSQLFunc) Executor() duckdb.ScalarFuncExecutor {
	return duckdb.ScalarFuncExecutor{RowExecutor: func(values []driver.Value) (any, error) {
		return InputSQL(values[0])
	}}
}

// InputSQL is the rule ml_input_sql applies.
func InputSQL(v any) (string, error) {
	s, ok := v.(string)
	switch {
	case v == nil:
		return "", core.ArgErrorf("input is NULL; pass a table name, a view name or a query string, e.g. ml_predict('sentiment', 'reviews')")
	case !ok:
		return "", core.ArgErrorf("input must be a string naming a table, view or query, got %T %v", v, v)
	case strings.TrimSpace(s) == "":
		return "", core.ArgErrorf("input is empty; pass a table name, a view name or a query string")
	case queryStart.MatchString(s):
		return s, nil
	}
	return "FROM " + s, nil
}

// staticTable serves a small, precomputed result as a table function.
type staticTable struct {
	cols []duckdb.ColumnInfo
	rows [][]any
	next int
}

func (s *staticTable) ColumnInfos() []duckdb.ColumnInfo { return s.cols }
func (s *staticTable) Cardinality() *duckdb.CardinalityInfo {
	return &duckdb.CardinalityInfo{Cardinality: uint(len(s.rows)), Exact: true}
}
func (s *staticTable) Init() {}
func (s *staticTable) FillRow(row duckdb.Row) (bool, error) {
	if s.next >= len(s.rows) {
		return false, nil
	}
	for i, v := range s.rows[s.next] {
		if err := row.SetRowValue(i, v); err != nil {
			return false, err
		}
	}
	s.next++
	return true, nil
}

func column(name string, t duckdb.Type) duckdb.ColumnInfo {
	ti, _ := duckdb.NewTypeInfo(t)
	return duckdb.ColumnInfo{Name: name, T: ti}
}

func listColumn(name string) duckdb.ColumnInfo {
	varchar, _ := duckdb.NewTypeInfo(duckdb.TYPE_VARCHAR)
	ti, _ := duckdb.NewListInfo(varchar)
	return duckdb.ColumnInfo{Name: name, T: ti}
}

// tasksFunc lists every task folder as it is now, usable or not: a broken one has
// NULL details and its error, so a task that will not load is not simply missing.
// fingerprint is the start of the model's sha256 (models.Task.Fingerprint); the first
// call after a model changes reads the whole file to compute it.
func tasksFunc(env *Env) duckdb.RowTableFunction {
	return duckdb.RowTableFunction{
		BindArgumentsContext: func(ctx context.Context, named map[string]any, args ...any) (duckdb.RowTableSource, error) {
			s := &staticTable{cols: []duckdb.ColumnInfo{
				column("name", duckdb.TYPE_VARCHAR), column("source", duckdb.TYPE_VARCHAR),
				listColumn("inputs"), listColumn("labels"), column("batch_size", duckdb.TYPE_INTEGER),
				column("description", duckdb.TYPE_VARCHAR), column("fingerprint", duckdb.TYPE_VARCHAR),
				column("error", duckdb.TYPE_VARCHAR),
			}}
			for _, e := range env.Registry.Entries() {
				t := e.Task
				if t == nil {
					s.rows = append(s.rows, []any{e.Name, e.Source, nil, nil, nil, nil, nil, e.Err.Error()})
					continue
				}
				var inputs []string
				for _, in := range t.Config.Inputs {
					inputs = append(inputs, fmt.Sprintf("%s: %s ← %s", in.Name, in.Type, strings.Join(in.Columns, ", ")))
				}
				// A model that cannot be read (missing, not a regular file) is this
				// task's error, though its task.json is fine.
				var fp, errText any
				if sum, err := t.Fingerprint(); err != nil {
					errText = err.Error()
				} else {
					fp = sum[:16]
				}
				s.rows = append(s.rows, []any{t.Name, t.Source, inputs, t.Config.Labels, int32(t.Config.BatchSize), t.Config.Description, fp, errText})
			}
			return s, nil
		},
	}
}

// devicesFunc lists the GPUs seen (or one CPU row saying why there is no GPU), each
// with its slots under the default options, and the ONNX Runtime in use.
func devicesFunc(env *Env) duckdb.RowTableFunction {
	return duckdb.RowTableFunction{
		BindArgumentsContext: func(ctx context.Context, named map[string]any, args ...any) (duckdb.RowTableSource, error) {
			s := &staticTable{cols: []duckdb.ColumnInfo{
				column("device", duckdb.TYPE_VARCHAR), column("device_id", duckdb.TYPE_INTEGER),
				column("name", duckdb.TYPE_VARCHAR), column("memory_total_mb", duckdb.TYPE_BIGINT),
				column("slots", duckdb.TYPE_INTEGER), column("runtime", duckdb.TYPE_VARCHAR),
				column("note", duckdb.TYPE_VARCHAR),
			}}
			inv := env.Inventory()
			plan, err := partitions.NewPlan(inv, env.Defaults)
			if err != nil {
				return nil, core.Wrap(err)
			}
			// Load the runtime now, so that ml_devices() answers "will this work?"
			// before the first prediction; a failure is shown, not raised.
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
				s.rows = append(s.rows, []any{"cpu", int32(0), "CPU", nil, int32(len(plan.Slots)), runtime("CPUExecutionProvider"), note})
				return s, nil
			}
			for _, d := range inv.GPUs {
				s.rows = append(s.rows, []any{"cuda", int32(d.Index), d.Name, int64(d.MemoryTotal >> 20), perDevice[d.Index], runtime("CUDAExecutionProvider"), "driver " + inv.Driver})
			}
			return s, nil
		},
	}
}
