package extension

import (
	"context"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/duckinfer/duckinfer/internal/onnxbuild"
)

// offsetTasks writes i64off (int64 [N]) and i64arr (int64 [N,2]), regress tasks that
// predict x − 2^53, subtracted in int64 inside the model: 2^53+1 predicts 1 only if it
// reached the model exactly (float64 rounds it to 2^53, which predicts 0).
func offsetTasks(t *testing.T) string {
	dir := t.TempDir()
	for name, dims := range map[string][]onnxbuild.Dim{"i64off": {onnxbuild.N}, "i64arr": {onnxbuild.N, onnxbuild.D(2)}} {
		writeTask(t, dir, name, &onnxbuild.Graph{Name: name,
			Inputs:       []*onnxbuild.ValueInfo{onnxbuild.TensorValue("x", onnxbuild.Int64, dims...)},
			Outputs:      []*onnxbuild.ValueInfo{onnxbuild.TensorValue("y", onnxbuild.Double, dims...)},
			Initializers: []*onnxbuild.Tensor{onnxbuild.Int64Tensor("base", []int64{1}, []int64{1 << 53})},
			Nodes: []*onnxbuild.Node{
				onnxbuild.NewNode("Sub", []string{"x", "base"}, []string{"d"}),
				onnxbuild.NewNode("Cast", []string{"d"}, []string{"y"}, onnxbuild.AttrInt("to", int64(onnxbuild.Double))),
			},
		}, `{"kind":"regress","inputs":[{"name":"x","type":"int64","columns":["v"]}],"output":"y"}`)
	}
	return dir
}

// Integers beyond 2^53 reach an int64 input exactly, or fail their row; never rounded
// on the way. Before, a UBIGINT or HUGEINT chunk with one value beyond int64 sent all
// its rows through float64 (2^53+1 arrived as 2^53), and so did integer arrays; then
// such a row failed beside a value beyond int64 (its neighbour decided its result).
func TestIntegersBeyond2p53AreExactOrFail(t *testing.T) {
	db, c := open(t, WithTaskDirs(offsetTasks(t)))
	for _, typ := range []string{"BIGINT", "UBIGINT", "HUGEINT", "UHUGEINT"} {
		if got := one[float64](t, db, `SELECT prediction FROM ml_predict('i64off', 'SELECT 9007199254740993::`+typ+` AS v')`); got != 1 {
			t.Errorf("%s 2^53+1 alone: predicted %v, want 1", typ, got)
		}
	}
	for _, typ := range []string{"UBIGINT", "HUGEINT", "UHUGEINT"} {
		// The second row does not fit int64: it fails, naming its exact value, and
		// its neighbours still arrive exactly.
		got := one[string](t, db, `SELECT string_agg(coalesce(prediction::VARCHAR, 'NULL'), ',' ORDER BY id)
			FROM ml_predict('i64off', 'SELECT * FROM (VALUES (1, 9007199254740993::`+typ+`), (2, 18446744073709551615::`+typ+`), (3, 5::`+typ+`)) t(id, v)', on_error := 'null')`)
		if got != "1.0,NULL,-9007199254740987.0" {
			t.Errorf("%s with a value beyond int64: got %s, want 1.0,NULL,-9007199254740987.0", typ, got)
		}
		msg := one[string](t, db, `SELECT string_agg(error, ' | ') FROM ml_errors() WHERE error LIKE '%18446744073709551615%'`)
		if !strings.Contains(msg, "beyond int64's range") {
			t.Errorf("%s: ml_errors says %q", typ, msg)
		}
	}
	for _, typ := range []string{"BIGINT[2]", "BIGINT[]"} {
		var s string
		err := db.QueryRow(`SELECT prediction::VARCHAR FROM ml_predict('i64arr', 'SELECT [9007199254740993, 9007199254740995]::` + typ + ` AS v')`).Scan(&s)
		if err == nil || !strings.Contains(err.Error(), "beyond ±2^53") {
			t.Errorf("%s beyond 2^53: got %q, %v; want the row refused", typ, s, err)
		}
		if got := one[string](t, db, `SELECT prediction::VARCHAR FROM ml_predict('i64arr', 'SELECT [9007199254740991, 5]::`+typ+` AS v')`); got != "[-1.0, -9007199254740987.0]" {
			t.Errorf("%s within 2^53: got %s", typ, got)
		}
	}
	mem := memory.NewGoAllocator()
	lb := array.NewFixedSizeListBuilder(mem, 2, arrow.PrimitiveTypes.Int64)
	lb.Append(true)
	lb.ValueBuilder().(*array.Int64Builder).AppendValues([]int64{1<<53 + 1, 1<<53 + 3}, nil)
	col := lb.NewArray()
	rec := array.NewRecordBatch(arrow.NewSchema([]arrow.Field{{Name: "v", Type: col.DataType()}}, nil), []arrow.Array{col}, 1)
	if out, err := c.PredictValues(context.Background(), "i64arr", rec, RecordOptions{}, mem); err == nil || !strings.Contains(err.Error(), "beyond ±2^53") {
		t.Errorf("Arrow FixedSizeList<Int64> beyond 2^53: got %v, %v; want the row refused", out, err)
	}
}

// A value beyond int64 into an int64 input: the error names the value the row holds
// (not its float64 rounding, 18446744073709551616) and does not advise a cast to
// BIGINT, which cannot hold it; a DOUBLE as large gets the same words.
func TestBeyondInt64ErrorNamesTheValue(t *testing.T) {
	db, _ := open(t, WithTaskDirs(offsetTasks(t)))
	for v, want := range map[string]string{
		"18446744073709551615::UBIGINT":                       "holds 18446744073709551615 at row 0",
		"(-170141183460469231731687303715884105728)::HUGEINT": "holds -170141183460469231731687303715884105728 at row 0",
		"3.4e38::DOUBLE": "holds 3.4e+38 at row 0",
	} {
		_, err := db.Exec(`SELECT * FROM ml_predict('i64off', 'SELECT ` + v + ` AS v')`)
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "beyond int64's range") || strings.Contains(err.Error(), "BIGINT") {
			t.Errorf("%s: got %v; want an error that says %q, beyond int64's range, and no BIGINT advice", v, err, want)
		}
	}
}
