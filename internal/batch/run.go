package batch

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/duckinfer/duckinfer/extension"
	"golang.org/x/sys/unix"
)

// Options describe one shard's run.
type Options struct {
	Task   string
	Input  Input
	Output string // the output folder
	Shard  Shard
	// ShardFromEnv is set when Shard's count came from the cluster engine's
	// environment (a Slurm array's size), not from -shard or -shards: it must then
	// agree with the job's, while an explicit count may reshard.
	ShardFromEnv bool
	UnitRows     int64 // 0: DefaultUnitRows

	// ml_predict's options. Columns and Extra ("name := value" SQL, e.g.
	// "on_error := 'null'") change predictions and are part of the fingerprint;
	// BatchSize (0: the task's) and Device ("" for auto) do not.
	Columns   []string
	BatchSize int
	Device    string
	Extra     []string

	Parallel  int    // units scored at once (0: DuckDB's threads)
	Recompute bool   // redo units whose fingerprint differs instead of refusing
	Version   string // duckinfer's version, part of the fingerprint
	Log       io.Writer
}

// Session is a DuckDB database with duckinfer's functions, for one process's batch work.
type Session struct {
	Connector *extension.Connector
	DB        *sql.DB
	Conn      *sql.Conn
}

// Open starts an in-memory DuckDB with duckinfer's functions; threads > 0 caps its
// worker threads (give it the CPUs the cluster engine gave the task).
func Open(ctx context.Context, threads int, opts ...extension.Option) (*Session, error) {
	c, err := extension.NewConnector("", opts...)
	if err != nil {
		return nil, err
	}
	db := sql.OpenDB(c)
	conn, err := db.Conn(ctx)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("batch: %w", err)
	}
	if threads > 0 {
		if _, err := conn.ExecContext(ctx, fmt.Sprintf("SET threads = %d", threads)); err != nil {
			conn.Close()
			db.Close()
			return nil, fmt.Errorf("batch: %w", err)
		}
	}
	return &Session{Connector: c, DB: db, Conn: conn}, nil
}

// Close closes the connection, the database and the model sessions.
func (s *Session) Close() error {
	err := s.Conn.Close()
	if derr := s.DB.Close(); err == nil {
		err = derr
	}
	return err
}

// Fingerprint is what this run's outputs are made with.
func (s *Session) Fingerprint(o Options) (Fingerprint, error) {
	tf, err := s.Connector.TaskFingerprint(o.Task)
	if err != nil {
		return Fingerprint{}, err
	}
	return Fingerprint{TaskFingerprint: tf, Options: o.predictOptions(true), Version: o.Version}, nil
}

// predictOptions is ml_predict's named parameters as SQL; only those that change
// predictions when fingerprintOnly.
func (o Options) predictOptions(fingerprintOnly bool) string {
	var p []string
	if len(o.Columns) > 0 {
		q := make([]string, len(o.Columns))
		for i, c := range o.Columns {
			q[i] = sqlString(c)
		}
		p = append(p, "columns := ["+strings.Join(q, ", ")+"]")
	}
	p = append(p, o.Extra...)
	if !fingerprintOnly {
		if o.BatchSize > 0 {
			p = append(p, fmt.Sprintf("batch_size := %d", o.BatchSize))
		}
		if o.Device != "" {
			p = append(p, "device := "+sqlString(o.Device))
		}
	}
	return strings.Join(p, ", ")
}

// PredictSQL is the query that scores unit u.
func (o Options) PredictSQL(u Unit) string {
	q := "SELECT * FROM ml_predict(" + sqlString(o.Task) + ", " + sqlString(u.Query())
	if p := o.predictOptions(false); p != "" {
		q += ", " + p
	}
	return q + ")"
}

// Report is what one shard did.
type Report struct {
	Units   int           // units of this shard
	Done    int           // units scored by this run
	Skipped int           // units already finished with this fingerprint
	Rows    int64         // input rows scored by this run
	Elapsed time.Duration // wall time from the first unit taken to the last committed
}

// RunShard scores the shard's units that are not finished yet, Parallel of them at
// once (0: as many as DuckDB has threads: a unit whose file is one row group is
// scanned, and so inferred, by one thread).
//
// Each unit is worked on under its lock. Units another process holds (a duplicate
// pod, a rerun started while the first still runs) are left for the end, when this
// run waits for each lock and checks again: the other process either finished the
// unit (skipped here) or died (redone here). So a shard that exits 0 has all its
// units committed.
func RunShard(ctx context.Context, s *Session, plan []Unit, o Options) (Report, error) {
	var rep Report
	if o.Log == nil {
		o.Log = io.Discard
	}
	o.Log = &syncWriter{w: o.Log}
	fp, err := s.Fingerprint(o)
	if err != nil {
		return rep, err
	}
	if strings.Contains(o.Output, "://") {
		return rep, fmt.Errorf("batch: -output %s is a URL; the output folder must be a shared POSIX file system (atomic rename, flock). Write to one and copy it to object storage after verify passes", o.Output)
	}
	l := layout{o.Output}
	if err := l.create(); err != nil {
		return rep, err
	}
	if err := claimJob(l, Job{Task: o.Task, Patterns: o.Input.Patterns, Table: o.Input.Table, UnitRows: o.UnitRows, Units: len(plan), Plan: PlanHash(plan), Files: inputFiles(plan),
		Fingerprint: &fp, Shards: o.Shard.Count}); err != nil {
		return rep, err
	}
	if err := checkFingerprints(l, fp, o.Recompute); err != nil {
		return rep, err
	}
	if err := claimRun(ctx, l, fp, o); err != nil {
		return rep, err
	}
	if o.Input.Table != "" && len(plan) > 0 {
		// ATTACH is database-wide: every connection of the pool sees it.
		if err := attachSource(ctx, s.Conn, plan[0].Path); err != nil {
			return rep, err
		}
	}
	shards := Assign(plan, o.Shard.Count)
	var mine []Unit
	for i, u := range plan {
		if shards[i] == o.Shard.Index {
			mine = append(mine, u)
		}
	}
	rep.Units = len(mine)
	fmt.Fprintf(o.Log, "shard %s: %d of %d units; fingerprint task %s\n", o.Shard, len(mine), len(plan), fpKey(fp))

	workers := o.Parallel
	if workers <= 0 {
		if err := s.Conn.QueryRowContext(ctx, "SELECT current_setting('threads')::BIGINT").Scan(&workers); err != nil {
			return rep, fmt.Errorf("batch: %w", err)
		}
	}
	workers = max(1, min(workers, len(mine)))
	start := time.Now()
	var mu sync.Mutex
	var busy []Unit
	// First pass: units no one else holds; then the others, waiting for their locks.
	err = s.pool(ctx, workers, mine, func(conn *sql.Conn, u Unit) error {
		lk, err := lockUnit(ctx, l.lock(u.ID), false)
		if err != nil || lk == nil {
			if err == nil {
				fmt.Fprintf(o.Log, "unit %s: another process holds it; coming back to it at the end\n", u.ID)
				mu.Lock()
				busy = append(busy, u)
				mu.Unlock()
			}
			return err
		}
		defer lk.unlock()
		return s.unit(ctx, conn, l, u, fp, o, &mu, &rep)
	})
	if err == nil {
		err = s.pool(ctx, workers, busy, func(conn *sql.Conn, u Unit) error {
			lk, err := lockUnit(ctx, l.lock(u.ID), true)
			if err != nil {
				return err
			}
			defer lk.unlock()
			return s.unit(ctx, conn, l, u, fp, o, &mu, &rep)
		})
	}
	rep.Elapsed = time.Since(start)
	return rep, err
}

// pool runs fn over units on up to workers connections at once; the first error
// stops the others from taking new units.
func (s *Session) pool(ctx context.Context, workers int, units []Unit, fn func(*sql.Conn, Unit) error) error {
	if len(units) == 0 {
		return nil
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	next := make(chan Unit)
	var wg sync.WaitGroup
	var once sync.Once
	var first error
	for w := range workers {
		conn := s.Conn
		if w > 0 {
			c, err := s.DB.Conn(ctx)
			if err != nil {
				cancel()
				wg.Wait()
				return fmt.Errorf("batch: %w", err)
			}
			defer c.Close()
			conn = c
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for u := range next {
				if err := fn(conn, u); err != nil {
					once.Do(func() { first = err; cancel() })
				}
			}
		}()
	}
feed:
	for _, u := range units {
		select {
		case next <- u:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if first == nil && ctx.Err() != nil {
		first = fmt.Errorf("batch: %w", ctx.Err())
	}
	return first
}

// syncWriter serialises log lines from concurrent units.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (w *syncWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.w.Write(p)
}

// checkFingerprints refuses an output folder holding units made with another
// fingerprint, unless recompute: mixing them would give a result no one model made.
func checkFingerprints(l layout, fp Fingerprint, recompute bool) error {
	ms, _, err := l.allManifests()
	if err != nil {
		return err
	}
	var other []string
	var diff string
	for id, m := range ms {
		if d := m.Fingerprint.Diff(fp); d != "" {
			other = append(other, id)
			diff = d
		}
	}
	if len(other) == 0 || recompute {
		return nil
	}
	sort.Strings(other)
	return fmt.Errorf("batch: %w: %d finished units in %s (e.g. %s) differ from this run in %s; rerun with -recompute to redo them with this model, or write to another -output folder",
		ErrFingerprint, len(other), l.dir, other[0], diff)
}

// unit scores u unless it is finished; the caller holds u's lock.
func (s *Session) unit(ctx context.Context, conn *sql.Conn, l layout, u Unit, fp Fingerprint, o Options, mu *sync.Mutex, rep *Report) error {
	hooks.startUnit(o.Shard.Index, u.ID)
	out := l.output(u.ID)
	if err := cleanTemp(l, u.ID); err != nil {
		return err
	}
	m, err := l.readManifest(u.ID)
	if err != nil {
		return err
	}
	// A manifest that records the input it read (this version on) must have read the
	// file as it is: a job started afresh over a rewritten file must redo its units.
	if m != nil && !m.sameInput(u) {
		fmt.Fprintf(o.Log, "unit %s: finished on another version of its input file (%d bytes modified %s); redoing it\n", u.ID, m.InputSize, time.Unix(0, m.InputModNs).UTC().Format(time.RFC3339Nano))
	} else if m != nil && m.Fingerprint.Diff(fp) == "" && (u.Rows < 0 || m.InputRows == u.Rows) {
		if n, err := parquetRows(ctx, conn, out); err == nil && n == m.OutputRows && m.sameOutput(out) {
			mu.Lock()
			rep.Skipped++
			mu.Unlock()
			fmt.Fprintf(o.Log, "unit %s: finished before (%d rows), skipped\n", u.ID, n)
			return nil
		}
		fmt.Fprintf(o.Log, "unit %s: manifest without a matching output file; redoing it\n", u.ID)
	} else if m != nil && u.Rows >= 0 && m.InputRows != u.Rows {
		fmt.Fprintf(o.Log, "unit %s: finished on %d input rows, the input has %d now; redoing it\n", u.ID, m.InputRows, u.Rows)
	}
	if m != nil && !o.Recompute {
		if d := m.Fingerprint.Diff(fp); d != "" {
			// Written by another run since this one checked the folder.
			return fmt.Errorf("batch: %w: unit %s was finished by another run with %s; rerun with -recompute, or write to another -output folder", ErrFingerprint, u.ID, d)
		}
	}
	if m != nil {
		// Unfinished until the new manifest lands: a crash while redoing must not
		// leave the old manifest claiming the new output.
		if err := os.Remove(l.manifest(u.ID)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("batch: removing the old manifest of unit %s: %w", u.ID, err)
		}
		if err := syncDir(l.manifests()); err != nil {
			return err
		}
	}
	hooks.at(stageRead)
	if err := checkUnchanged(ctx, conn, u, "before the unit's query"); err != nil {
		return fmt.Errorf("batch: unit %s: %w", u.ID, err)
	}

	start := time.Now()
	inRows := u.Rows
	if inRows < 0 {
		if err := conn.QueryRowContext(ctx, "SELECT count(*) FROM ("+u.Query()+")").Scan(&inRows); err != nil {
			return fmt.Errorf("batch: counting the rows of unit %s (%s): %w", u.ID, u.Path, err)
		}
	}
	tmp, err := tempOutput(l, u.ID)
	if err != nil {
		return fmt.Errorf("batch: unit %s: creating its temp file: %w; check -output is writable", u.ID, err)
	}
	var kv []string
	for _, p := range fp.kv(u.ID) {
		kv = append(kv, sqlIdent(p[0])+": "+sqlString(p[1]))
	}
	scored := o.PredictSQL(u)
	casts, err := hugeintCasts(ctx, conn, u)
	if err != nil {
		return err
	}
	if casts != "" {
		scored = "SELECT * REPLACE (" + casts + ") FROM (" + scored + ")"
	}
	// USE_TMP_FILE false: tmp exists (CreateTemp), and DuckDB would otherwise write a
	// tmp_ file beside it, which cleanTemp's ID.* does not match.
	copySQL := "COPY (" + scored + ") TO " + sqlString(tmp) + " (FORMAT parquet, USE_TMP_FILE false, KV_METADATA {" + strings.Join(kv, ", ") + "})"

	var inferred atomic.Int64
	stop := watch(tmp, &inferred)
	res, err := conn.ExecContext(extension.CountRows(ctx, &inferred), copySQL)
	stop()
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("batch: scoring unit %s (%s): %w", u.ID, u.Path, err)
	}
	// Rewritten during the query, the output may hold rows of either version, or both.
	if err := checkUnchanged(ctx, conn, u, "after the unit's query"); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("batch: unit %s: %w", u.ID, err)
	}
	outRows, err := res.RowsAffected()
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("batch: unit %s: %w", u.ID, err)
	}
	if outRows != inRows {
		os.Remove(tmp)
		return fmt.Errorf("batch: unit %s: read %d rows but wrote %d; the input changed while the job ran? rerun the shard", u.ID, inRows, outRows)
	}
	// The query looked the task up itself: if the model or config changed meanwhile,
	// the file may not be what fp says.
	if now, err := s.Fingerprint(o); err != nil || now.Diff(fp) != "" {
		os.Remove(tmp)
		if err == nil {
			err = fmt.Errorf("%w: %s", ErrFingerprint, now.Diff(fp))
		}
		return fmt.Errorf("batch: unit %s: the task changed while the shard ran (%v); rerun the shard", u.ID, err)
	}
	// The manifest records the file's size and sha256 (read back after the sync, so
	// as the disk has it): verify and a rerun's skip check the data pages too, not
	// only the footer's row count.
	outSize, outSum, err := hashFile(tmp, true)
	if err != nil {
		return fmt.Errorf("batch: unit %s: syncing and reading back %s: %w; check the output folder's disk", u.ID, tmp, err)
	}
	if err := ctx.Err(); err != nil {
		// Cancelled (SIGTERM: scancel, a pod's deletion) while the query finished:
		// nothing new is committed, as for a query the cancel stopped; the temp
		// file is left for the next run to remove.
		return fmt.Errorf("batch: unit %s: %w", u.ID, err)
	}
	// The commit checks the job is still scored with fp and holds the job lock
	// shared until its manifest is written, so a -recompute run that replaces the
	// job's fingerprint (exclusively) cannot do so between this check and the commit.
	jl, err := lockJob(ctx, l, unix.LOCK_SH)
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("batch: unit %s: %w", u.ID, err)
	}
	defer jl.unlock()
	if err := checkJobFingerprint(l, fp); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("batch: unit %s not committed: %w", u.ID, err)
	}
	hooks.at(stageRename)
	if err := os.Rename(tmp, out); err != nil {
		return fmt.Errorf("batch: unit %s: renaming its output into place: %w", u.ID, err)
	}
	if err := syncDir(l.dir); err != nil {
		return err
	}
	hooks.at(stageManifest)
	host, _ := os.Hostname()
	// The input as checkUnchanged found it, before and after the query.
	nm := Manifest{Unit: u, Output: filepath.Base(out), InputRows: inRows, OutputRows: outRows, InputSize: u.Size, InputModNs: u.ModNs,
		OutputSize: outSize, OutputSHA256: outSum, Fingerprint: fp,
		Shard: o.Shard.String(), Host: host, PID: os.Getpid(), Started: start.UTC(), Finished: time.Now().UTC()}
	b, err := json.MarshalIndent(nm, "", "  ")
	if err != nil {
		return err
	}
	if err := writeAtomic(l.tmp(), l.manifest(u.ID), b, stageManifestWrite); err != nil {
		return fmt.Errorf("batch: unit %s: writing its manifest: %w", u.ID, err)
	}
	mu.Lock()
	rep.Done++
	rep.Rows += inRows
	mu.Unlock()
	took := time.Since(start)
	fmt.Fprintf(o.Log, "unit %s: %d rows in %v (%.0f rows/s)\n", u.ID, inRows, took.Round(time.Millisecond), float64(inRows)/took.Seconds())
	return nil
}

// hugeintCasts is the REPLACE list that writes u's HUGEINT and UHUGEINT columns as
// VARCHAR ("" when it has none). DuckDB's Parquet writer stores them as DOUBLE, which
// keeps 53 bits: distinct keys would come out equal, and the predictions could not be
// joined back. A nested type holding one is refused rather than written lossily.
func hugeintCasts(ctx context.Context, conn *sql.Conn, u Unit) (string, error) {
	rows, err := conn.QueryContext(ctx, "SELECT column_name, column_type FROM (DESCRIBE "+u.Query()+")")
	if err != nil {
		return "", fmt.Errorf("batch: reading the columns of unit %s (%s): %w", u.ID, u.Path, err)
	}
	defer rows.Close()
	var casts []string
	for rows.Next() {
		var name, typ string
		if err := rows.Scan(&name, &typ); err != nil {
			return "", fmt.Errorf("batch: reading the columns of unit %s (%s): %w", u.ID, u.Path, err)
		}
		switch {
		case typ == "HUGEINT" || typ == "UHUGEINT":
			casts = append(casts, "CAST("+sqlIdent(name)+" AS VARCHAR) AS "+sqlIdent(name))
		case hugeintIn.MatchString(typ):
			return "", fmt.Errorf("batch: unit %s (%s): column %q is %s, which holds HUGEINT or UHUGEINT values; Parquet cannot store those, and DuckDB would write them as DOUBLE, losing digits. Score a copy of the input with that column cast (to VARCHAR, or to a type of at most 64 bits if its values fit)", u.ID, u.Path, name, typ)
		}
	}
	if err := rows.Err(); err != nil {
		return "", fmt.Errorf("batch: reading the columns of unit %s (%s): %w", u.ID, u.Path, err)
	}
	return strings.Join(casts, ", "), nil
}

var hugeintIn = regexp.MustCompile(`\bU?HUGEINT\b`)

// watch fires the inference and write hooks while the unit's query runs: at its first
// inferred rows, at the temp file's first data. When the query ends before either is
// seen (a small unit), the hook fires just after it instead. The returned func stops
// the watch.
func watch(tmp string, inferred *atomic.Int64) func() {
	inf, wr := hooks.armed(stageInference), hooks.armed(stageWrite)
	if !inf && !wr {
		return func() {}
	}
	done := make(chan struct{})
	exited := make(chan struct{})
	var fired bool // a paused process that is continued must not stop again
	go func() {
		defer close(exited)
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
			}
			if inf && inferred.Load() > 0 {
				fired = true
				hooks.fire(stageInference, " (mid-query)")
				return
			}
			// The Parquet writer starts the file with a 4-byte magic; more is data.
			if st, err := os.Stat(tmp); wr && err == nil && st.Size() > 4 {
				fired = true
				hooks.fire(stageWrite, " (mid-query)")
				return
			}
		}
	}()
	return func() {
		close(done)
		<-exited
		if !fired && inf {
			hooks.fire(stageInference, " (after the query: the unit was too quick to catch)")
		}
		if !fired && wr {
			hooks.fire(stageWrite, " (after the query: the unit was too quick to catch)")
		}
	}
}

// tempOutput creates an empty temp file for unit id's output and returns its name:
// one no other process uses, on any host. The PID is not one (every pod's duckinfer
// is PID 1), and two writers of one unit (a lock lost with an NFS lease) must not
// write one file. cleanTemp's ID.* matches it.
func tempOutput(l layout, id string) (string, error) {
	f, err := os.CreateTemp(l.tmp(), id+".*.parquet.tmp")
	if err != nil {
		return "", err
	}
	if err := f.Close(); err != nil {
		os.Remove(f.Name())
		return "", err
	}
	return f.Name(), nil
}

// cleanTemp removes the unit's temp files left by a crashed run; the caller holds
// the unit's lock, so no live process is writing them.
func cleanTemp(l layout, id string) error {
	matches, err := filepath.Glob(globEscape(filepath.Join(l.tmp(), id)) + ".*")
	if err != nil {
		return err
	}
	for _, m := range matches {
		if err := os.Remove(m); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("batch: removing the stale temp file %s: %w", m, err)
		}
	}
	return nil
}

func globEscape(s string) string {
	r := strings.NewReplacer(`*`, `\*`, `?`, `\?`, `[`, `\[`, `\`, `\\`)
	return r.Replace(s)
}

// hashFile returns the file's size and sha256 (hex), syncing it first when sync.
func hashFile(path string, sync bool) (int64, string, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, "", err
	}
	defer f.Close()
	if sync {
		if err := f.Sync(); err != nil {
			return 0, "", err
		}
	}
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return 0, "", err
	}
	return n, hex.EncodeToString(h.Sum(nil)), nil
}

// parquetRows reads a Parquet file's row count from its footer; an error when the
// file is missing or not a complete Parquet file.
func parquetRows(ctx context.Context, conn *sql.Conn, path string) (int64, error) {
	if _, err := os.Stat(path); err != nil {
		return 0, err
	}
	var n int64
	err := conn.QueryRowContext(ctx, "SELECT num_rows FROM parquet_file_metadata("+sqlPath(path)+")").Scan(&n)
	return n, err
}
