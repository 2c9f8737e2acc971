package extension

import (
	"context"
	"fmt"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
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
