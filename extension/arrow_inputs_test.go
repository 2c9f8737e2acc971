package extension

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/duckinfer/duckinfer/internal/onnxbuild"
)

// echoTasks writes regress tasks echo_float32, echo_float64, echo_int32 and echo_int64:
// one column v fed as that type, returned as a double, so a test sees the value the
// model got.
func echoTasks(t *testing.T) string {
	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		dt   onnxbuild.DataType
	}{{"float32", onnxbuild.Float}, {"float64", onnxbuild.Double}, {"int32", onnxbuild.Int32}, {"int64", onnxbuild.Int64}} {
		writeTask(t, dir, "echo_"+tc.name, &onnxbuild.Graph{
			Name:    "echo",
			Inputs:  []*onnxbuild.ValueInfo{onnxbuild.TensorValue("x", tc.dt, onnxbuild.N)},
			Outputs: []*onnxbuild.ValueInfo{onnxbuild.TensorValue("y", onnxbuild.Double, onnxbuild.N)},
			Nodes:   []*onnxbuild.Node{onnxbuild.NewNode("Cast", []string{"x"}, []string{"y"}, onnxbuild.AttrInt("to", int64(onnxbuild.Double)))},
		}, `{"kind":"regress","inputs":[{"name":"x","type":"`+tc.name+`","columns":["v"]}],"output":"y"}`)
	}
	return dir
}

// Pins: Predict refused unsigned, BOOLEAN and DECIMAL Arrow columns that ml_predict takes.
// Each Arrow column gives, for every numeric input type, what ml_predict gives for the
// same values in the matching SQL type: the same value reaches the model, and the same
// rows fail (beyond the input's range, not whole, or beyond ±2^53 through float64).
func TestPredictArrowNumericTypesMatchSQL(t *testing.T) {
	db, c := open(t, WithTaskDirs(echoTasks(t)))
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	null := "NULL"
	for _, tc := range []struct {
		typ  arrow.DataType
		sql  string
		vals []string
	}{
		{arrow.PrimitiveTypes.Uint8, "UTINYINT", []string{"0", "255", null}},
		{arrow.PrimitiveTypes.Uint16, "USMALLINT", []string{"7", "65535", null}},
		{arrow.PrimitiveTypes.Uint32, "UINTEGER", []string{"7", "4294967295", null}},
		{arrow.PrimitiveTypes.Uint64, "UBIGINT", []string{"5", "9007199254740993", "9223372036854775807", null}},
		// A value beyond int64 fails its own row only, as in a DuckDB chunk: 2^53+1
		// beside it is still read exactly.
		{arrow.PrimitiveTypes.Uint64, "UBIGINT", []string{"5", "9007199254740993", "18446744073709551615", null}},
		{arrow.FixedWidthTypes.Boolean, "BOOLEAN", []string{"true", "false", null}},
		{&arrow.Decimal128Type{Precision: 10, Scale: 2}, "DECIMAL(10,2)", []string{"5.1", "-0.25", "3", null}},
		{&arrow.Decimal128Type{Precision: 18, Scale: 0}, "DECIMAL(18,0)", []string{"123456789012345678", "-42"}},
		{&arrow.Decimal128Type{Precision: 38, Scale: 10}, "DECIMAL(38,10)", []string{"12345678901.2345678901", "-1", "0.1"}},
	} {
		b := array.NewBuilder(mem, tc.typ)
		var rows []string
		for i, v := range tc.vals {
			if v == null {
				b.AppendNull()
				rows = append(rows, fmt.Sprintf("(%d, NULL::%s)", i, tc.sql))
				continue
			}
			if err := b.AppendValueFromString(v); err != nil {
				t.Fatal(err)
			}
			rows = append(rows, fmt.Sprintf("(%d, '%s'::%s)", i, v, tc.sql))
		}
		col := b.NewArray()
		b.Release()
		rec := array.NewRecordBatch(arrow.NewSchema([]arrow.Field{{Name: "v", Type: tc.typ, Nullable: true}}, nil), []arrow.Array{col}, int64(col.Len()))
		col.Release()
		for _, in := range []string{"float32", "float64", "int32", "int64"} {
			task := "echo_" + in
			pred, err := c.PredictValues(context.Background(), task, rec, RecordOptions{OnError: "null"}, mem)
			if err != nil {
				t.Errorf("%s into %s: %v", tc.typ, task, err)
				continue
			}
			got := pred.(*array.Float64)
			q := fmt.Sprintf(`SELECT prediction FROM ml_predict('%s', 'SELECT * FROM (VALUES %s) t(id, v)', on_error := 'null') ORDER BY id`,
				task, strings.ReplaceAll(strings.Join(rows, ", "), "'", "''"))
			sqlRows, err := db.Query(q)
			if err != nil {
				t.Fatalf("%s: %v", q, err)
			}
			r := 0
			for ; sqlRows.Next(); r++ {
				var want sql.NullFloat64
				if err := sqlRows.Scan(&want); err != nil {
					t.Fatal(err)
				}
				if got.IsNull(r) != !want.Valid || (want.Valid && math.Float64bits(got.Value(r)) != math.Float64bits(want.Float64)) {
					t.Errorf("%s %s into %s: Arrow %v (null %v), ml_predict %v", tc.typ, tc.vals[r], task, got.Value(r), got.IsNull(r), want)
				}
			}
			sqlRows.Close()
			if r != got.Len() {
				t.Errorf("%s into %s: %d Arrow rows, %d SQL rows", tc.typ, task, got.Len(), r)
			}
			pred.Release()
		}
		rec.Release()
	}
}

// Pins: Predict refused unsigned and DECIMAL Arrow columns for a classifier's inputs.
func TestPredictRecordUnsignedAndDecimalInputs(t *testing.T) {
	db, c := open(t)
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	want := one[string](t, db, `SELECT predicted_class FROM ml_predict('iris', 'SELECT 5::UINTEGER AS sepal_length, 3::UINTEGER AS sepal_width, 1::UINTEGER AS petal_length, 0::UINTEGER AS petal_width')`)
	wantDec := one[string](t, db, `SELECT predicted_class FROM ml_predict('iris', 'SELECT 5.1::DECIMAL(10,2) AS sepal_length, 3.5::DECIMAL(10,2) AS sepal_width, 1.4::DECIMAL(10,2) AS petal_length, 0.2::DECIMAL(10,2) AS petal_width')`)
	for _, tc := range []struct {
		typ  arrow.DataType
		vals []string
		want string
	}{
		{arrow.PrimitiveTypes.Uint32, []string{"5", "3", "1", "0"}, want},
		{arrow.PrimitiveTypes.Uint64, []string{"5", "3", "1", "0"}, want},
		{&arrow.Decimal128Type{Precision: 10, Scale: 2}, []string{"5.1", "3.5", "1.4", "0.2"}, wantDec},
	} {
		var fields []arrow.Field
		var cols []arrow.Array
		for i, n := range []string{"sepal_length", "sepal_width", "petal_length", "petal_width"} {
			b := array.NewBuilder(mem, tc.typ)
			if err := b.AppendValueFromString(tc.vals[i]); err != nil {
				t.Fatal(err)
			}
			cols = append(cols, b.NewArray())
			b.Release()
			fields = append(fields, arrow.Field{Name: n, Type: tc.typ})
		}
		rec := array.NewRecordBatch(arrow.NewSchema(fields, nil), cols, 1)
		for _, a := range cols {
			a.Release()
		}
		cls, conf, err := c.PredictRecord(context.Background(), "iris", rec, RecordOptions{}, mem)
		rec.Release()
		if err != nil {
			t.Errorf("%s: %v (ml_predict gives %s for the same values)", tc.typ, err, tc.want)
			continue
		}
		if got := cls.(*array.String).Value(0); got != tc.want {
			t.Errorf("%s: %s, ml_predict %s", tc.typ, got, tc.want)
		}
		cls.Release()
		conf.Release()
	}
}

// Pins: a column of a type Predict cannot read got ml_predict's SQL advice
// ("columns := [...]") instead of the Arrow types it takes.
func TestPredictArrowUnsupportedTypeError(t *testing.T) {
	_, c := open(t, WithTaskDirs(echoTasks(t)))
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	b := array.NewDate32Builder(mem)
	b.Append(1)
	col := b.NewArray()
	b.Release()
	rec := array.NewRecordBatch(arrow.NewSchema([]arrow.Field{{Name: "v", Type: col.DataType()}}, nil), []arrow.Array{col}, 1)
	col.Release()
	defer rec.Release()
	_, err := c.PredictValues(context.Background(), "echo_float32", rec, RecordOptions{}, mem)
	if err == nil || !strings.Contains(err.Error(), `column "v" must be numeric (int8 to int64, uint8 to uint64, float32, float64, decimal128 or bool), got date32`) ||
		!strings.Contains(err.Error(), "RecordOptions.Columns") || strings.Contains(err.Error(), "columns := [") {
		t.Fatalf("date32 column: %v", err)
	}

	texts := stringsRecord(mem, []string{"fine"}, nil)
	defer texts.Release()
	_, _, err = c.PredictRecord(context.Background(), "sentiment", texts, RecordOptions{Columns: []string{"id"}}, mem)
	if err == nil || !strings.Contains(err.Error(), `column "id" must be an Arrow string column (utf8, large_utf8, string_view, or a dictionary of them), got int64`) || strings.Contains(err.Error(), "columns := [") {
		t.Fatalf("int64 column for a text input: %v", err)
	}
}

// Pins: a dictionary-encoded string column (as Parquet readers give one) was refused for
// a text input.
func TestPredictArrowDictionaryStrings(t *testing.T) {
	_, c := open(t)
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	texts := []string{"great product, love it", "terrible and slow", "", "great product, love it"}
	valid := []bool{true, true, false, true}
	plain := stringsRecord(mem, texts, valid)
	defer plain.Release()
	db := array.NewDictionaryBuilder(mem, &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int16, ValueType: arrow.BinaryTypes.String}).(*array.BinaryDictionaryBuilder)
	for i, s := range texts {
		if !valid[i] {
			db.AppendNull()
			continue
		}
		if err := db.AppendString(s); err != nil {
			t.Fatal(err)
		}
	}
	dict := db.NewArray()
	db.Release()
	rec := array.NewRecordBatch(arrow.NewSchema([]arrow.Field{{Name: "text", Type: dict.DataType(), Nullable: true}}, nil), []arrow.Array{dict}, int64(len(texts)))
	dict.Release()
	defer rec.Release()
	// A slice, so that the dictionary's indices are read at an offset.
	for _, lo := range []int64{0, 1} {
		sd, sp := rec.NewSlice(lo, int64(len(texts))), plain.NewSlice(lo, int64(len(texts)))
		got, gotConf, err := c.PredictRecord(context.Background(), "sentiment", sd, RecordOptions{}, mem)
		if err != nil {
			t.Fatalf("dictionary column: %v", err)
		}
		want, wantConf, err := c.PredictRecord(context.Background(), "sentiment", sp, RecordOptions{}, mem)
		if err != nil {
			t.Fatal(err)
		}
		if !array.Equal(got, want) || !array.Equal(gotConf, wantConf) {
			t.Errorf("from %d: dictionary column %v %v, plain %v %v", lo, got, gotConf, want, wantConf)
		}
		for _, a := range []arrow.Array{got, gotConf, want, wantConf} {
			a.Release()
		}
		sd.Release()
		sp.Release()
	}
}

// stringsRecord is a record of an int64 id and a nullable text column.
func stringsRecord(mem memory.Allocator, texts []string, valid []bool) arrow.RecordBatch {
	sb := array.NewStringBuilder(mem)
	sb.AppendValues(texts, valid)
	tx := sb.NewArray()
	sb.Release()
	ib := array.NewInt64Builder(mem)
	for i := range texts {
		ib.Append(int64(i))
	}
	ids := ib.NewArray()
	ib.Release()
	rec := array.NewRecordBatch(arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.PrimitiveTypes.Int64}, {Name: "text", Type: arrow.BinaryTypes.String, Nullable: true}}, nil), []arrow.Array{ids, tx}, int64(len(texts)))
	tx.Release()
	ids.Release()
	return rec
}

// Pins: a row whose dictionary index points at a NULL dictionary entry (as pyarrow's
// dictionary_encode(null_encoding='encode') makes) got a real prediction; it is NULL,
// as a NULL index is, for every dictionary value type Predict reads.
func TestPredictArrowDictionaryNullEntry(t *testing.T) {
	_, c := open(t)
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	texts, valid := []string{"great product, love it", ""}, []bool{true, false}
	for _, vt := range []arrow.DataType{arrow.BinaryTypes.String, arrow.BinaryTypes.LargeString, arrow.BinaryTypes.StringView} {
		vb := array.NewBuilder(mem, vt)
		switch b := vb.(type) {
		case *array.StringBuilder:
			b.AppendValues(texts, valid)
		case *array.LargeStringBuilder:
			b.AppendValues(texts, valid)
		case *array.StringViewBuilder:
			b.AppendValues(texts, valid)
		}
		dictVals := vb.NewArray()
		vb.Release()
		ib := array.NewInt8Builder(mem)
		ib.AppendValues([]int8{0, 1, 0, 0}, []bool{true, true, true, false}) // row 3: a NULL index
		idx := ib.NewArray()
		ib.Release()
		dt := &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int8, ValueType: vt}
		dict := array.NewDictionaryArray(dt, idx, dictVals)
		idx.Release()
		dictVals.Release()
		rec := array.NewRecordBatch(arrow.NewSchema([]arrow.Field{{Name: "text", Type: dt, Nullable: true}}, nil), []arrow.Array{dict}, 4)
		dict.Release()
		cls, conf, err := c.PredictRecord(context.Background(), "sentiment", rec, RecordOptions{}, mem)
		rec.Release()
		if err != nil {
			t.Fatalf("%s: %v", vt, err)
		}
		for r, wantNull := range []bool{false, true, false, true} {
			if cls.IsNull(r) != wantNull || conf.IsNull(r) != wantNull {
				t.Errorf("dictionary of %s, row %d: class NULL %v, confidence NULL %v; want NULL %v", vt, r, cls.IsNull(r), conf.IsNull(r), wantNull)
			}
		}
		cls.Release()
		conf.Release()
	}
}
