package hosttest

import (
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/duckinfer/duckinfer/extension"
	"github.com/duckinfer/duckinfer/internal/onnxbuild"
)

// Tests that the loadable extension and the Go binding turn the same numeric columns
// into the same model inputs, and fail the same columns with the same words.

func writeNumTask(t *testing.T, dir, name string, g *onnxbuild.Graph, taskJSON string) {
	t.Helper()
	b, err := onnxbuild.NewModel(g).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name, "model.onnx"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name, "task.json"), []byte(taskJSON), 0o644); err != nil {
		t.Fatal(err)
	}
}

// numTasks writes regress tasks echo_<type> (one [N] input, echoed as double),
// asum_<type> ([N, 3] from one ARRAY/LIST column, summed as double) and i64off
// (int64 [N], predicts x − 2^53 computed in int64: 2^53+1 predicts 1 only if it
// reached the model exactly).
func numTasks(t *testing.T) string {
	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		dt   onnxbuild.DataType
	}{{"float32", onnxbuild.Float}, {"float64", onnxbuild.Double}, {"int32", onnxbuild.Int32}, {"int64", onnxbuild.Int64}} {
		writeNumTask(t, dir, "echo_"+tc.name, &onnxbuild.Graph{
			Name:    "echo",
			Inputs:  []*onnxbuild.ValueInfo{onnxbuild.TensorValue("x", tc.dt, onnxbuild.N)},
			Outputs: []*onnxbuild.ValueInfo{onnxbuild.TensorValue("y", onnxbuild.Double, onnxbuild.N)},
			Nodes:   []*onnxbuild.Node{onnxbuild.NewNode("Cast", []string{"x"}, []string{"y"}, onnxbuild.AttrInt("to", int64(onnxbuild.Double)))},
		}, `{"kind":"regress","inputs":[{"name":"x","type":"`+tc.name+`","columns":["v"]}],"output":"y"}`)
		writeNumTask(t, dir, "asum_"+tc.name, &onnxbuild.Graph{
			Name:         "asum",
			Inputs:       []*onnxbuild.ValueInfo{onnxbuild.TensorValue("x", tc.dt, onnxbuild.N, onnxbuild.D(3))},
			Outputs:      []*onnxbuild.ValueInfo{onnxbuild.TensorValue("y", onnxbuild.Double, onnxbuild.N)},
			Initializers: []*onnxbuild.Tensor{onnxbuild.Int64Tensor("axes", []int64{1}, []int64{1})},
			Nodes: []*onnxbuild.Node{
				onnxbuild.NewNode("Cast", []string{"x"}, []string{"xd"}, onnxbuild.AttrInt("to", int64(onnxbuild.Double))),
				onnxbuild.NewNode("ReduceSum", []string{"xd", "axes"}, []string{"y"}, onnxbuild.AttrInt("keepdims", 0)),
			},
		}, `{"kind":"regress","inputs":[{"name":"x","type":"`+tc.name+`","columns":["v"]}],"output":"y"}`)
	}
	writeNumTask(t, dir, "i64off", &onnxbuild.Graph{Name: "i64off",
		Inputs:       []*onnxbuild.ValueInfo{onnxbuild.TensorValue("x", onnxbuild.Int64, onnxbuild.N)},
		Outputs:      []*onnxbuild.ValueInfo{onnxbuild.TensorValue("y", onnxbuild.Double, onnxbuild.N)},
		Initializers: []*onnxbuild.Tensor{onnxbuild.Int64Tensor("base", []int64{1}, []int64{1 << 53})},
		Nodes: []*onnxbuild.Node{onnxbuild.NewNode("Sub", []string{"x", "base"}, []string{"d"}),
			onnxbuild.NewNode("Cast", []string{"d"}, []string{"y"}, onnxbuild.AttrInt("to", int64(onnxbuild.Double)))},
	}, `{"kind":"regress","inputs":[{"name":"x","type":"int64","columns":["v"]}],"output":"y"}`)
	return dir
}

// bindings runs a query through the Go binding and through the extension in Node,
// both on the tasks in dir; each answer is its first column's values joined by "|"
// (NULL for NULL), or "ERR " and the error from `task "…"` on.
func bindings(t *testing.T, dir string) (goQuery, extQuery func(q string) string) {
	db, err := extension.Open("", extension.WithTaskDirs(dir))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	h := startNode(t, ":memory:", nil)
	t.Cleanup(func() { closeHost(t, h) })
	mustQuery(t, h, "a", "SET duckinfer_models = '"+dir+"'")
	goQuery = func(q string) string {
		rows, err := db.Query("SELECT COLUMNS(*)::VARCHAR FROM (" + q + ")")
		if err != nil {
			return "ERR " + errCore(err.Error())
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			var s sql.NullString
			if err := rows.Scan(&s); err != nil {
				return "ERR scan " + err.Error()
			}
			out = append(out, s.String)
			if !s.Valid {
				out[len(out)-1] = "NULL"
			}
		}
		if err := rows.Err(); err != nil {
			return "ERR " + errCore(err.Error())
		}
		return strings.Join(out, "|")
	}
	extQuery = func(q string) string {
		r, err := h.Query("a", "SELECT COLUMNS(*)::VARCHAR FROM ("+q+")")
		if err != nil {
			t.Fatal(err)
		}
		if !r.OK {
			return "ERR " + errCore(r.Error)
		}
		var out []string
		for _, row := range r.Rows {
			if row[0] == nil {
				out = append(out, "NULL")
			} else {
				out = append(out, *row[0])
			}
		}
		return strings.Join(out, "|")
	}
	return goQuery, extQuery
}

// errCore keeps an error from `task "…"` on, up to its first line (the bindings
// prefix it differently).
func errCore(s string) string {
	if i := strings.Index(s, "task \""); i >= 0 {
		s = s[i:]
	}
	return strings.SplitN(s, "\n", 2)[0]
}

// The extension named most column types by number ("must be numeric, not DuckDB type
// 15" for INTERVAL) where the Go binding names them; now both name every type alike.
func TestBindingsNameColumnTypesAlike(t *testing.T) {
	goQuery, extQuery := bindings(t, numTasks(t))
	for _, c := range []struct{ task, value string }{
		{"echo_float32", "INTERVAL 1 DAY"},
		{"echo_float32", "''12:00''::TIME"},
		{"echo_float32", "''a''::ENUM(''a'',''b'')"},
		{"echo_float32", "uuid()"},
		{"echo_float32", "now()"},
		{"echo_float32", "''2020-01-01''::TIMESTAMP_NS"},
		{"echo_float32", "''x''::BLOB"},
		{"echo_float32", "DATE ''2020-01-01''"},
		{"echo_float32", "MAP {1: 2}"},
		{"echo_float32", "''101''::BIT"},
		{"echo_float32", "1::BIGNUM"},
		{"echo_float32", "''x''"},
		{"echo_int64", "INTERVAL 1 DAY"},
		{"echo_int64", "''12:00''::TIME"},
		{"echo_int64", "''a''::ENUM(''a'',''b'')"},
		{"echo_int64", "[1, 2]"},
		{"echo_int64", "[1, 2]::INTEGER[2]"},
		{"echo_float32", "{''a'': 1}"},
		{"echo_float32", "union_value(k := 1)"},
		{"asum_float32", "[DATE ''2020-01-01'', DATE ''2020-01-02'', DATE ''2020-01-03'']"},
		{"asum_float32", "[DATE ''2020-01-01'', DATE ''2020-01-02'', DATE ''2020-01-03'']::DATE[3]"},
		{"asum_float32", "[''a'', ''b'', ''c'']::VARCHAR[3]"},
		{"asum_float32", "INTERVAL 1 DAY"},
	} {
		q := `SELECT prediction FROM ml_predict('` + c.task + `', 'SELECT ` + c.value + ` AS v')`
		g, e := goQuery(q), extQuery(q)
		if g != e || !strings.HasPrefix(e, "ERR ") || strings.Contains(e, "type id") || strings.Contains(e, "DuckDB type") {
			t.Errorf("%s from %s:\n  Go binding: %s\n  extension:  %s", c.task, c.value, g, e)
		}
	}
}

// The same HUGEINT or UHUGEINT value reaches a float64 input as the same double in
// both bindings, the one DuckDB's own ::DOUBLE gives (the Go binding rounded beyond
// 2^64 through big.Float, one step away).
func TestHugeintFloat64AgreesWithDuckDB(t *testing.T) {
	goQuery, extQuery := bindings(t, numTasks(t))
	for _, v := range []string{"27670116110564329473::HUGEINT", "27670116110564329473::UHUGEINT", "(-25869292568767708312909412523152317319)::HUGEINT", "(-18446744073709553665)::HUGEINT"} {
		q := `SELECT prediction FROM ml_predict('echo_float64', 'SELECT ` + v + ` AS v')`
		g, e, duck := goQuery(q), extQuery(q), goQuery(`SELECT `+v+`::DOUBLE`)
		if g != e || g != duck {
			t.Errorf("%s into a float64 input: Go binding %s, extension %s, DuckDB's ::DOUBLE %s", v, g, e, duck)
		}
	}
}

// A row's answer does not depend on its chunk: 2^53+1 reaches an int64 input exactly
// beside a value beyond int64, which fails alone, naming its exact value. Before, the
// value beyond int64 sent the whole chunk through float64 and 2^53+1 failed with it.
func TestWideIntegerRowsStandAlone(t *testing.T) {
	goQuery, extQuery := bindings(t, numTasks(t))
	for _, c := range []struct{ typ, beyond string }{
		{"UBIGINT", "18446744073709551615"},
		{"HUGEINT", "-170141183460469231731687303715884105728"},
		{"UHUGEINT", "340282366920938463463374607431768211455"},
	} {
		rows := `SELECT * FROM (VALUES (1, 9007199254740993::` + c.typ + `), (2, (` + c.beyond + `)::` + c.typ + `), (3, NULL), (4, 5::` + c.typ + `)) t(id, v)`
		q := `SELECT prediction FROM ml_predict('i64off', '` + rows + `', on_error := 'null') ORDER BY id`
		want := "1.0|NULL|NULL|-9007199254740987.0"
		if g, e := goQuery(q), extQuery(q); g != want || e != want {
			t.Errorf("%s: Go binding %s, extension %s; want %s", c.typ, g, e, want)
		}
		q = `SELECT prediction FROM ml_predict('i64off', '` + rows + `')`
		g, e := goQuery(q), extQuery(q)
		if g != e || !strings.Contains(e, "holds "+c.beyond+" at row 1") || !strings.Contains(e, "beyond int64's range") || strings.Contains(e, "BIGINT") {
			t.Errorf("%s beyond int64 under on_error 'fail':\n  Go binding: %s\n  extension:  %s", c.typ, g, e)
		}
	}
}

// DECIMAL values reach a float64 input as DuckDB's own ::DOUBLE gives them in both
// bindings: a column's values and the elements of a LIST or ARRAY (3 000 values of many
// digits per type; the Go binding's list elements were one ulp away for 902 of 3 000
// DECIMAL(38,30) values, and the extension's DECIMAL reading had no test of its own).
func TestDecimalsAgreeWithDuckDBInBothBindings(t *testing.T) {
	goQuery, extQuery := bindings(t, numTasks(t))
	digits := `''0.'' || lpad((hash(i) % 1000000000000000000)::VARCHAR, 18, ''0'') || (hash(i + 1) % 1000000000000)::VARCHAR`
	for _, typ := range []string{"DECIMAL(38,37)", "DECIMAL(38,30)", "DECIMAL(38,25)", "DECIMAL(38,20)", "DECIMAL(18,10)", "DECIMAL(9,4)"} {
		d := `(` + digits + `)::` + typ
		if typ == "DECIMAL(9,4)" {
			d = `((hash(i) % 100000000)::VARCHAR)::DECIMAL(9,0) / 10000::` + typ // the string's digits overflow (9,4)
		}
		for _, c := range []struct{ task, v string }{
			{"echo_float64", "d"}, {"asum_float64", "[d, 0, 0]"}, {"asum_float64", "[d, 0, 0]::" + typ + "[3]"},
		} {
			q := `SELECT count(*) FILTER (prediction IS DISTINCT FROM d::DOUBLE) FROM ml_predict('` + c.task + `',
				'SELECT d, ` + c.v + ` AS v FROM (SELECT (` + d + `)::` + typ + ` AS d FROM range(3000) t(i))')`
			if g, e := goQuery(q), extQuery(q); g != "0" || e != "0" {
				t.Errorf("%s as %s: values one ulp or more from DuckDB's ::DOUBLE: Go binding %s, extension %s", typ, c.v, g, e)
			}
		}
	}
}
