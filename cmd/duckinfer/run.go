package main

// The batch subcommands: `duckinfer run` scores one shard of a file dataset into an
// output folder (see internal/batch), `duckinfer verify` checks such a folder.

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"github.com/duckinfer/duckinfer/extension"
	"github.com/duckinfer/duckinfer/internal/batch"
)

// subcommand runs `duckinfer run|verify ...` and reports whether args named one. A
// database file called "run" or "verify" opens as ./run.
func subcommand(args []string, stdout, stderr io.Writer) (int, bool) {
	if len(args) == 0 {
		return 0, false
	}
	switch args[0] {
	case "run":
		return batchRun(args[1:], stdout, stderr), true
	case "verify":
		return batchVerify(args[1:], stdout, stderr), true
	}
	return 0, false
}

// batchList is a repeatable flag whose values may also be comma lists.
type batchList []string

func (l *batchList) String() string { return strings.Join(*l, ",") }

func (l *batchList) Set(v string) error {
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			*l = append(*l, p)
		}
	}
	return nil
}

// batchRepeat is a repeatable flag taken whole (an -input glob may hold a comma).
type batchRepeat []string

func (l *batchRepeat) String() string { return strings.Join(*l, " ") }
func (l *batchRepeat) Set(v string) error {
	*l = append(*l, v)
	return nil
}

type batchFlags struct {
	fs       *flag.FlagSet
	input    batchRepeat
	table    string
	output   string
	models   batchList
	unitRows int64
	threads  int
}

func newBatchFlags(name string, stderr io.Writer, usage string) *batchFlags {
	f := &batchFlags{fs: flag.NewFlagSet("duckinfer "+name, flag.ContinueOnError)}
	f.fs.SetOutput(stderr)
	f.fs.Var(&f.input, "input", "input `GLOB` of Parquet or CSV files (or a DuckDB file, with -table); repeatable; s3:// with httpfs")
	f.fs.StringVar(&f.table, "table", "", "read `TABLE` (or SCHEMA.TABLE; double-quote a name holding a dot: s.\"my.table\") from the DuckDB file named by -input (opened read-only)")
	f.fs.StringVar(&f.output, "output", "", "output `DIR`: one Parquet file per unit, bookkeeping in DIR/_duckinfer")
	f.fs.Var(&f.models, "models", "extra task `DIR`s; repeatable or comma-separated")
	f.fs.Int64Var(&f.unitRows, "unit-rows", 0, fmt.Sprintf("split Parquet files of more than `N` rows at row groups (default: the output folder's job, else %d); every shard must use the same", batch.DefaultUnitRows))
	f.fs.IntVar(&f.threads, "threads", 0, "DuckDB threads (default: all cores; give it the CPUs the scheduler gave the task)")
	f.fs.Usage = func() {
		fmt.Fprint(stderr, usage+"\nflags:\n")
		f.fs.PrintDefaults()
	}
	return f
}

func (f *batchFlags) open(ctx context.Context) (*batch.Session, error) {
	var opts []extension.Option
	if len(f.models) > 0 {
		opts = append(opts, extension.WithTaskDirs(f.models...))
	}
	return batch.Open(ctx, f.threads, opts...)
}

const runUsage = `usage: duckinfer run -task TASK -input GLOB -output DIR [-shard I/N | -shards N] [flags]

Scores shard I of N of the input with ml_predict into DIR: one Parquet file per unit,
each renamed into place when complete, with a manifest. Without -shard the shard comes
from SLURM_ARRAY_TASK_ID (a Slurm job array) or JOB_COMPLETION_INDEX (a Kubernetes
Indexed Job, with -shards). A rerun skips finished units; -plan prints the units and
their shards and exits.
`

func batchRun(args []string, stdout, stderr io.Writer) int {
	f := newBatchFlags("run", stderr, runUsage)
	var o batch.Options
	var shard string
	var shards int
	var columns, extra batchList
	var plan bool
	f.fs.StringVar(&o.Task, "task", "", "the `TASK` to run (see ml_tasks())")
	f.fs.StringVar(&shard, "shard", "", "this process's shard, `I/N` (0-based)")
	f.fs.IntVar(&shards, "shards", 0, "shard count `N`, with the index from SLURM_ARRAY_TASK_ID or JOB_COMPLETION_INDEX")
	f.fs.Var(&columns, "columns", "ml_predict's columns: input `COLUMN`s in the task's input order")
	f.fs.IntVar(&o.BatchSize, "batch-size", 0, "ml_predict's batch_size: rows per model call (default: the task's)")
	f.fs.StringVar(&o.Device, "device", "", "ml_predict's device: auto, cpu or cuda")
	f.fs.Var(&extra, "opt", "any other ml_predict option as `NAME=SQL`, e.g. -opt \"on_error='null'\"; repeatable")
	f.fs.IntVar(&o.Parallel, "parallel", 0, "units scored at once (default: DuckDB's threads)")
	f.fs.BoolVar(&o.Recompute, "recompute", false, "redo units made with another model, task config, options or version instead of refusing, and make this run's the job's fingerprint")
	f.fs.BoolVar(&plan, "plan", false, "print the units and the shard of each, and exit (a dry run)")
	if err := f.fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	usageErr := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "duckinfer run: "+format+"\n", a...)
		return 2
	}
	if f.fs.NArg() > 0 {
		return usageErr("unexpected arguments %q; quote -input globs so the shell does not expand them", f.fs.Args())
	}
	if len(f.input) == 0 {
		return usageErr("-input is required (a glob of Parquet or CSV files)")
	}
	if o.Task == "" {
		return usageErr("-task is required")
	}
	if !plan && f.output == "" {
		return usageErr("-output is required")
	}
	var err error
	switch {
	case shard != "":
		o.Shard, err = batch.ParseShard(shard)
		if err == nil && shards != 0 && shards != o.Shard.Count {
			err = fmt.Errorf("-shard %s and -shards %d disagree", shard, shards)
		}
	case plan && shards > 0 && os.Getenv("SLURM_ARRAY_TASK_ID") == "" && os.Getenv("JOB_COMPLETION_INDEX") == "":
		o.Shard = batch.Shard{Index: 0, Count: shards}
	default:
		o.Shard, err = batch.ShardFromEnv(os.Getenv, shards)
		o.ShardFromEnv = shards == 0
	}
	if err != nil {
		return usageErr("%v", err)
	}
	for _, e := range extra {
		name, val, ok := strings.Cut(e, "=")
		if !ok || strings.TrimSpace(name) == "" {
			return usageErr("-opt %q: write it as NAME=SQL, e.g. on_error='null'", e)
		}
		o.Extra = append(o.Extra, strings.TrimSpace(strings.TrimSuffix(name, ":"))+" := "+strings.TrimSpace(val))
	}
	if f.unitRows == 0 && f.output != "" {
		// A rerun may leave -unit-rows out: the folder's job has it.
		if job, err := batch.ReadJob(f.output); err == nil && job != nil {
			f.unitRows = job.UnitRows
		}
	}
	o.Columns = columns
	o.Input = batch.Input{Patterns: f.input, Table: f.table}
	o.Output = f.output
	o.UnitRows = f.unitRows
	o.Version = batchVersion()
	o.Log = stderr

	// SIGTERM (scancel, a pod's deletion) cancels the running unit's query; its temp
	// file is left for the next run to remove, and nothing is committed.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	s, err := f.open(ctx)
	if err != nil {
		fmt.Fprintln(stderr, "duckinfer run:", err)
		return 1
	}
	defer s.Close()
	units, err := batch.Plan(ctx, s.Conn, o.Input, o.UnitRows)
	if err != nil {
		fmt.Fprintln(stderr, "duckinfer run:", err)
		return 1
	}
	if plan {
		batch.PrintPlan(stdout, units, o.Shard.Count)
		return 0
	}
	start := time.Now()
	rep, err := batch.RunShard(ctx, s, units, o)
	if err != nil {
		fmt.Fprintln(stderr, "duckinfer run:", err)
		return 1
	}
	rate := 0.0
	if rep.Elapsed > 0 {
		rate = float64(rep.Rows) / rep.Elapsed.Seconds()
	}
	fmt.Fprintf(stdout, "shard %s: %d units: %d scored (%d rows, %.0f rows/s), %d finished before; %v\n",
		o.Shard, rep.Units, rep.Done, rep.Rows, rate, rep.Skipped, time.Since(start).Round(time.Millisecond))
	return 0
}

const verifyUsage = `usage: duckinfer verify -output DIR [-input GLOB] [flags]

Checks DIR against its input: every unit present once, input rows = output rows, each
file's size and sha256 as committed, one fingerprint, the job's. Prints a table; exits 1 when anything is wrong. The input, table and unit
size default to those the job recorded in DIR.
`

func batchVerify(args []string, stdout, stderr io.Writer) int {
	f := newBatchFlags("verify", stderr, verifyUsage)
	var shards int
	f.fs.IntVar(&shards, "shards", 0, "shard count `N` for the table's shard column (default: the runs')")
	if err := f.fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if f.output == "" || f.fs.NArg() > 0 {
		fmt.Fprintln(stderr, "duckinfer verify: give the output folder with -output DIR")
		return 2
	}
	job, err := batch.ReadJob(f.output)
	if err != nil {
		fmt.Fprintln(stderr, "duckinfer verify:", err)
		return 1
	}
	in := batch.Input{Patterns: f.input, Table: f.table}
	if job != nil {
		if len(in.Patterns) == 0 {
			in.Patterns, in.Table = job.Patterns, job.Table
		}
		if f.unitRows == 0 {
			f.unitRows = job.UnitRows
		}
	}
	if len(in.Patterns) == 0 {
		fmt.Fprintf(stderr, "duckinfer verify: %s records no job (no shard ran there yet?); give the input with -input\n", f.output)
		return 2
	}
	ctx := context.Background()
	s, err := f.open(ctx)
	if err != nil {
		fmt.Fprintln(stderr, "duckinfer verify:", err)
		return 1
	}
	defer s.Close()
	units, err := batch.Plan(ctx, s.Conn, in, f.unitRows)
	if err != nil {
		fmt.Fprintln(stderr, "duckinfer verify:", err)
		return 1
	}
	if shards == 0 {
		shards = batch.ShardsUsed(f.output)
	}
	v, err := batch.Verify(ctx, s.Conn, in.Patterns, units, shards, f.output)
	if err != nil {
		fmt.Fprintln(stderr, "duckinfer verify:", err)
		return 1
	}
	v.Print(stdout)
	if !v.OK() {
		return 1
	}
	return 0
}

// batchVersion is the version recorded in a batch run's fingerprint.
func batchVersion() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}
