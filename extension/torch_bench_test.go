package extension

import (
	"context"
	"fmt"
	"testing"

	"github.com/duckinfer/duckinfer/internal/models"
)

// BenchmarkTorchFixtures runs each PyTorch fixture over 200k generated rows (DOUBLE
// and BIGINT columns: DECIMAL columns take a slower per-value read) on one thread, through SQL (CREATE TEMP TABLE AS SELECT * FROM ml_predict) and directly
// through the same ONNX Runtime session from Go (rows loaded into the model's input
// form before the clock starts, batches of 256), in the same run. ns/row for both;
// the ratio direct/sql is ml_predict's efficiency on the fixture.
//
//	go test -run '^$' -bench TorchFixtures -benchtime 3x ./extension/
func BenchmarkTorchFixtures(b *testing.B) {
	const n = 200_000
	fixtures := []struct {
		task, table string
		cols        func(i int) (ints []int64, nums []float64) // one row's int and float columns
		names       []string                                   // int columns first, then float ones
		ints        int
	}{
		{"torch_mixed", `SELECT i AS id, i % 5 AS category, ((i % 7) * 0.3 - 1)::DOUBLE AS m1, ((i % 11) * 0.2)::DOUBLE AS m2, ((i % 3) * 0.5)::DOUBLE AS m3 FROM range(200000) r(i)`,
			func(i int) ([]int64, []float64) {
				return []int64{int64(i % 5)}, []float64{float64(i%7)*0.3 - 1, float64(i%11) * 0.2, float64(i%3) * 0.5}
			}, []string{"category", "m1", "m2", "m3"}, 1},
		{"torch_double", `SELECT i AS id, ((i % 13) * 0.1 - 0.6)::DOUBLE AS a, ((i % 17) * 0.05)::DOUBLE AS b FROM range(200000) r(i)`,
			func(i int) ([]int64, []float64) { return nil, []float64{float64(i%13)*0.1 - 0.6, float64(i%17) * 0.05} },
			[]string{"a", "b"}, 0},
		{"torch_regress", `SELECT i AS id, ((i % 13) * 0.1)::DOUBLE AS x1, ((i % 7) * 0.2)::DOUBLE AS x2, ((i % 5) * 0.3)::DOUBLE AS x3 FROM range(200000) r(i)`,
			func(i int) ([]int64, []float64) {
				return nil, []float64{float64(i%13) * 0.1, float64(i%7) * 0.2, float64(i%5) * 0.3}
			}, []string{"x1", "x2", "x3"}, 0},
	}
	for _, fx := range fixtures {
		db, c := open(b, WithTaskDirs(torchDir), WithCPUSlots(1))
		exec(b, db, `SET threads = 1`)
		exec(b, db, `CREATE TABLE t AS `+fx.table)
		b.Run(fx.task+"/sql", func(b *testing.B) {
			exec(b, db, fmt.Sprintf(`CREATE OR REPLACE TEMP TABLE o AS SELECT * FROM ml_predict('%s', 't') LIMIT 10`, fx.task))
			for b.Loop() {
				exec(b, db, fmt.Sprintf(`CREATE OR REPLACE TEMP TABLE o AS SELECT * FROM ml_predict('%s', 't')`, fx.task))
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/row")
		})
		b.Run(fx.task+"/direct", func(b *testing.B) {
			task, err := c.env.Registry.Lookup(fx.task)
			if err != nil {
				b.Fatal(err)
			}
			sess, err := c.env.Pool.Session(context.Background(), task, models.Placement{Device: "cpu", Threads: 1})
			if err != nil {
				b.Fatal(err)
			}
			cols := make([]models.Column, len(fx.names))
			vals := make([]*models.Values, len(fx.names))
			for j, name := range fx.names {
				vals[j] = &models.Values{ColName: name}
				cols[j] = vals[j]
			}
			for i := range n {
				ints, nums := fx.cols(i)
				for j, x := range ints {
					vals[j].Ints = append(vals[j].Ints, x)
				}
				for j, x := range nums {
					vals[fx.ints+j].Nums = append(vals[fx.ints+j].Nums, x)
				}
			}
			in := task.NewInputs()
			valid := make([]bool, n)
			for r := range valid {
				valid[r] = true
			}
			off := 0
			for i, spec := range task.Config.Inputs {
				k := len(spec.Columns)
				if err := in[i].Load(cols[off:off+k], n, valid, func(r int, err error) { b.Fatal(r, err) }); err != nil {
					b.Fatal(err)
				}
				off += k
			}
			out := task.NewOutput()
			out.Reset(n)
			ctx := context.Background()
			for b.Loop() {
				for lo := 0; lo < n; lo += 256 {
					if err := sess.Predict(ctx, in, lo, min(lo+256, n), out); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/row")
		})
	}
}
