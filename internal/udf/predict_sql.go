package udf

import (
	"database/sql/driver"
	"fmt"
	"strings"

	"github.com/duckdb/duckdb-go/v2"

	"github.com/duckinfer/duckinfer/internal/core"
	"github.com/duckinfer/duckinfer/internal/models"
)

// ml_predict_sql(task, input, columns, batch_size, device, models_per_gpu,
// gpu_mem_limit_mb, on_error, conn, probabilities) writes the query ml_predict runs, for the task's
// output kind: a DuckDB function's result type is fixed when it is registered, so a
// classify task and a regress task need different functions and output columns, and
// only generated SQL can pick them. The macro reads it with query(), which evaluates it
// at bind inside the caller's query (temp tables and transaction stay visible). Options
// arrive as VARCHAR (the empty string for "not given") and reach ml_infer as literals.
type predictSQLFunc struct{ env *Env }

// Positions of ml_predict_sql's arguments.
const (
	psTask = iota
	psInput
	psColumns
	psBatchSize
	psDevice
	psModelsPerGPU
	psGPUMemLimitMB
	psOnError
	psConn
	psProbabilities
	psMaxLength
	psPooling
	psNormalize
	psEmbed // 'true' from ml_embed
	psNumArgs
)

func (f *predictSQLFunc) Config() duckdb.ScalarFuncConfig {
	anyT, _ := duckdb.NewTypeInfo(duckdb.TYPE_ANY)
	varchar, _ := duckdb.NewTypeInfo(duckdb.TYPE_VARCHAR)
	in := make([]duckdb.TypeInfo, psNumArgs)
	for i := range in {
		in[i] = anyT
	}
	return duckdb.ScalarFuncConfig{InputTypeInfos: in, ResultTypeInfo: varchar, SpecialNullHandling: true}
}

func (f *predictSQLFunc) Executor() duckdb.ScalarFuncExecutor {
	return duckdb.ScalarFuncExecutor{RowExecutor: f.sql}
}

func (f *predictSQLFunc) sql(v []driver.Value) (any, error) {
	task, cols, err := f.env.InputColumns(v[psTask], v[psColumns])
	if err != nil {
		return nil, err
	}
	input, err := InputSQL(v[psInput])
	if err != nil {
		return nil, err
	}
	str := func(i int) string { s, _ := v[i].(string); return s }
	colsLit := "NULL"
	if v[psColumns] != nil {
		colsLit = listSQL(cols)
	}
	unpack := "COLUMNS(" + listSQL(cols) + ")"
	args := strings.Join([]string{quoteSQL(task.Name), quoteSQL(strings.Join(cols, Sep)),
		quoteSQL(str(psBatchSize)), quoteSQL(str(psDevice)), quoteSQL(str(psModelsPerGPU)),
		quoteSQL(str(psGPUMemLimitMB)), quoteSQL(str(psOnError)), quoteSQL(str(psConn)),
		quoteSQL(packText(str(psMaxLength), str(psPooling), str(psNormalize))),
		"typeof(struct_pack(*" + unpack + "))", "*" + unpack}, ", ")
	var probs bool
	switch p := strings.ToLower(str(psProbabilities)); p {
	case "", "false":
	case "true":
		probs = true
	default:
		return nil, core.ArgErrorf("probabilities must be true or false, got %q", p)
	}
	keep := fmt.Sprintf("COLUMNS(lambda c: ml_keep_column(%s, %s, c))", quoteSQL(task.Name), colsLit)
	from := "query(" + quoteSQL(input) + ")"
	if embed := str(psEmbed) == "true"; embed != (task.Config.Kind == models.OutputEmbed) {
		if embed {
			return nil, core.ArgErrorf("task %q is a %s task; ml_embed runs text embedders, call ml_predict('%s', ...) instead", task.Name, task.Config.Kind, task.Name)
		}
		return nil, core.ArgErrorf("task %q is an embed task; call ml_embed('%s', ...) for its embedding column", task.Name, task.Name)
	}
	switch task.Config.Kind {
	case models.OutputEmbed:
		q, err := embedSQL(f.env, task, keep, args, from)
		if err != nil {
			return nil, err
		}
		return q, nil
	case models.OutputRegress:
		if probs {
			return nil, core.ArgErrorf("task %q is a regress task; probabilities := true is for classify tasks", task.Name)
		}
		// The result type follows the model's declared width, so the check runs here.
		if err := f.env.Pool.Check(task); err != nil {
			return nil, core.Wrap(err)
		}
		fn := "ml_infer_regress"
		if task.OutputWidth() != 1 {
			fn = "ml_infer_regress_list"
		}
		return fmt.Sprintf("SELECT %s, %s(%s) AS %s FROM %s", keep, fn, args, regressOutputs[0], from), nil
	case models.OutputClassify:
		// The packed result is computed once, in the inner projection, and cut in the
		// outer one (see macroSQL).
		fn, packed := "ml_infer", packedColumn
		if probs {
			// "confidence label \x1f p1,p2,...": the label part ends at the separator.
			fn, packed = "ml_infer_probs", fmt.Sprintf("split_part(%s, chr(31), 1)", packedColumn)
		}
		label, confidence := unpackSQL(packed)
		outputs := fmt.Sprintf("%s AS %s, %s AS %s", label, predictOutputs[0], confidence, predictOutputs[1])
		if probs {
			outputs += fmt.Sprintf(", MAP(%s, string_split(split_part(%s, chr(31), 2), ',')::DOUBLE[]) AS %s",
				listSQL(task.Config.Labels), packedColumn, probsOutput)
		}
		return fmt.Sprintf("SELECT * EXCLUDE (%[1]s), %[2]s FROM (SELECT %[3]s, %[4]s(%[5]s) AS %[1]s FROM %[6]s)",
			packedColumn, outputs, keep, fn, args, from), nil
	}
	return nil, core.ArgErrorf("task %q: kind %q has no SQL output yet", task.Name, task.Config.Kind)
}

// listSQL writes names as a SQL list of strings.
func listSQL(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = quoteSQL(n)
	}
	return "[" + strings.Join(q, ", ") + "]"
}
