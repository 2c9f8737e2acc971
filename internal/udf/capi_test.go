package udf

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/duckdb/duckdb-go/v2"
	"github.com/duckdb/duckdb-go/v2/mapping"

	"github.com/duckinfer/duckinfer/internal/models"
)

// echoFunc(x VARCHAR) reads x through vectorColumn.Strings and writes x || '!' (NULL
// for NULL) through stringWriter: the two halves of vectorstrings.go, end to end.
type echoFunc struct {
	mu      sync.Mutex
	rawRead int // chunks whose strings the raw adapter read
	diffs   []string
}

func (f *echoFunc) Config() duckdb.ScalarFuncConfig {
	varchar, _ := duckdb.NewTypeInfo(duckdb.TYPE_VARCHAR)
	return duckdb.ScalarFuncConfig{InputTypeInfos: []duckdb.TypeInfo{varchar}, ResultTypeInfo: varchar, SpecialNullHandling: true, Volatile: true}
}

func (f *echoFunc) Executor() duckdb.ScalarFuncExecutor {
	return duckdb.ScalarFuncExecutor{ChunkContextExecutor: func(_ context.Context, st *duckdb.ChunkIteratorState) error {
		chunk := st.GetInputChunk()
		n := chunk.GetSize()
		fast := vectorColumn{name: "x", chunk: chunk}
		slow := fast
		slow.slowReads = true
		fs, fv := make([]string, n), trues(n)
		ss, sv := make([]string, n), trues(n)
		if err := fast.Strings(fs, fv); err != nil {
			return err
		}
		if err := slow.Strings(ss, sv); err != nil {
			return err
		}
		f.mu.Lock()
		if vec, err := chunk.GetVector(0); err == nil {
			if rv, ok := rawVectorOf(vec, n); ok && rv.typ == duckdb.TYPE_VARCHAR {
				f.rawRead++
			}
		}
		for r := range n {
			if fv[r] != sv[r] || fs[r] != ss[r] {
				f.diffs = append(f.diffs, fmt.Sprintf("row %d: raw %q/%v, view %q/%v", r, fs[r], fv[r], ss[r], sv[r]))
			}
		}
		f.mu.Unlock()
		mv, w, err := resultWriter(st, n)
		if err != nil {
			return err
		}
		defer stringWriters.Put(w)
		for r := range n {
			if !fv[r] {
				w.null(r)
				continue
			}
			w.buf = append(append(w.buf, fs[r]...), '!')
			w.end()
		}
		w.flush(mv)
		return nil
	}}
}

// resultWriter is the chunk's raw result vector and a stringWriter reset for n rows
// (put it back into stringWriters when done).
func resultWriter(st *duckdb.ChunkIteratorState, n int) (mapping.Vector, *stringWriter, error) {
	res := st.GetResultVector()
	mv, ok := mappingVector(&res)
	if !ok {
		return mv, nil, fmt.Errorf("mappingVector: the raw-vector adapter no longer reaches duckdb-go's result vector (see vectordata.go)")
	}
	w := stringWriters.Get().(*stringWriter)
	w.reset(n)
	return mv, w, nil
}

// udfConn is a connection to a fresh in-memory DuckDB with scalar function f as name.
func udfConn(t *testing.T, name string, f duckdb.ScalarFunc) *sql.Conn {
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
	if err := duckdb.RegisterScalarUDF(conn, name, f); err != nil {
		t.Fatal(err)
	}
	return conn
}

// Strings read from DuckDB's duckdb_string_t array match duckdb-go's own view (inline
// and heap strings, empty, multi-byte, NULL), and strings written in one call per chunk
// read back exactly, NULLs included. It fails loudly if a duckdb-go upgrade changes the
// vector layout.
func TestVectorStrings(t *testing.T) {
	f := &echoFunc{}
	conn := udfConn(t, "echo", f)
	// Lengths 0–40 cover the 12-byte inline limit on both sides of it (the written
	// value is one byte longer).
	q := `SELECT count(*), count(e), count(*) FILTER (WHERE e IS DISTINCT FROM x || '!')
		FROM (SELECT x, echo(x) AS e FROM (
			SELECT CASE WHEN i % 11 = 0 THEN NULL
			            WHEN i % 7 = 0 THEN repeat('é', i % 9)
			            ELSE left(repeat('abcdefghij', 5) || i::VARCHAR, (i % 41)::INTEGER) END AS x
			FROM range(10000) r(i)))`
	var total, nonNull, wrong int
	if err := conn.QueryRowContext(context.Background(), q).Scan(&total, &nonNull, &wrong); err != nil {
		t.Fatal(err)
	}
	if f.rawRead == 0 {
		t.Fatal("rawVectorOf never read a VARCHAR vector: duckdb-go's layout changed (see vectordata.go); strings fell back to the view")
	}
	if len(f.diffs) > 0 {
		t.Fatalf("raw and view reads differ:\n%s", strings.Join(f.diffs[:min(20, len(f.diffs))], "\n"))
	}
	if total != 10000 || nonNull != 10000-910 || wrong != 0 {
		t.Fatalf("echo over 10000 rows: %d rows, %d non-NULL (want %d), %d wrong", total, nonNull, 10000-910, wrong)
	}
}

// benchStrings is a chunk's worth of packed classify results (17–20 bytes: heap strings).
func benchStrings() []string {
	out := make([]string, 2048)
	for i := range out {
		out[i] = fmt.Sprintf("0.%06d%s", i*487%1000000, []string{"negative", "positive"}[i%2])
	}
	return out
}

// BenchmarkWriteStrings writes 2048 result strings into a DuckDB VARCHAR vector:
// "packed" is stringWriter (pack, one cgo call), "per_value" what duckdb-go's
// VectorWriter.Set does per row (a validity and a string cgo call). "classes" is
// ml_infer's own writer: 2048 rows of a label and a formatted confidence into the two
// VARCHAR fields of a STRUCT (writeClassStructs, one cgo call).
func BenchmarkWriteStrings(b *testing.B) {
	vals := benchStrings()
	lt := mapping.CreateLogicalType(duckdb.TYPE_VARCHAR)
	defer mapping.DestroyLogicalType(&lt)
	pt := mapping.CreateStructType([]mapping.LogicalType{lt, lt}, []string{"predicted_class", "confidence"})
	defer mapping.DestroyLogicalType(&pt)
	chunk := mapping.CreateDataChunk([]mapping.LogicalType{lt, pt})
	defer mapping.DestroyDataChunk(&chunk)
	mapping.DataChunkSetSize(chunk, mapping.IdxT(len(vals)))
	out := sentimentOutput(b, len(vals))
	ident := make([]int32, len(vals)) // chunk row r is model row r
	for r := range ident {
		ident[r] = int32(r)
	}
	for _, mode := range []string{"packed", "per_value", "classes"} {
		b.Run(mode, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				mapping.DataChunkReset(chunk) // frees the strings of the last round
				mapping.DataChunkSetSize(chunk, mapping.IdxT(len(vals)))
				mv := mapping.DataChunkGetVector(chunk, 0)
				if mode == "classes" {
					writeClassStructs(mapping.DataChunkGetVector(chunk, 1), out, ident)
					continue
				}
				if mode == "packed" {
					w := stringWriters.Get().(*stringWriter)
					w.reset(len(vals))
					for _, s := range vals {
						w.buf = append(w.buf, s...)
						w.end()
					}
					w.flush(mv)
					stringWriters.Put(w)
					continue
				}
				mask := mapping.VectorGetValidity(mv)
				for r, s := range vals {
					if mask != nil {
						mapping.ValiditySetRowValidity(mask, mapping.IdxT(r), true)
					}
					mapping.VectorAssignStringElement(mv, mapping.IdxT(r), s)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(vals)), "ns/row")
		})
	}
}

// BenchmarkReadStrings reads 2048 VARCHAR values of a DuckDB vector into Go strings
// (borrowed): "raw" from the duckdb_string_t array, "view" through duckdb-go's
// VectorView, row by row.
func BenchmarkReadStrings(b *testing.B) {
	vals := benchStrings()
	var mu sync.Mutex
	var chunks []*duckdb.DataChunk
	conn := probeDB(b, func(chunk *duckdb.DataChunk, n int) error {
		mu.Lock()
		defer mu.Unlock()
		if len(chunks) == 0 && n == len(vals) {
			// Benchmark inside the call, while DuckDB's chunk is alive.
			for _, slow := range []bool{false, true} {
				name := map[bool]string{false: "raw", true: "view"}[slow]
				b.Run(name, func(b *testing.B) {
					col := vectorColumn{name: "x", chunk: chunk, slowReads: slow}
					dst, valid := make([]string, n), trues(n)
					b.ReportAllocs()
					for b.Loop() {
						if err := col.Strings(dst, valid); err != nil {
							b.Fatal(err)
						}
					}
					b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/row")
				})
			}
			chunks = append(chunks, chunk)
		}
		return nil
	})
	q := fmt.Sprintf(`SELECT count(probe(x)) FROM (SELECT ('0.' || lpad((i * 487 %% 1000000)::VARCHAR, 6, '0') || ['negative', 'positive'][1 + i %% 2]) AS x FROM range(%d) r(i))`, len(vals))
	if _, err := conn.ExecContext(context.Background(), q); err != nil {
		b.Fatal(err)
	}
	if len(chunks) == 0 {
		b.Fatal("no full chunk reached the probe")
	}
}

// sentimentOutput is the shipped sentiment task's result storage for n rows, each with a
// class and a confidence.
func sentimentOutput(b testing.TB, n int) *models.ClassData {
	b.Helper()
	if _, err := models.InitRuntime(models.FlavorCPU); err != nil {
		b.Skip("ONNX Runtime not installed:", err)
	}
	reg, err := models.NewRegistry()
	if err != nil {
		b.Fatal(err)
	}
	task, err := reg.Lookup("sentiment")
	if err != nil {
		b.Fatal(err)
	}
	out := task.NewOutput().(*models.ClassData)
	out.Reset(n)
	for r := range n {
		out.Class[r], out.Confidence[r] = int32(r%2), float32(r)/float32(n)
	}
	return out
}
