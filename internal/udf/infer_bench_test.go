package udf_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/duckinfer/duckinfer/extension"
	"github.com/duckinfer/duckinfer/internal/models"
	"github.com/duckinfer/duckinfer/internal/sqlgen"
	"github.com/duckinfer/duckinfer/internal/udf"
)

// benchDB opens an in-memory database with the noop task and a table t of rows
// realistic review texts plus id/ts/amount/category columns, on one connection
// with SET threads=1 so ns/row is single-thread cost.
func benchDB(b testing.TB, rows int, taskDirs ...string) (*extension.Connector, *sql.Conn) {
	b.Helper()
	if _, err := models.InitRuntime(models.FlavorCPU); err != nil {
		b.Skip("ONNX Runtime not installed:", err)
	}
	c, err := extension.NewConnector("", extension.WithTaskDirs(append([]string{"../../testdata/tasks"}, taskDirs...)...))
	if err != nil {
		b.Fatal(err)
	}
	db := sql.OpenDB(c)
	b.Cleanup(func() { db.Close() })
	conn, err := db.Conn(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { conn.Close() })
	for _, q := range []string{
		fmt.Sprintf("SET threads = %d", benchThreads),
		`CREATE TABLE reviews AS FROM read_csv('../../testdata/reviews.csv')`,
		fmt.Sprintf(`CREATE TABLE t AS
SELECT i::BIGINT AS id, TIMESTAMP '2024-01-01' + to_seconds(i) AS ts, (i %% 10000)::DECIMAL(12,2) / 100 AS amount,
       (['books','movies','home'])[1 + i %% 3] AS category,
       CASE WHEN i %% 2 = 0 THEN s[1 + i %% len(s)] ELSE s[1 + i %% len(s)] || ' ' || s[1 + (i * 7 + 3) %% len(s)] END AS text
FROM range(%d) r(i), (SELECT list(text ORDER BY id) AS s FROM reviews)`, rows),
	} {
		if _, err := conn.ExecContext(context.Background(), q); err != nil {
			b.Fatal(err)
		}
	}
	return c, conn
}

// benchThreads is DuckDB's thread count for BenchmarkMLInfer (-threads flag of the test binary is not available, so edit here or set DUCKINFER_BENCH_THREADS).
var benchThreads = envInt("DUCKINFER_BENCH_THREADS", 1)

func envInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
		return n
	}
	return def
}

func runQuery(b testing.TB, conn *sql.Conn, q string) {
	rows, err := conn.QueryContext(context.Background(), q)
	if err != nil {
		b.Fatal(err)
	}
	for rows.Next() {
	}
	if err := rows.Err(); err != nil {
		b.Fatal(err)
	}
	rows.Close()
}

// BenchmarkMLInfer runs ml_infer (through ml_predict, noop model) over one DuckDB chunk
// (2048 rows) and over 100 chunks, on one thread, next to the same query without the
// model: the difference is ml_infer's gather (featurisation/batch assembly), the noop
// model call, the result writing and the macro's split_part. ns/row is per input row.
// ml_infer_only calls ml_infer directly with its packed options as the macro gives
// them (empty strings mean the defaults).
func BenchmarkMLInfer(b *testing.B) {
	for _, rows := range []int{2048, 204800} {
		_, conn := benchDB(b, rows)
		for _, c := range []struct{ name, q string }{
			{"scan", `SELECT count(*), max(length(text)) FROM t`},
			{"ml_infer_only", `SELECT count(*), max(ml_infer(` + sqlgen.OptionsSQL([]string{"noop", "", "", "", "", "", "", "", ""}, "''") + `, text).confidence) FROM t`},
			{"ml_predict_noop", `SELECT count(*), max(length(text)), max(predicted_class), max(confidence) FROM ml_predict('noop', 't')`},
			{"ml_predict_noop_batch2048", `SELECT count(*), max(length(text)), max(predicted_class), max(confidence) FROM ml_predict('noop', 't', batch_size := 2048::BIGINT)`},
			{"ml_predict_sentiment", `SELECT count(*), max(length(text)), max(predicted_class), max(confidence) FROM ml_predict('sentiment', 't')`},
		} {
			b.Run(fmt.Sprintf("rows=%d/%s", rows, c.name), func(b *testing.B) {
				runQuery(b, conn, c.q) // load the model outside the timing
				for b.Loop() {
					runQuery(b, conn, c.q)
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*rows), "ns/row")
			})
		}
	}
}

// BenchmarkDistinct is CREATE TEMP TABLE … AS SELECT * FROM ml_predict(task, …) on one
// thread over texts that are all distinct and over texts with 10 % distinct values per
// chunk (runs of 10 equal rows, as event data has), with ml_infer's distinct-values path
// on and off: its cost where nothing repeats, its gain where values do; for the
// sentiment model and for the noop model, next to which the probe's cost is largest.
// ns/row is per input row.
func BenchmarkDistinct(b *testing.B) {
	const rows = 102400
	_, conn := benchDB(b, rows)
	for _, q := range []string{
		`CREATE TABLE all_distinct AS SELECT * REPLACE (text || ' #' || id AS text) FROM t`,
		`CREATE TABLE ten_pct AS SELECT t.* REPLACE (u.text || ' #' || (t.id // 10) AS text) FROM t JOIN t u ON u.id = t.id // 10 ORDER BY t.id`,
	} {
		if _, err := conn.ExecContext(context.Background(), q); err != nil {
			b.Fatal(err)
		}
	}
	for _, task := range []string{"sentiment", "noop"} {
		for _, table := range []string{"all_distinct", "ten_pct"} {
			for _, on := range []bool{true, false} {
				benchDistinct(b, conn, rows, task, table, on)
			}
		}
	}
}

func benchDistinct(b *testing.B, conn *sql.Conn, rows int, task, table string, on bool) {
	b.Run(fmt.Sprintf("%s/%s/distinct=%v", task, table, on), func(b *testing.B) {
		defer udf.SetInferDistinct(udf.SetInferDistinct(on))
		q := `CREATE TEMP TABLE sink AS SELECT * FROM ml_predict('` + task + `', '` + table + `')`
		// Once outside the timing: the first variant would otherwise pay the model load.
		runQuery(b, conn, q)
		runQuery(b, conn, `DROP TABLE sink`)
		b.ResetTimer()
		cpu0 := cpuTime()
		for b.Loop() {
			runQuery(b, conn, q)
			runQuery(b, conn, `DROP TABLE sink`)
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*rows), "ns/row")
		// Process CPU time: far less disturbed by other load than wall time.
		b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/float64(b.N*rows), "cpu-ns/row")
	})
}

// BenchmarkMacroSlicing measures what taking ml_infer's result apart costs per row, on
// one thread, into a temp table: "struct" extracts the two fields of a STRUCT column
// (what the macro does now), "slice" cuts a packed VARCHAR (unpackSQL: what it did
// before, and still does for ml_infer_probs), "copy" copies the packed column as it is.
func BenchmarkMacroSlicing(b *testing.B) {
	const rows = 1 << 20
	_, conn := benchDB(b, 1)
	for _, q := range []string{
		fmt.Sprintf(`CREATE TABLE packed AS SELECT '0.' || lpad((hash(i) %% 1000000)::VARCHAR, 6, '0') || ['negative', 'positive'][1 + i %% 2] AS p FROM range(%d) r(i)`, rows),
		`CREATE TABLE structs AS SELECT {'predicted_class': p[9:], 'confidence': p[1:8]} AS s FROM packed`,
	} {
		if _, err := conn.ExecContext(context.Background(), q); err != nil {
			b.Fatal(err)
		}
	}
	label, confidence := udf.UnpackSQL("p")
	for _, c := range []struct{ name, q string }{
		{"slice", fmt.Sprintf(`CREATE TEMP TABLE sink AS SELECT %s AS predicted_class, %s AS confidence FROM packed`, label, confidence)},
		{"copy", `CREATE TEMP TABLE sink AS SELECT p FROM packed`},
		{"struct", `CREATE TEMP TABLE sink AS SELECT s.predicted_class, s.confidence FROM structs`},
	} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				runQuery(b, conn, c.q)
				runQuery(b, conn, `DROP TABLE sink`)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*rows), "ns/row")
		})
	}
}

// cpuTime is the process's user+system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
