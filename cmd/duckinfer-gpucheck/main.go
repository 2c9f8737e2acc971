// Command duckinfer-gpucheck checks ml_predict on NVIDIA GPUs end to end: NVML sees
// the cards, a heavy synthetic model (onnxbuild.WideMLP, random weights) runs through
// extension.Open with device := 'cuda', its results agree with the CPU's on the same
// rows, and it reports rows/s for each models_per_gpu setting with the GPU utilisation
// sampled through NVML while the query runs, then ml_devices().
//
// ONNX Runtime loads one library per process. The GPU set's core library
// (lib/ort/gpu/libonnxruntime.so.1) runs both the CPU and the CUDA execution
// provider, so one process computes the CPU reference and the GPU results with the
// same library: only the execution provider differs. scripts/gpu-check.sh points
// DUCKINFER_ORT_LIB at that library and sets LD_LIBRARY_PATH for the CUDA libraries.
//
// Without a GPU it exits with status 3 and says why, unless -cpu-selftest is given:
// then the same pipeline runs on the CPU only (reference vs. a second CPU pass with a
// different batch size), which is what the script does on machines without a GPU.
package main

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/NVIDIA/go-nvml/pkg/nvml"

	"github.com/duckinfer/duckinfer/extension"
	"github.com/duckinfer/duckinfer/internal/gpu"
	"github.com/duckinfer/duckinfer/internal/models"
	"github.com/duckinfer/duckinfer/internal/onnxbuild"
)

const taskName = "gpucheck_mlp"

// exitNoGPU tells the script that no GPU is visible (not a failure of the check).
const exitNoGPU = 3

type options struct {
	rows, cols, width, layers, classes, batch int
	refEvery                                  int
	seconds                                   float64
	mpg                                       []int
	maxDiff, minAgree                         float64
	cpuSelfTest                               bool
	keep                                      bool
	hf                                        string // the Hugging Face folder of the text run ("" to skip)
	textRows                                  int
}

func main() {
	var o options
	var mpg string
	flag.IntVar(&o.rows, "rows", 2_000_000, "rows in the generated table (DuckDB scans row groups of 122,880 rows in parallel: use ≥ 16 groups to feed 16 threads)")
	flag.IntVar(&o.cols, "cols", 128, "float columns, all mapped to the model's one input")
	flag.IntVar(&o.width, "width", 8192, "hidden width of the WideMLP (8192: ~405 MFLOP/row, enough to keep an H100 busy; at 4096 the host side limits)")
	flag.IntVar(&o.layers, "layers", 4, "hidden layers of the WideMLP")
	flag.IntVar(&o.classes, "classes", 8, "output classes")
	flag.IntVar(&o.batch, "batch", 2048, "batch_size (a DuckDB chunk holds at most 2048 rows)")
	flag.IntVar(&o.refEvery, "ref-every", 512, "compare GPU with CPU on rows whose id % N = 0")
	flag.Float64Var(&o.seconds, "seconds", 8, "minimum timed seconds per models_per_gpu setting (whole passes over the table)")
	flag.StringVar(&mpg, "mpg", "1,2", "models_per_gpu settings to time")
	flag.Float64Var(&o.maxDiff, "max-diff", 5e-3, "largest allowed |confidence(GPU) - confidence(CPU)|")
	flag.Float64Var(&o.minAgree, "min-agree", 0.99, "smallest allowed share of rows whose predicted class agrees")
	flag.BoolVar(&o.cpuSelfTest, "cpu-selftest", false, "run the pipeline on the CPU only (for machines without a GPU)")
	flag.BoolVar(&o.keep, "keep", false, "keep the temporary task folder")
	flag.StringVar(&o.hf, "hf", filepath.Join("testdata", "hf", "models", "bert_sentiment"), "Hugging Face folder for the transformer text run (\"\" skips it)")
	flag.IntVar(&o.textRows, "text-rows", 200_000, "rows of the transformer text run")
	flag.Parse()
	for _, f := range strings.Split(mpg, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 || n > 64 {
			fatalf("-mpg: %q is not a list of numbers 1..64", mpg)
		}
		o.mpg = append(o.mpg, n)
	}
	if o.rows < 1 || o.cols < 1 || o.width < 1 || o.layers < 0 || o.classes < 2 || o.batch < 1 || o.refEvery < 1 {
		fatalf("sizes must be positive (rows, cols, width, batch, ref-every ≥ 1; layers ≥ 0; classes ≥ 2)")
	}
	if err := run(o); err != nil {
		fmt.Fprintf(os.Stderr, "gpucheck: FAIL: %v\n", err)
		os.Exit(1)
	}
}

func fatalf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "gpucheck: "+format+"\n", args...)
	os.Exit(2)
}

func run(o options) error {
	t0 := time.Now()
	// 1. NVML.
	inv := gpu.Discover()
	fmt.Printf("== NVML ==\n")
	if len(inv.GPUs) == 0 {
		fmt.Printf("no GPU visible: %s\n", inv.Reason)
		if !o.cpuSelfTest {
			fmt.Printf("gpucheck: SKIP: nothing to check without an NVIDIA GPU (use -cpu-selftest to run the pipeline on the CPU)\n")
			os.Exit(exitNoGPU)
		}
	} else {
		fmt.Printf("driver %s, %d GPU(s)\n", inv.Driver, len(inv.GPUs))
		for _, d := range inv.GPUs {
			fmt.Printf("  gpu %d (nvml %d): %s, %d MiB total, %d MiB free, %s\n", d.Index, d.NVMLIndex, d.Name, d.MemoryTotal>>20, d.MemoryFree>>20, d.UUID)
		}
	}
	device := "cuda"
	if o.cpuSelfTest {
		device = "cpu"
	}

	// 2. The task: a WideMLP taking all columns as one float input.
	dir, err := os.MkdirTemp("", "duckinfer-gpucheck-")
	if err != nil {
		return err
	}
	if !o.keep {
		defer os.RemoveAll(dir)
	}
	tb := time.Now()
	flops, size, err := writeTask(dir, o)
	if err != nil {
		return err
	}
	fmt.Printf("\n== task ==\n%s: WideMLP inputs=%d width=%d layers=%d classes=%d, %.1f MFLOP/row, batch_size %d\n",
		taskName, o.cols, o.width, o.layers, o.classes, flops/1e6, o.batch)
	fmt.Printf("model.onnx %.1f MB written in %.1fs to %s\n", float64(size)/1e6, time.Since(tb).Seconds(), dir)
	text := o.hf != "" && copyTextTask(o.hf, dir)

	// 3. The database. WithDevice("cuda") makes the connector load the GPU flavor.
	conn, err := extension.NewConnector("", extension.WithTaskDirs(dir), extension.WithDevice(device))
	if err != nil {
		return err
	}
	db := sql.OpenDB(conn)
	defer db.Close()
	ctx := context.Background()
	var threads string
	if err := db.QueryRowContext(ctx, "SELECT current_setting('threads')::VARCHAR").Scan(&threads); err != nil {
		return err
	}
	fmt.Printf("DuckDB threads: %s, Go sees %d CPUs\n", threads, runtime.NumCPU())

	tt := time.Now()
	if _, err := db.ExecContext(ctx, tableSQL(o)); err != nil {
		return fmt.Errorf("creating the table: %w", err)
	}
	fmt.Printf("table t: %d rows × (id + %d FLOAT columns), generated in %.1fs\n", o.rows, o.cols, time.Since(tt).Seconds())

	// 4. Correctness: CPU reference vs. the device on the same rows.
	fmt.Printf("\n== correctness: rows with id %% %d = 0 ==\n", o.refEvery)
	refQuery := fmt.Sprintf("SELECT * FROM t WHERE id %% %d = 0", o.refEvery)
	ref, refSecs, err := predictRows(ctx, db, refQuery, "cpu", 0, o.batch)
	if err != nil {
		return fmt.Errorf("CPU reference: %w", err)
	}
	if info, ok := models.Runtime(); ok {
		fmt.Printf("ONNX Runtime %s (%s) from %s\n", info.Version, info.Flavor, info.Path)
	}
	fmt.Printf("cpu : %d rows in %.2fs (%.0f rows/s)\n", len(ref), refSecs, float64(len(ref))/refSecs)
	cmpDevice, cmpBatch, cmpMPG := device, o.batch, 2
	if o.cpuSelfTest {
		cmpBatch = 7 // a second CPU pass with other batch boundaries
	}
	got, gotSecs, err := predictRows(ctx, db, refQuery, cmpDevice, cmpMPG, cmpBatch)
	if err != nil {
		return fmt.Errorf("%s pass: %w", cmpDevice, err)
	}
	fmt.Printf("%-4s: %d rows in %.2fs (%.0f rows/s; includes model loading)\n", cmpDevice, len(got), gotSecs, float64(len(got))/gotSecs)
	cmp := compare(ref, got)
	fmt.Printf("compared %d rows: max |Δconfidence| = %.3g (mean %.3g), predicted class agrees on %d/%d (%.4f%%)\n",
		cmp.n, cmp.maxDiff, cmp.meanDiff, cmp.agree, cmp.n, 100*cmp.agreeShare())
	var problems []string
	if cmp.missing > 0 || len(got) != len(ref) || len(ref) == 0 {
		problems = append(problems, fmt.Sprintf("row sets differ (cpu %d rows, %s %d rows, %d missing)", len(ref), cmpDevice, len(got), cmp.missing))
	}
	if cmp.nan > 0 {
		problems = append(problems, fmt.Sprintf("%d NaN/unparsable confidences", cmp.nan))
	}
	if cmp.maxDiff > o.maxDiff {
		problems = append(problems, fmt.Sprintf("max |Δconfidence| %.3g > %.3g", cmp.maxDiff, o.maxDiff))
	}
	if cmp.agreeShare() < o.minAgree {
		problems = append(problems, fmt.Sprintf("class agreement %.4f < %.4f", cmp.agreeShare(), o.minAgree))
	}

	// 5. Throughput per models_per_gpu, with NVML utilisation sampled meanwhile.
	fmt.Printf("\n== throughput: full passes over t (%d rows), ≥ %.3gs each ==\n", o.rows, o.seconds)
	settings := o.mpg
	if o.cpuSelfTest {
		settings = []int{0}
	}
	var results []tput
	for _, n := range settings {
		r, err := throughput(ctx, db, o, device, n, inv)
		if err != nil {
			return err
		}
		results = append(results, r)
		fmt.Println(r.line(flops))
	}
	if len(inv.GPUs) > 0 && !o.cpuSelfTest {
		for _, d := range inv.GPUs {
			if h, ret := nvml.DeviceGetHandleByIndex(d.NVMLIndex); ret == nvml.SUCCESS {
				if m, ret := h.GetMemoryInfo(); ret == nvml.SUCCESS {
					fmt.Printf("gpu %d memory used now: %d MiB of %d MiB\n", d.Index, m.Used>>20, m.Total>>20)
				}
			}
		}
	}

	// 5b. The transformer text run.
	var textRes textResult
	if text {
		fmt.Printf("\n== transformer text run: %s, %d rows ==\n", o.hf, o.textRows)
		if o.cpuSelfTest {
			o.textRows = min(o.textRows, 20_000)
		}
		textRes, err = textCheck(ctx, db, o.hf, o.textRows, device, settings, max(o.seconds/2, 1))
		if err != nil {
			return err
		}
		for _, l := range textRes.lines {
			fmt.Println(l)
		}
		problems = append(problems, textRes.problems...)
	}

	// 6. ml_devices() and counters.
	fmt.Printf("\n== ml_devices() ==\n")
	if err := printQuery(ctx, db, "SELECT * FROM ml_devices()"); err != nil {
		return err
	}
	st := conn.Stats()
	fmt.Printf("stats: %d rows inferred, %d chunks, %d model loads, %d partitions\n", st.RowsInferred, st.Chunks, st.ModelLoads, st.Partitions)

	// 7. Summary last (the tail of the output is what a remote run returns).
	fmt.Printf("\n== summary ==\n")
	for _, d := range inv.GPUs {
		fmt.Printf("gpu %d: %s (driver %s)\n", d.Index, d.Name, inv.Driver)
	}
	if info, ok := models.Runtime(); ok {
		fmt.Printf("runtime: ONNX Runtime %s (%s)\n", info.Version, info.Flavor)
	}
	fmt.Printf("model: WideMLP %d→%d×%d→%d, %.1f MFLOP/row; table %d rows\n", o.cols, o.width, o.layers, o.classes, flops/1e6, o.rows)
	for _, r := range results {
		fmt.Println(r.line(flops))
	}
	fmt.Printf("vs cpu on %d rows: max |Δconfidence| %.3g, class agreement %.4f%%\n", cmp.n, cmp.maxDiff, 100*cmp.agreeShare())
	for _, l := range textRes.lines {
		fmt.Println(l)
	}
	fmt.Printf("total %.1fs\n", time.Since(t0).Seconds())
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "; "))
	}
	if o.cpuSelfTest {
		fmt.Println("gpucheck: PASS (CPU self-test; no GPU was checked)")
	} else {
		fmt.Println("gpucheck: PASS")
	}
	return nil
}

// writeTask writes model.onnx and task.json, returning the model's FLOPs per row
// (multiply-adds × 2 of the Gemms) and the model's size in bytes.
func writeTask(dir string, o options) (float64, int, error) {
	onnx, err := onnxbuild.WideMLP(onnxbuild.WideMLPConfig{
		Inputs: o.cols, Width: o.width, Layers: o.layers, Classes: o.classes, Seed: 20261126,
	})
	if err != nil {
		return 0, 0, err
	}
	td := filepath.Join(dir, taskName)
	if err := os.MkdirAll(td, 0o755); err != nil {
		return 0, 0, err
	}
	if err := os.WriteFile(filepath.Join(td, "model.onnx"), onnx, 0o644); err != nil {
		return 0, 0, err
	}
	cols := make([]string, o.cols)
	for j := range cols {
		cols[j] = strconv.Quote(fmt.Sprintf("f%d", j))
	}
	labels := make([]string, o.classes)
	for j := range labels {
		labels[j] = strconv.Quote(fmt.Sprintf("c%d", j))
	}
	cfg := fmt.Sprintf(`{"description": "gpu-check WideMLP (random weights)", "model": "model.onnx",
 "inputs": [{"name": "x", "type": "float32", "columns": [%s]}],
 "output": "probabilities", "labels": [%s], "batch_size": %d}`,
		strings.Join(cols, ", "), strings.Join(labels, ", "), o.batch)
	if err := os.WriteFile(filepath.Join(td, "task.json"), []byte(cfg), 0o644); err != nil {
		return 0, 0, err
	}
	flops, prev := 0.0, float64(o.cols)
	for i := 0; i <= o.layers; i++ {
		next := float64(o.width)
		if i == o.layers {
			next = float64(o.classes)
		}
		flops += 2 * prev * next
		prev = next
	}
	return flops, len(onnx), nil
}

// tableSQL generates t(id, f0..fk-1): deterministic values in [-1, 1) from hash().
func tableSQL(o options) string {
	var b strings.Builder
	fmt.Fprintf(&b, "CREATE TABLE t AS SELECT range AS id")
	for j := range o.cols {
		fmt.Fprintf(&b, ", (hash(range * %d + %d) %% 2000003)::FLOAT / 1000001.5 - 1 AS f%d", o.cols, j, j)
	}
	fmt.Fprintf(&b, " FROM range(%d)", o.rows)
	return b.String()
}

type pred struct {
	class string
	conf  float64
}

// predictRows runs ml_predict over input on device and returns id → prediction.
func predictRows(ctx context.Context, db *sql.DB, input, device string, mpg, batch int) (map[int64]pred, float64, error) {
	q := fmt.Sprintf("SELECT id, predicted_class, confidence FROM ml_predict('%s', '%s', device := '%s', batch_size := %d%s)",
		taskName, strings.ReplaceAll(input, "'", "''"), device, batch, mpgArg(mpg))
	t := time.Now()
	rows, err := db.QueryContext(ctx, q)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	out := map[int64]pred{}
	for rows.Next() {
		var id int64
		var cls, conf sql.NullString
		if err := rows.Scan(&id, &cls, &conf); err != nil {
			return nil, 0, err
		}
		f, err := strconv.ParseFloat(conf.String, 64)
		if err != nil {
			f = math.NaN()
		}
		out[id] = pred{class: cls.String, conf: f}
	}
	if err := rows.Err(); err != nil {
		return nil, 0, err
	}
	return out, time.Since(t).Seconds(), nil
}

func mpgArg(mpg int) string {
	if mpg <= 0 {
		return ""
	}
	return fmt.Sprintf(", models_per_gpu := %d", mpg)
}

type comparison struct {
	n, agree, missing, nan int
	maxDiff, meanDiff      float64
}

func (c comparison) agreeShare() float64 {
	if c.n == 0 {
		return 0
	}
	return float64(c.agree) / float64(c.n)
}

func compare(ref, got map[int64]pred) comparison {
	var c comparison
	sum := 0.0
	for id, r := range ref {
		g, ok := got[id]
		if !ok {
			c.missing++
			continue
		}
		c.n++
		if g.class == r.class {
			c.agree++
		}
		d := math.Abs(g.conf - r.conf)
		if math.IsNaN(d) {
			c.nan++
			continue
		}
		sum += d
		c.maxDiff = math.Max(c.maxDiff, d)
	}
	if c.n > 0 {
		c.meanDiff = sum / float64(c.n)
	}
	return c
}

type tput struct {
	device               string
	mpg, passes          int
	rows                 int64
	secs, warm           float64
	utilMean, memMean    float64
	utilMax              uint32
	samples, busySamples int
	classes              int
}

func (r tput) line(flops float64) string {
	rate := float64(r.rows) / r.secs
	s := fmt.Sprintf("%s", r.device)
	if r.mpg > 0 {
		s += fmt.Sprintf(" models_per_gpu=%d", r.mpg)
	}
	s += fmt.Sprintf(": %.0f rows/s (%d passes, %d rows in %.2fs; %.1f TFLOP/s model math; first pass %.2fs)",
		rate, r.passes, r.rows, r.secs, rate*flops/1e12, r.warm)
	if r.samples > 0 {
		s += fmt.Sprintf("; GPU util mean %.0f%% max %d%% (≥90%% in %d/%d samples), mem-controller mean %.0f%%",
			r.utilMean, r.utilMax, r.busySamples, r.samples, r.memMean)
	}
	return s
}

// throughput runs one untimed pass (loads the sessions), then timed passes until
// o.seconds have passed, sampling NVML utilisation of every GPU every 100 ms.
func throughput(ctx context.Context, db *sql.DB, o options, device string, mpg int, inv gpu.Inventory) (tput, error) {
	r := tput{device: device, mpg: mpg}
	q := fmt.Sprintf("SELECT predicted_class, count(*) FROM ml_predict('%s', 't', device := '%s', batch_size := %d%s) GROUP BY ALL",
		taskName, device, o.batch, mpgArg(mpg))
	pass := func() (int64, int, error) {
		rows, err := db.QueryContext(ctx, q)
		if err != nil {
			return 0, 0, err
		}
		defer rows.Close()
		var total int64
		classes := 0
		for rows.Next() {
			var cls sql.NullString
			var n int64
			if err := rows.Scan(&cls, &n); err != nil {
				return 0, 0, err
			}
			total += n
			classes++
		}
		return total, classes, rows.Err()
	}
	t := time.Now()
	n, _, err := pass()
	if err != nil {
		return r, fmt.Errorf("%s models_per_gpu=%d: %w", device, mpg, err)
	}
	r.warm = time.Since(t).Seconds()
	if n != int64(o.rows) {
		return r, fmt.Errorf("%s models_per_gpu=%d: a pass returned %d rows, want %d", device, mpg, n, o.rows)
	}

	stop := make(chan struct{})
	var wg sync.WaitGroup
	var utils, mems []uint32
	if device == "cuda" && len(inv.GPUs) > 0 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tick := time.NewTicker(100 * time.Millisecond)
			defer tick.Stop()
			for {
				select {
				case <-stop:
					return
				case <-tick.C:
					for _, d := range inv.GPUs {
						if g, m, err := gpu.Utilization(d.NVMLIndex); err == nil {
							utils = append(utils, g)
							mems = append(mems, m)
						}
					}
				}
			}
		}()
	}
	t = time.Now()
	for r.passes == 0 || time.Since(t).Seconds() < o.seconds {
		n, classes, err := pass()
		if err != nil {
			close(stop)
			wg.Wait()
			return r, fmt.Errorf("%s models_per_gpu=%d: %w", device, mpg, err)
		}
		r.rows += n
		r.classes = classes
		r.passes++
	}
	r.secs = time.Since(t).Seconds()
	close(stop)
	wg.Wait()
	r.samples = len(utils)
	for i, u := range utils {
		r.utilMean += float64(u)
		r.memMean += float64(mems[i])
		r.utilMax = max(r.utilMax, u)
		if u >= 90 {
			r.busySamples++
		}
	}
	if r.samples > 0 {
		r.utilMean /= float64(r.samples)
		r.memMean /= float64(r.samples)
	}
	return r, nil
}

// printQuery prints a small result as aligned text.
func printQuery(ctx context.Context, db *sql.DB, q string) error {
	rows, err := db.QueryContext(ctx, q)
	if err != nil {
		return err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return err
	}
	table := [][]string{cols}
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
		line := make([]string, len(cols))
		for i, v := range vals {
			if v == nil {
				line[i] = "NULL"
			} else {
				line[i] = fmt.Sprint(v)
			}
		}
		table = append(table, line)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	width := make([]int, len(cols))
	for _, l := range table {
		for i, c := range l {
			width[i] = max(width[i], len([]rune(c)))
		}
	}
	for _, l := range table {
		parts := make([]string, len(l))
		for i, c := range l {
			if i == len(l)-1 {
				parts[i] = c
			} else {
				parts[i] = c + strings.Repeat(" ", width[i]-len([]rune(c)))
			}
		}
		fmt.Println(strings.Join(parts, " | "))
	}
	return nil
}
