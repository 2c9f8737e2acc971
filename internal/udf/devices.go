package udf

import (
	"context"
	"fmt"
	"strings"

	"github.com/duckdb/duckdb-go/v2"

	"github.com/duckinfer/duckinfer/internal/core"
	"github.com/duckinfer/duckinfer/internal/models"
	"github.com/duckinfer/duckinfer/internal/partitions"
)

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
