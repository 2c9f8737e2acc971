package udf

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/duckdb/duckdb-go/v2"

	"github.com/duckinfer/duckinfer/internal/models"
)

// probeFunc(cols...) runs fn over each chunk's argument columns; it returns NULL.
type probeFunc struct {
	fn func(chunk *duckdb.DataChunk, n int) error
}

func (f *probeFunc) Config() duckdb.ScalarFuncConfig {
	anyT, _ := duckdb.NewTypeInfo(duckdb.TYPE_ANY)
	boolean, _ := duckdb.NewTypeInfo(duckdb.TYPE_BOOLEAN)
	return duckdb.ScalarFuncConfig{VariadicTypeInfo: anyT, ResultTypeInfo: boolean, SpecialNullHandling: true, Volatile: true}
}

func (f *probeFunc) Executor() duckdb.ScalarFuncExecutor {
	return duckdb.ScalarFuncExecutor{ChunkContextExecutor: func(_ context.Context, st *duckdb.ChunkIteratorState) error {
		chunk := st.GetInputChunk()
		return f.fn(chunk, chunk.GetSize())
	}}
}

func probeDB(t testing.TB, fn func(chunk *duckdb.DataChunk, n int) error) *sql.Conn {
	t.Helper()
	c, err := duckdb.NewConnector("", nil)
	if err != nil {
		t.Fatal(err)
	}
	db := sql.OpenDB(c)
	t.Cleanup(func() { db.Close() })
	conn, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	if err := duckdb.RegisterScalarUDF(conn, "probe", &probeFunc{fn: fn}); err != nil {
		t.Fatal(err)
	}
	return conn
}

// The raw-vector adapter reaches duckdb-go's vector data (it fails here, loudly, if a
// duckdb-go upgrade changes the layout), and reads every numeric type, NULL and
// constant exactly as the value-by-value path does.
func TestRawVectorAdapter(t *testing.T) {
	var mu sync.Mutex
	var rawOK, checked, float32Cols int
	var problems []string
	conn := probeDB(t, func(chunk *duckdb.DataChunk, n int) error {
		mu.Lock()
		defer mu.Unlock()
		for i := range chunk.ColumnCount() {
			vec, err := chunk.GetVector(i)
			if err != nil {
				return err
			}
			if _, ok := rawVectorOf(vec, n); ok {
				rawOK++
			}
			fast := vectorColumn{name: fmt.Sprint("c", i), chunk: chunk, idx: i}
			slow := fast
			slow.slowReads = true
			fd, fv := make([]float64, n), trues(n)
			sd, sv := make([]float64, n), trues(n)
			ferr, serr := fast.Float64s(fd, fv), slow.Float64s(sd, sv)
			if (ferr == nil) != (serr == nil) {
				problems = append(problems, fmt.Sprintf("col %d Float64s: fast %v, slow %v", i, ferr, serr))
				continue
			}
			f32, f32v := make([]float32, n), trues(n)
			if ok, err := fast.Float32s(f32, f32v); ok && err == nil {
				for r := range n {
					if f32v[r] != sv[r] || (sv[r] && float64(f32[r]) != sd[r]) {
						problems = append(problems, fmt.Sprintf("col %d row %d Float32s: fast %v/%v, slow %v/%v", i, r, f32[r], f32v[r], sd[r], sv[r]))
					}
				}
				float32Cols++
			}
			fi, fiv := make([]int64, n), trues(n)
			si, siv := make([]int64, n), trues(n)
			var fw, sw []string // values beyond int64, by row
			fok, _ := fast.Int64s(fi, fiv, func(r int, v string) { fiv[r] = false; fw = append(fw, fmt.Sprint(r, "=", v)) })
			sok, _ := slow.Int64s(si, siv, func(r int, v string) { siv[r] = false; sw = append(sw, fmt.Sprint(r, "=", v)) })
			if fok != sok {
				problems = append(problems, fmt.Sprintf("col %d Int64s exact: fast %v, slow %v", i, fok, sok))
			}
			if fmt.Sprint(fw) != fmt.Sprint(sw) {
				problems = append(problems, fmt.Sprintf("col %d Int64s beyond int64: fast %v, slow %v", i, fw, sw))
			}
			for r := range n {
				checked++
				if fv[r] != sv[r] || (fv[r] && fd[r] != sd[r] && !(math.IsNaN(fd[r]) && math.IsNaN(sd[r]))) {
					problems = append(problems, fmt.Sprintf("col %d row %d Float64s: fast %v/%v, slow %v/%v", i, r, fd[r], fv[r], sd[r], sv[r]))
				}
				if fok && sok && (fiv[r] != siv[r] || (fiv[r] && fi[r] != si[r])) {
					problems = append(problems, fmt.Sprintf("col %d row %d Int64s: fast %v/%v, slow %v/%v", i, r, fi[r], fiv[r], si[r], siv[r]))
				}
			}
			if len(problems) > 20 {
				return fmt.Errorf("too many differences")
			}
		}
		return nil
	})
	cols := []string{"(i % 100)::TINYINT", "(i * 3)::SMALLINT", "(i * 100003 - 200000000)::INTEGER", "i * 1000000007", "(i % 200)::UTINYINT",
		"(i * 13)::USMALLINT", "i::UINTEGER", "CASE WHEN i = 3 THEN 18446744073709551615 ELSE i END::UBIGINT", "i::FLOAT / 7", "i::DOUBLE / 3",
		"i % 3 = 0", "(i / 100)::DECIMAL(10,2)", "(i / 10 - 200)::DECIMAL(4,1)", "(i * 1234567.891)::DECIMAL(18,3)", "(i / 7)::DECIMAL(38,5)", "(i % 13) * 0.1 - 0.6", "(-i * 1e20)::DECIMAL(38,0)", "(i * 12345678901)::HUGEINT", "CASE WHEN i % 50 = 4 THEN -(1::HUGEINT << 100) - i * 4097 ELSE i END", "CASE WHEN i % 50 = 6 THEN (1::UHUGEINT << 100) + i * 4097 ELSE i END::UHUGEINT", "CASE WHEN i = 5 THEN 'nan'::DOUBLE ELSE 1 END", "42"}
	var sel []string
	for j, c := range cols {
		sel = append(sel, fmt.Sprintf("CASE WHEN (i + %d) %% 7 = 0 THEN NULL ELSE %s END AS c%d", j, c, j))
	}
	sel = append(sel, "2.5::FLOAT AS k") // a constant, never NULL
	q := fmt.Sprintf(`SELECT count(probe(*COLUMNS(*))) FROM (SELECT %s FROM range(5000) r(i))`, strings.Join(sel, ", "))
	if _, err := conn.ExecContext(context.Background(), q); err != nil {
		t.Fatal(err)
	}
	if rawOK == 0 {
		t.Fatal("rawVectorOf never reached duckdb-go's vector data: its layout changed (see vectordata.go); numeric reads fell back to the slow path")
	}
	if float32Cols == 0 {
		t.Fatal("Float32s never read a FLOAT column")
	}
	if checked != 5000*(len(cols)+1) {
		t.Fatalf("checked %d values, want %d", checked, 5000*(len(cols)+1))
	}
	if len(problems) > 0 {
		t.Fatalf("fast and per-value reads differ:\n%s", strings.Join(problems, "\n"))
	}
}

func trues(n int) []bool {
	v := make([]bool, n)
	for i := range v {
		v[i] = true
	}
	return v
}

// BenchmarkNumericGather gathers 128 FLOAT columns into a float32 model input tensor
// ([N, 128], the input kind's Load), on one DuckDB thread: raw vector reads
// ("vector") next to the value-by-value path ("per_value"). values/s counts values
// gathered; the DuckDB scan and function call are included in both, and "scan_only"
// measures them alone (the probe returns at once).
func BenchmarkNumericGather(b *testing.B) {
	const k = 128
	rows := 1 << 20
	if n, err := strconv.Atoi(os.Getenv("DUCKINFER_GATHER_ROWS")); err == nil && n > 0 {
		rows = n // a quicker run; values/s stays comparable
	}
	var names []string
	for j := range k {
		names = append(names, fmt.Sprintf(`"c%d"`, j))
	}
	cfg, err := models.ParseConfig([]byte(`{"inputs":[{"name":"x","type":"float32","columns":[` + strings.Join(names, ",") + `]}],"output":"p","labels":["a","b"]}`))
	if err != nil {
		b.Fatal(err)
	}
	task := &models.Task{Name: "gather", Config: cfg}
	var pool sync.Pool
	mode := ""
	conn := probeDB(b, func(chunk *duckdb.DataChunk, n int) error {
		if mode == "scan_only" {
			return nil
		}
		in, _ := pool.Get().([]models.InputData)
		if in == nil {
			in = task.NewInputs()
		}
		defer pool.Put(in)
		cols := make([]vectorColumn, k)
		mc := make([]models.Column, k)
		for j := range cols {
			cols[j] = vectorColumn{name: names[j], chunk: chunk, idx: j, slowReads: mode == "per_value"}
			mc[j] = &cols[j]
		}
		valid := trues(n)
		return in[0].Load(mc, n, valid, func(int, error) {})
	})
	var sel []string
	for j := range k {
		sel = append(sel, fmt.Sprintf("(i %% %d)::FLOAT / 3 AS c%d", j+2, j))
	}
	for _, q := range []string{"SET threads = 1", fmt.Sprintf("CREATE TABLE g AS SELECT %s FROM range(%d) r(i)", strings.Join(sel, ", "), rows)} {
		if _, err := conn.ExecContext(context.Background(), q); err != nil {
			b.Fatal(err)
		}
	}
	for _, m := range []string{"scan_only", "vector", "per_value"} {
		b.Run(m, func(b *testing.B) {
			mode = m
			b.ResetTimer()
			start := time.Now()
			q := `SELECT count(probe(*COLUMNS(*))) FROM g`
			n := rows
			if mode == "per_value" {
				// About 40 s for a million rows: an eighth keeps the run short, and
				// values/s comparable.
				n = rows / 8
				q = fmt.Sprintf(`SELECT count(probe(*COLUMNS(*))) FROM (FROM g LIMIT %d)`, n)
			}
			for range b.N {
				if _, err := conn.ExecContext(context.Background(), q); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)*float64(n)*k/time.Since(start).Seconds(), "values/s")
		})
	}
}

// ARRAY and LIST columns read in place match the value-by-value read, NULLs included.
func TestRawArrayAdapter(t *testing.T) {
	var mu sync.Mutex
	var problems []string
	rows, nested := 0, 0
	conn := probeDB(t, func(chunk *duckdb.DataChunk, n int) error {
		mu.Lock()
		defer mu.Unlock()
		for i := range chunk.ColumnCount() {
			if vec, err := chunk.GetVector(i); err == nil {
				if _, ok := rawNestedOf(vec, n); ok {
					nested++
				}
			}
			fast := vectorColumn{name: fmt.Sprint("c", i), chunk: chunk, idx: i}
			slow := fast
			slow.slowReads = true
			fd, fv := make([]float64, 3*n), trues(n)
			sd, sv := make([]float64, 3*n), trues(n)
			if err := fast.ArrayFloat64s(fd, 3, fv); err != nil {
				return err
			}
			if err := slow.ArrayFloat64s(sd, 3, sv); err != nil {
				return err
			}
			for r := range n {
				rows++
				if fv[r] != sv[r] || (fv[r] && fmt.Sprint(fd[3*r:3*r+3]) != fmt.Sprint(sd[3*r:3*r+3])) {
					problems = append(problems, fmt.Sprintf("col %d row %d: fast %v/%v, slow %v/%v", i, r, fd[3*r:3*r+3], fv[r], sd[3*r:3*r+3], sv[r]))
				}
			}
		}
		return nil
	})
	q := `SELECT count(probe(*COLUMNS(*))) FROM (SELECT
		if(i % 5 = 0, NULL, [i, i / 2, -i])::FLOAT[3] AS a,
		CASE WHEN i % 7 = 0 THEN NULL WHEN i % 11 = 0 THEN [1, NULL, 2] ELSE [i / 3, i, 0.5] END::DOUBLE[] AS b,
		[i, i, i]::DOUBLE[3] AS c,
		[i / 7, 1, 2]::FLOAT[] AS d
		FROM range(3000) r(i))`
	if _, err := conn.ExecContext(context.Background(), q); err != nil {
		t.Fatal(err)
	}
	if nested == 0 {
		t.Fatal("rawNestedOf never read an ARRAY or LIST vector (see vectordata.go)")
	}
	if rows != 4*3000 || len(problems) > 0 {
		t.Fatalf("%d rows checked, differences:\n%s", rows, strings.Join(problems[:min(len(problems), 20)], "\n"))
	}
}

// HUGEINT and UHUGEINT values reach a float input as DuckDB's own ::DOUBLE gives them
// (and as the extension reads them, through duckvec), on the fast and the slow read.
// Before, the Go binding rounded them correctly through big.Float: one step away from
// DuckDB's double rounding for some values beyond 2^64.
func TestWideIntegersRoundAsDuckDB(t *testing.T) {
	var mu sync.Mutex
	var checked int
	var problems []string
	conn := probeDB(t, func(chunk *duckdb.DataChunk, n int) error {
		mu.Lock()
		defer mu.Unlock()
		want := make([]float64, n)
		if err := (&vectorColumn{name: "d", chunk: chunk, idx: 1}).Float64s(want, trues(n)); err != nil {
			return err
		}
		for _, slow := range []bool{false, true} {
			got := make([]float64, n)
			if err := (&vectorColumn{name: "h", chunk: chunk, idx: 0, slowReads: slow}).Float64s(got, trues(n)); err != nil {
				return err
			}
			for r := range n {
				checked++
				if got[r] != want[r] && len(problems) < 10 {
					h, _ := chunk.GetValue(0, r)
					problems = append(problems, fmt.Sprintf("%v (slow read %v): got %v, DuckDB's ::DOUBLE %v", h, slow, got[r], want[r]))
				}
			}
		}
		return nil
	})
	for _, h := range []string{
		"((hash(i) >> 1)::HUGEINT - 4611686018427387904) * 18446744073709551616 + hash(i + 7)::HUGEINT", // any HUGEINT
		"-(hash(i)::HUGEINT)", // the upper half -1
		"hash(i)::UHUGEINT * 18446744073709551616 + hash(i + 7)::UHUGEINT", // any UHUGEINT
	} {
		q := fmt.Sprintf(`SELECT count(probe(h, h::DOUBLE)) FROM (SELECT %s AS h FROM range(3000) r(i))`, h)
		if _, err := conn.ExecContext(context.Background(), q); err != nil {
			t.Fatal(err)
		}
	}
	if checked == 0 || len(problems) > 0 {
		t.Fatalf("%d values checked; %s", checked, strings.Join(problems, "\n"))
	}
}
