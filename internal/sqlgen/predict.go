package sqlgen

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/duckinfer/duckinfer/internal/core"
	"github.com/duckinfer/duckinfer/internal/models"
	"github.com/duckinfer/duckinfer/internal/sqltext"
)

// Positions of ml_predict_sql's arguments: (task, input, columns, batch_size, device,
// models_per_gpu, gpu_mem_limit_mb, on_error, conn, probabilities, max_length, pooling,
// normalize, embed, nul args).
const (
	PSTask = iota
	PSInput
	PSColumns
	PSBatchSize
	PSDevice
	PSModelsPerGPU
	PSGPUMemLimitMB
	PSOnError
	PSConn
	PSProbabilities
	PSMaxLength
	PSPooling
	PSNormalize
	PSEmbed   // 'true' from ml_embed
	PSNULArgs // the parameters whose value holds a NUL byte (nulArgs)
	PSNumArgs
)

// PredictSQL writes the query ml_predict runs, for the task's output kind: a DuckDB
// function's result type is fixed when it is registered, so a classify task and a
// regress task need different functions and output columns, and only generated SQL can
// pick them. v holds ml_predict_sql's arguments as SQL gave them: task and input any
// value, columns nil or a []any of names, the options as strings ("" for "not given").
// Its errors name the macro that called it: ml_embed or ml_predict. ctx is the binding
// statement's: a regress or embed task's model is checked here (Pool.Check).
func PredictSQL(ctx context.Context, env *core.Env, v []any) (string, error) {
	q, err := predictSQL(ctx, env, v)
	if err != nil && len(v) == PSNumArgs && v[PSEmbed] == "true" {
		err = core.InFunc(core.FuncFor(models.OutputEmbed), err)
	}
	return q, err
}

func predictSQL(ctx context.Context, env *core.Env, v []any) (string, error) {
	if len(v) != PSNumArgs {
		return "", core.ArgErrorf("ml_predict_sql takes %d arguments, got %d; call ml_predict instead", PSNumArgs, len(v))
	}
	if s, _ := v[PSNULArgs].(string); s != "" {
		return "", core.ArgErrorf("%s holds a NUL byte (chr(0)), which ml_predict cannot pass on (it would cut the value there); remove it", strings.ReplaceAll(s, ",", ", "))
	}
	task, cols, err := env.InputColumns(v[PSTask], v[PSColumns])
	if err != nil {
		return "", err
	}
	input, err := InputSQL(v[PSInput])
	if err != nil {
		return "", err
	}
	str := func(i int) string { s, _ := v[i].(string); return s }
	// PackText joins these with Sep; a value holding it would shift the others and
	// fail as an option the user never gave.
	for _, o := range []struct {
		name string
		i    int
	}{{"max_length", PSMaxLength}, {"pooling", PSPooling}, {"normalize", PSNormalize}} {
		if strings.Contains(str(o.i), Sep) {
			return "", core.ArgErrorf("%s := %q holds the control character U+001F, which no value of %s has", o.name, str(o.i), o.name)
		}
	}
	colsLit := "NULL"
	if v[PSColumns] != nil {
		colsLit = ListSQL(cols)
	}
	unpack := "COLUMNS(" + ListSQL(cols) + ")"
	// The functions below look the task up again at their bind: TaskRef makes them
	// see this version of it, or fail the statement.
	ref := core.TaskRef(task)
	args := OptionsSQL([]string{ref, strings.Join(cols, Sep),
		str(PSBatchSize), str(PSDevice), str(PSModelsPerGPU),
		str(PSGPUMemLimitMB), str(PSOnError), str(PSConn),
		PackText(str(PSMaxLength), str(PSPooling), str(PSNormalize))},
		"typeof(struct_pack(*"+unpack+"))") + ", *" + unpack
	var probs bool
	switch p := strings.ToLower(str(PSProbabilities)); p {
	case "", "false":
	case "true":
		probs = true
	default:
		return "", core.ArgErrorf("probabilities must be true or false, got %q", p)
	}
	keep := KeepColumnSQL(ref, colsLit, nil)
	from := "query(" + Quote(input) + ")"
	if embed := str(PSEmbed) == "true"; embed != (task.Config.Kind == models.OutputEmbed) {
		if embed {
			return "", core.ArgErrorf("task %q is a %s task; ml_embed runs text embedders, call ml_predict('%s', ...) instead", task.Name, task.Config.Kind, task.Name)
		}
		return "", core.ArgErrorf("task %q is an embed task; call ml_embed('%s', ...) for its embedding column", task.Name, task.Name)
	}
	switch task.Config.Kind {
	case models.OutputEmbed:
		return embedSQL(ctx, env, task, keep, args, from)
	case models.OutputRegress:
		if probs {
			return "", core.ArgErrorf("task %q is a regress task; probabilities := true is for classify tasks", task.Name)
		}
		// The result type follows the model's declared width, so the check runs here.
		if err := env.Pool.Check(ctx, task); err != nil {
			return "", core.Wrap(err)
		}
		fn := "ml_infer_regress"
		if task.OutputWidth() != 1 {
			fn = "ml_infer_regress_list"
		}
		return fmt.Sprintf("SELECT %s, %s(%s) AS %s FROM %s", keep, fn, args, RegressOutputs[0], from), nil
	case models.OutputClassify:
		// The packed result is computed once, in the inner projection, and cut in the
		// outer one (see MacroBody).
		// ml_infer returns STRUCT(predicted_class, confidence); ml_infer_probs the packed
		// "confidence label \x1f p1,p2,..." (the label part ends at the separator).
		fn := "ml_infer"
		label, confidence := StructSQL(PackedColumn)
		if probs {
			fn = "ml_infer_probs"
			label, confidence = UnpackSQL(fmt.Sprintf("split_part(%s, chr(31), 1)", PackedColumn))
		}
		outputs := fmt.Sprintf("%s AS %s, %s AS %s", label, PredictOutputs[0], confidence, PredictOutputs[1])
		if probs {
			// The new probabilities replace an input column of that name, as the
			// other outputs do (re-scoring a scored table): ml_keep_column is told
			// so, to compare names as DuckDB does (lower() in SQL would also fold
			// non-ASCII letters) and to count it among the replaced columns.
			keep = KeepColumnSQL(ref, colsLit, []string{ProbsOutput})
			outputs += fmt.Sprintf(", MAP(%s, string_split(split_part(%s, chr(31), 2), ',')::DOUBLE[]) AS %s",
				ListSQL(task.Config.Labels), PackedColumn, ProbsOutput)
		}
		return fmt.Sprintf("SELECT * EXCLUDE (%[1]s), %[2]s FROM (SELECT %[3]s, %[4]s(%[5]s) AS %[1]s FROM %[6]s)",
			PackedColumn, outputs, keep, fn, args, from), nil
	}
	return "", core.ArgErrorf("task %q: kind %q has no SQL output yet", task.Name, task.Config.Kind)
}

// InputSQL turns ml_predict's input argument into the SQL that query() reads: a query
// string as it is, a table or view name as FROM name. Bad input fails here with a
// message about ml_predict rather than a parser error about generated SQL.
func InputSQL(v any) (string, error) {
	s, ok := v.(string)
	switch {
	case v == nil:
		return "", core.ArgErrorf("input is NULL; pass a table name, a view name or a query string, e.g. ml_predict('sentiment', 'reviews')")
	case !ok:
		got := fmt.Sprintf("%T %v", v, v)
		if x, isSQL := v.(core.SQLValue); isSQL {
			got = strings.TrimSpace(x.Type + " " + x.Text)
		}
		return "", core.ArgErrorf("input must be a string naming a table, view or query, got %s", got)
	case strings.TrimSpace(s) == "":
		return "", core.ArgErrorf("input is empty; pass a table name, a view name or a query string")
	}
	if p := sqltext.Parameter(s); p != "" {
		// query() parses the input on its own, so DuckDB reported "Could not find
		// parameter with identifier 1" even with the value passed.
		return "", core.ArgErrorf("input holds the parameter %s, which cannot be bound: the input is text that runs as a query of its own, not part of your statement; "+
			"filter around the call instead, with the parameter in your statement (SELECT * FROM ml_predict('sentiment', 'events') WHERE id = ?; the filter runs before the model), or write the value into the input", p)
	}
	if sqltext.IsQuery(s) {
		return s, nil
	}
	if kw := sqltext.Statement(s); kw != "" {
		return "", core.ArgErrorf("input starts with %s, a statement that is not a query, which ml_predict cannot read rows from; pass a table name, a view name or a query (SELECT, FROM, WITH, VALUES, TABLE, DESCRIBE, SHOW, SUMMARIZE, PIVOT)"+
			"; a table named %s is written quoted: '\"%s\"'", kw, strings.ToLower(kw), strings.ToLower(kw))
	}
	if sqltext.IsPath(s) {
		path := strings.ReplaceAll(strings.TrimSpace(s), "'", "''")
		return "", core.ArgErrorf("input %s is a file path, not a table name; quote it inside the input string ('''%s''') or read it with a function ('SELECT * FROM read_csv(''%s'')')", strings.TrimSpace(s), path, path)
	}
	return "FROM " + s, nil
}

// KeepColumnSQL is the COLUMNS lambda that passes the input's columns through:
// ml_keep_column(task, [columns, *, extra], c). DuckDB evaluates the lambda at bind
// over the list of every input column name, a vector's worth (2,048 names) per call, so
// a call on a wide input sees only part of the list; inside COLUMNS, * is that whole
// list as a constant, which the second argument carries beside the columns := list
// (NULL when not given), so that every call can check the task's columns against all
// of them. extra names outputs beyond the task kind's own (probabilities).
func KeepColumnSQL(task, colsLit string, extra []string) string {
	lists := colsLit + ", *"
	if len(extra) > 0 {
		lists += ", " + ListSQL(extra)
	}
	return fmt.Sprintf("COLUMNS(lambda c: ml_keep_column(%s, [%s], c))", Quote(task), lists)
}

// KeepColumns is ml_keep_column(task, [columns, all], name) over names, some or all of
// the input's column names (all of them in the second argument, see KeepColumnSQL):
// whether each passes through to ml_predict's output (every column except those an
// output replaces). It is the one place that sees both the input's columns and the
// task, so it also checks that the task's input columns exist and that no input column
// takes the packed result's name.
func KeepColumns(env *core.Env, taskArg, colsArg any, names []string) ([]bool, error) {
	pair, ok := colsArg.([]any)
	if !ok || len(pair) != 2 && len(pair) != 3 {
		return nil, core.ArgErrorf("ml_keep_column's second argument must be [columns, *] or [columns, *, outputs], got %v (%T); call ml_predict instead", colsArg, colsArg)
	}
	var extra []string
	if len(pair) == 3 {
		extra = stringsOf(pair[2])
	}
	task, cols, err := env.InputColumns(taskArg, pair[0])
	if err != nil {
		return nil, err
	}
	keep, err := keepColumns(task, cols, extra, stringsOf(pair[1]), names)
	// ml_predict_sql has checked the task's kind against the macro, so it names the
	// function the user called.
	return keep, core.InFunc(core.FuncFor(task.Config.Kind), err)
}

func keepColumns(task *models.Task, cols, extra, all, names []string) ([]bool, error) {
	replaced := func(name string) bool {
		return IsOutputName(task, name) || slices.ContainsFunc(extra, func(o string) bool { return core.SameName(name, o) })
	}
	if err := core.CheckColumnsPresent(task, cols, all, core.SQLNames); err != nil {
		return nil, err
	}
	keep := make([]bool, len(names))
	for i, name := range names {
		if core.SameName(name, PackedColumn) {
			return nil, core.ArgErrorf("the input has a column named %q, which %s uses for its own result; rename it in the input query (SELECT ... AS other_name)", name, core.FuncFor(task.Config.Kind))
		}
		keep[i] = !replaced(name)
	}
	if len(all) > 0 && !slices.ContainsFunc(all, func(name string) bool { return !replaced(name) }) {
		// DuckDB would fail on an empty COLUMNS(...) with the generated SQL in its
		// message.
		return nil, core.ArgErrorf("every column of the input (%s) is named like an output of %s, which replaces it, so none would be left to pass through; rename the task's input column in the input query (SELECT %s AS input_text ...) and name it with columns := [...]",
			strings.Join(all, ", "), core.FuncFor(task.Config.Kind), all[0])
	}
	return keep, nil
}

// stringsOf is a LIST of names as a binding hands it over ([]any of string).
func stringsOf(v any) []string {
	list, _ := v.([]any)
	out := make([]string, len(list))
	for i, e := range list {
		out[i], _ = e.(string)
	}
	return out
}

// IsOutputName reports whether an input column of that name is replaced by one of the
// task's outputs.
func IsOutputName(task *models.Task, name string) bool {
	outs := PredictOutputs
	switch task.Config.Kind {
	case models.OutputRegress:
		outs = RegressOutputs
	case models.OutputEmbed:
		outs = EmbedOutputs
	}
	for _, o := range outs {
		if core.SameName(name, o) {
			return true
		}
	}
	return false
}
