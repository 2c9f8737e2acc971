// Command duckinfer-bench measures duckinfer against its performance targets.
//
//	go run ./cmd/duckinfer-bench [-rows 1000000,10000000] [-dir bench-data] [-quick] [-run list]
//
// It generates DuckDB table files of realistic review text once (bench-data/, reused
// by later runs), runs every measurement, prints a results table with the SQL (or Go
// call) behind each figure, and ends with one line per target:
//
//	<name> <ratio> target <op> <value> PASS|FAIL
//
// The smaller table size feeds targets 1–3 and the sweeps; memory_flat compares the
// smaller and the larger; cold_start uses a 1 000-row table. Memory and cold-start
// figures come from child processes (this binary re-executed with -child).
//
// On the 2-core development machine a -quick run took about 1.5 minutes and a full
// run about 10 minutes, plus about 1 minute the first time to generate the 10 M-row
// table (650 MB). Wall-clock ratios need an otherwise idle machine: the "ceiling" and
// "CPU/row" lines show how much other load disturbed a run.
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"time"
)

var (
	rowsFlag   = flag.String("rows", "", "table sizes, comma separated (default 1000000,10000000; with -quick 200000,1000000)")
	dirFlag    = flag.String("dir", "bench-data", "folder for the generated table files (reused between runs)")
	quickFlag  = flag.Bool("quick", false, "small tables and fewer repetitions: a full run in a few minutes")
	repsFlag   = flag.Int("reps", 0, "repetitions per timed comparison (default 3, -quick 3)")
	runFlag    = flag.String("run", "all", "comma list of: efficiency, passthrough, scaling, memory, cold, sweeps")
	dataFlag   = flag.String("data", "lib/data", "folder filled by scripts/setup-data.sh")
	tasksFlag  = flag.String("tasks", "testdata/tasks", "extra task folder holding the noop task")
	ptThreads  = flag.Int("passthrough-threads", 0, "SET threads for the passthrough comparison (default: DuckDB's default, one per core)")
	cpuProfile = flag.String("cpuprofile", "", "write a CPU profile of the parent process to this file")

	childFlag    = flag.String("child", "", "internal: run one measurement in this process (mem-scan, mem-predict, cold; ctas, ctas-noop, ctas-base, sql and direct for profilers)")
	childDB      = flag.String("db", "", "table file for -child (default: the smallest table of -dir and -rows, as the bench leaves it)")
	childSQL     = flag.String("sql", "", "internal: the statement -child sql times (a CREATE TEMP TABLE sink AS … is dropped after each run)")
	childThreads = flag.Int("child-threads", 1, "internal: SET threads for -child ctas, ctas-noop, ctas-base and sql")
	childReps    = flag.Int("child-reps", 3, "internal: repetitions of -child ctas and -child direct")
)

func main() {
	flag.Parse()
	if *childFlag != "" {
		db, err := childTable()
		if err == nil {
			err = runChild(*childFlag, db)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "child:", err)
			os.Exit(1)
		}
		return
	}
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "duckinfer-bench:", err)
		os.Exit(1)
	}
}

type cfg struct {
	small, large int
	reps         int
	paths        map[int]string
	rep          *report
}

// tableSizes returns the table sizes -rows and -quick ask for, smallest first.
func tableSizes() ([]int, error) {
	sizes := []int{1_000_000, 10_000_000}
	if *quickFlag {
		sizes = []int{200_000, 1_000_000}
	}
	if *rowsFlag != "" {
		sizes = nil
		for _, f := range strings.Split(*rowsFlag, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(strings.ReplaceAll(f, "_", "")))
			if err != nil || n < 1 {
				return nil, fmt.Errorf("-rows: bad size %q", f)
			}
			sizes = append(sizes, n)
		}
	}
	slices.Sort(sizes)
	return sizes, nil
}

// childTable is the table file a -child run attaches as d: -db, else the smallest
// table a bench run with the same -dir, -rows and -quick left there, which is the
// one the parent's comparisons use.
func childTable() (string, error) {
	if *childDB != "" {
		return *childDB, nil
	}
	sizes, err := tableSizes()
	if err != nil {
		return "", err
	}
	p := tablePath(*dirFlag, sizes[0])
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("-child reads the table of %d rows in %s (%w); run the bench once to make it (`make bench`, or the same -dir and -rows without -child), or name a table file with -db", sizes[0], *dirFlag, err)
	}
	return p, nil
}

func run() error {
	start := time.Now()
	sizes, err := tableSizes()
	if err != nil {
		return err
	}
	c := &cfg{small: sizes[0], large: sizes[len(sizes)-1], reps: 3, paths: map[int]string{}, rep: &report{}}
	if *repsFlag > 0 {
		c.reps = *repsFlag
	}
	want := map[string]bool{}
	for _, s := range strings.Split(*runFlag, ",") {
		want[strings.TrimSpace(s)] = true
	}
	on := func(s string) bool { return want["all"] || want[s] }

	sents, err := loadSentences(*dataFlag)
	if err != nil {
		return err
	}
	for _, n := range append(slices.Clone(sizes), 1000) {
		p, err := ensureTable(*dirFlag, n, sents)
		if err != nil {
			return err
		}
		c.paths[n] = p
	}
	logf("tables ready (%.1f s); sizes %v, reps %d", time.Since(start).Seconds(), sizes, c.reps)

	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer func() { pprof.StopCPUProfile(); f.Close() }()
	}
	steps := []struct {
		name string
		fn   func(*cfg) error
	}{
		{"efficiency", modelEfficiency},
		{"passthrough", passthrough},
		{"scaling", threadScaling},
		{"memory", memoryFlat},
		{"cold", coldStart},
		{"sweeps", sweeps},
	}
	for _, s := range steps {
		if !on(s.name) {
			continue
		}
		t0 := time.Now()
		if err := s.fn(c); err != nil {
			return fmt.Errorf("%s: %w", s.name, err)
		}
		logf("%s done in %.1f s", s.name, time.Since(t0).Seconds())
	}
	c.rep.print(fmt.Sprintf("# total %.1f s (sizes %v, reps %d, GOMAXPROCS %d)", time.Since(start).Seconds(), sizes, c.reps, runtime.GOMAXPROCS(0)))
	return nil
}
