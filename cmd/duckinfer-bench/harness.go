package main

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/duckinfer/duckinfer/extension"
	"github.com/duckinfer/duckinfer/internal/models"
)

// bench is one opened database: an in-memory DuckDB with duckinfer's functions and the
// generated table file attached read-only as "d", so results (CREATE TABLE out) go to
// memory and the data files never change. All statements run on one connection, so
// SET threads applies to every measured query.
type bench struct {
	c    *extension.Connector
	db   *sql.DB
	conn *sql.Conn
}

func openBench(path string, opts ...extension.Option) (*bench, error) {
	c, err := extension.NewConnector("", opts...)
	if err != nil {
		return nil, err
	}
	db := sql.OpenDB(c)
	conn, err := db.Conn(context.Background())
	if err != nil {
		db.Close()
		return nil, err
	}
	b := &bench{c: c, db: db, conn: conn}
	if path != "" {
		if err := b.exec(fmt.Sprintf(`ATTACH '%s' AS d (READ_ONLY)`, path)); err != nil {
			b.Close()
			return nil, err
		}
	}
	return b, nil
}

func (b *bench) Close() {
	b.conn.Close()
	b.db.Close()
}

func (b *bench) exec(q string) error {
	_, err := b.conn.ExecContext(context.Background(), q)
	if err != nil {
		return fmt.Errorf("%s: %w", oneLine(q), err)
	}
	return nil
}

// timeQuery runs q, reads every result row, and returns the wall time and the first
// row's values as text.
func (b *bench) timeQuery(q string) (time.Duration, []string, error) {
	start := time.Now()
	rows, err := b.conn.QueryContext(context.Background(), q)
	if err != nil {
		return 0, nil, fmt.Errorf("%s: %w", oneLine(q), err)
	}
	cols, _ := rows.Columns()
	var first []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			rows.Close()
			return 0, nil, err
		}
		if first == nil {
			for _, v := range vals {
				first = append(first, fmt.Sprint(v))
			}
		}
	}
	if err := rows.Err(); err != nil {
		rows.Close()
		return 0, nil, fmt.Errorf("%s: %w", oneLine(q), err)
	}
	rows.Close()
	return time.Since(start), first, nil
}

func (b *bench) threads(n int) error { return b.exec(fmt.Sprintf("SET threads = %d", n)) }

// loadTexts reads the text column into Go, in table order.
func (b *bench) loadTexts(table string) ([]string, error) {
	rows, err := b.conn.QueryContext(context.Background(), "SELECT text FROM "+table)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// direct runs texts through the sentiment model with the models package only:
// goroutines each own a session (intra-op threads each) and feed it batches of
// batchSize consecutive texts of their share. Sessions are loaded and warmed
// before the clock starts.
type direct struct {
	pool *models.Pool
	task *models.Task
}

func newDirect(taskName string, taskDirs ...string) (*direct, error) {
	reg, err := models.NewRegistry(taskDirs...)
	if err != nil {
		return nil, err
	}
	t, err := reg.Lookup(taskName)
	if err != nil {
		return nil, err
	}
	return &direct{pool: models.NewPool(models.FlavorCPU), task: t}, nil
}

func (d *direct) Close() { _ = d.pool.Close() }

// load puts texts into the task's input and result storage, as the core does per chunk.
func (d *direct) load(texts []string) ([]models.InputData, models.OutputData, error) {
	in := d.task.NewInputs()
	valid := make([]bool, len(texts))
	col := &models.Values{ColName: "text", Strs: texts}
	if err := in[0].Load([]models.Column{col}, len(texts), valid, func(int, error) {}); err != nil {
		return nil, nil, err
	}
	out := d.task.NewOutput()
	out.Reset(len(texts))
	return in, out, nil
}

func (d *direct) run(texts []string, batchSize, goroutines, intra int) (time.Duration, error) {
	ctx := context.Background()
	sess := make([]*models.Session, goroutines)
	for g := range sess {
		s, err := d.pool.Session(context.Background(), d.task, models.Placement{Device: "cpu", Instance: g, Threads: intra})
		if err != nil {
			return 0, err
		}
		warm := texts[:min(batchSize, len(texts))]
		in, out, err := d.load(warm)
		if err != nil {
			return 0, err
		}
		if err := s.Predict(ctx, in, 0, len(warm), out); err != nil {
			return 0, err
		}
		sess[g] = s
	}
	// Each goroutine's rows are loaded into the model's input form before the clock
	// starts: the baseline is the model calls alone.
	n := len(texts)
	ins := make([][]models.InputData, goroutines)
	outs := make([]models.OutputData, goroutines)
	for g := range goroutines {
		var err error
		if ins[g], outs[g], err = d.load(texts[g*n/goroutines : (g+1)*n/goroutines]); err != nil {
			return 0, err
		}
	}
	var wg sync.WaitGroup
	errs := make([]error, goroutines)
	start := time.Now()
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m := (g+1)*n/goroutines - g*n/goroutines
			for lo := 0; lo < m; lo += batchSize {
				hi := min(lo+batchSize, m)
				if err := sess[g].Predict(ctx, ins[g], lo, hi, outs[g]); err != nil {
					errs[g] = err
					return
				}
			}
		}()
	}
	wg.Wait()
	el := time.Since(start)
	for _, err := range errs {
		if err != nil {
			return 0, err
		}
	}
	return el, nil
}

// cpuNow is the process's user+system CPU time so far (all threads, DuckDB's and ORT's
// included). CPU per row is far less disturbed by other load on a shared machine than
// wall time, so it is printed beside the throughputs.
func cpuNow() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func usPerRow(d time.Duration, n int) float64 { return d.Seconds() * 1e6 / float64(n) }

func median(ds []time.Duration) time.Duration {
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	if len(s) == 0 {
		return 0
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// fastest is the shortest of ds.
func fastest(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	return slices.Min(ds)
}

func fmtDurs(ds []time.Duration) string {
	parts := make([]string, len(ds))
	for i, d := range ds {
		parts[i] = fmt.Sprintf("%.3f", d.Seconds())
	}
	return strings.Join(parts, " ")
}

func oneLine(q string) string {
	return strings.Join(strings.Fields(q), " ")
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "[%s] %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
}

func rate(n int, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return float64(n) / d.Seconds()
}

// result is one printed line of the results table.
type result struct {
	Section string
	Name    string
	Rows    int
	Times   []time.Duration
	Figure  string // the headline figure, e.g. "412k rows/s"
	Command string
}

type report struct {
	mu      sync.Mutex
	results []result
	targets []string
}

func (r *report) add(res result) {
	r.mu.Lock()
	r.results = append(r.results, res)
	r.mu.Unlock()
	logf("%-12s %-34s %s  (runs s: %s)", res.Section, res.Name, res.Figure, fmtDurs(res.Times))
}

func (r *report) target(name string, ratio float64, op string, value float64, unit string) {
	ok := false
	switch op {
	case ">=":
		ok = ratio >= value
	case "<=":
		ok = ratio <= value
	}
	verdict := "FAIL"
	if ok {
		verdict = "PASS"
	}
	r.targets = append(r.targets, fmt.Sprintf("%s %.3f target %s %.2f%s %s", name, ratio, op, value, unit, verdict))
}

func (r *report) print(footer string) {
	w := os.Stdout
	fmt.Fprintf(w, "\n%-12s | %-36s | %10s | %-22s | %-28s | %s\n", "section", "measurement", "rows", "figure", "runs (s)", "command")
	fmt.Fprintln(w, strings.Repeat("-", 160))
	for _, res := range r.results {
		rows := ""
		if res.Rows > 0 {
			rows = fmt.Sprint(res.Rows)
		}
		fmt.Fprintf(w, "%-12s | %-36s | %10s | %-22s | %-28s | %s\n", res.Section, res.Name, rows, res.Figure, fmtDurs(res.Times), oneLine(res.Command))
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, footer)
	for _, t := range r.targets {
		fmt.Fprintln(w, t)
	}
}
