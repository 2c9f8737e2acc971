package extension

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/duckinfer/duckinfer/internal/onnxbuild"
)

// Pins: DECIMAL → float64 computed float64(unscaled)/10^scale, which rounds twice
// where DuckDB's ::DOUBLE (|unscaled| > 2^53) does not.
// A DECIMAL column reaches a float64 input as DuckDB's own ::DOUBLE gives it, and a
// whole DECIMAL reaches an int64 input.
func TestDecimalAsDuckDBCasts(t *testing.T) {
	db, _ := open(t, WithTaskDirs(echoTasks(t)))
	for _, v := range []string{
		"1::DECIMAL(38,37)", "1::DECIMAL(38,30)", "0.3::DECIMAL(38,20)",
		"123456789012345.678::DECIMAL(18,3)", "12345678901234567.89::DECIMAL(38,2)",
	} {
		want := one[float64](t, db, `SELECT `+v+`::DOUBLE`)
		got := one[float64](t, db, `SELECT prediction FROM ml_predict('echo_float64', 'SELECT `+v+` AS v')`)
		if got != want {
			t.Errorf("%s into a float64 input: the model got %v (%b), DuckDB's ::DOUBLE is %v (%b)", v, got, got, want, want)
		}
	}
	var got float64
	if err := db.QueryRow(`SELECT prediction FROM ml_predict('echo_int64', 'SELECT 1::DECIMAL(38,37) AS v')`).Scan(&got); err != nil || got != 1 {
		t.Errorf("1::DECIMAL(38,37) into an int64 input: %v, %v; want 1", got, err)
	}
}

// Pins: Arrow Decimal128 columns reached a float64 input as float64(unscaled)/10^scale,
// not as DuckDB's ::DOUBLE.
func TestDecimalArrowAsDuckDBCasts(t *testing.T) {
	db, c := open(t, WithTaskDirs(echoTasks(t)))
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	for _, tc := range []struct {
		prec, scale int32
		v           string
	}{{38, 37, "1"}, {38, 37, "-1"}, {38, 30, "1"}, {38, 20, "0.3"}, {18, 3, "123456789012345.678"}, {38, 2, "12345678901234567.89"}} {
		typ := &arrow.Decimal128Type{Precision: tc.prec, Scale: tc.scale}
		b := array.NewBuilder(mem, typ)
		if err := b.AppendValueFromString(tc.v); err != nil {
			t.Fatal(err)
		}
		col := b.NewArray()
		b.Release()
		rec := array.NewRecordBatch(arrow.NewSchema([]arrow.Field{{Name: "v", Type: typ}}, nil), []arrow.Array{col}, 1)
		col.Release()
		pred, err := c.PredictValues(context.Background(), "echo_float64", rec, RecordOptions{}, mem)
		rec.Release()
		if err != nil {
			t.Fatal(err)
		}
		got := pred.(*array.Float64).Value(0)
		pred.Release()
		want := one[float64](t, db, fmt.Sprintf(`SELECT %s::DECIMAL(%d,%d)::DOUBLE`, tc.v, tc.prec, tc.scale))
		if got != want {
			t.Errorf("%s as DECIMAL(%d,%d) from Arrow: the model got %v, DuckDB's ::DOUBLE is %v", tc.v, tc.prec, tc.scale, got, want)
		}
	}
}

// Pins: DECIMAL elements of a LIST or ARRAY input went through duckdb-go's
// Decimal.Float64 (a correctly rounded quotient), not DuckDB's ::DOUBLE: 315 of 3 000
// DECIMAL(38,30) values and 1 254 of 3 000 DECIMAL(38,25) values reached the model
// one ulp away from the cast.
// DECIMAL elements of a list or array reach a float64 input as DuckDB's ::DOUBLE of
// each element gives them, as a DECIMAL column's values do.
func TestDecimalListElementsAsDuckDBCasts(t *testing.T) {
	dir := t.TempDir()
	// y = the row's largest value; the second element (-1) never is.
	writeTask(t, dir, "max_pair", &onnxbuild.Graph{
		Name:    "max_pair",
		Inputs:  []*onnxbuild.ValueInfo{onnxbuild.TensorValue("x", onnxbuild.Double, onnxbuild.N, onnxbuild.D(2))},
		Outputs: []*onnxbuild.ValueInfo{onnxbuild.TensorValue("y", onnxbuild.Double, onnxbuild.N)},
		Nodes: []*onnxbuild.Node{onnxbuild.NewNode("ReduceMax", []string{"x"}, []string{"y"},
			onnxbuild.AttrInts("axes", []int64{1}), onnxbuild.AttrInt("keepdims", 0))},
	}, `{"kind":"regress","inputs":[{"name":"x","type":"float64","columns":["v"]}],"output":"y"}`)
	db, _ := open(t, WithTaskDirs(dir))
	for _, typ := range []string{"DECIMAL(38,37)", "DECIMAL(38,30)", "DECIMAL(38,25)", "DECIMAL(38,20)", "DECIMAL(38,10)", "DECIMAL(18,3)"} {
		// 3 000 values of many digits, 0 <= d < 1 (DECIMAL(38,37) holds no more).
		digits := `'0.' || lpad((hash(i) % 1000000000000000000)::VARCHAR, 18, '0') || (hash(i + 1) % 1000000000000)::VARCHAR`
		for _, list := range []string{"[d, -1]", "[d, -1]::" + typ + "[2]"} {
			var n, bad int64
			q := `SELECT count(*), count(*) FILTER (prediction IS DISTINCT FROM d::DOUBLE) FROM ml_predict('max_pair',
				'SELECT d, ` + list + ` AS v FROM (SELECT (` + strings.ReplaceAll(digits, "'", "''") + `)::` + typ + ` AS d FROM range(3000) t(i))')`
			if err := db.QueryRow(q).Scan(&n, &bad); err != nil || n != 3000 || bad != 0 {
				t.Errorf("%s of %s: %d of %d values reached the model otherwise than DuckDB's ::DOUBLE gives them (%v)", list, typ, bad, n, err)
			}
		}
	}
}
