package batch

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// Job is what fixes an output folder's unit list: the input, the unit size, and the
// unit list they gave when the job started (Units, Plan: PlanHash). The first shard to
// run writes it to _duckinfer/job.json; every later run must agree, since a different
// unit list would cut the input differently and rows could land in two units or in
// none. verify reads it, so `verify -output DIR` needs nothing else.
//
// The input is compared by each pattern's part after its base folder (Relative), as
// unit IDs are made, and by the base folders with every symbolic link resolved
// (Bases): another node may reach the input through a link, or be given it as a
// relative path, and still be the same job; another folder whose files have the same
// names and row counts (another day's partition) is another input, whose units must
// not be taken for done. Patterns, as the first shard gave them, name the base folder
// in messages and are verify's default input.
//
// Files records each input file's size and modification time: a file rewritten with
// the same size and row count gives the same unit list, yet shards that read it before
// and after would score two versions of it under one job. The time is what make and
// rsync trust: the shared file system keeps it for every node, and reading a file does
// not change it; a content hash would read the whole input on every shard.
type Job struct {
	Task     string   `json:"task"`
	Patterns []string `json:"input"`
	Relative []string `json:"input_relative"`
	Bases    []string `json:"input_bases"`
	Table    string   `json:"table,omitempty"`
	UnitRows int64    `json:"unit_rows"`
	Units    int      `json:"units"`
	Plan     string   `json:"plan"`
	// Format is how units are named; an older one named them otherwise, and its
	// folder cannot be resumed or verified by this version.
	Format int `json:"format"`
	// Files is absent from a job started by a version that did not record it; its
	// input files are not checked.
	Files []InputFile `json:"files,omitempty"`
	// Fingerprint is what the job's units are made with: the first shard's, or the
	// latest -recompute run's (claimRun). Shards that start together have no manifest
	// to compare with yet; this is what they are compared with.
	Fingerprint *Fingerprint `json:"fingerprint,omitempty"`
	// Shards is the first shard's shard count, or the latest one given explicitly
	// (-shard, -shards: a reshard). A count taken from the environment must agree:
	// a Slurm task resubmitted alone sees an array of its own.
	Shards int `json:"shards,omitempty"`
}

// InputFile is one input file as the job's first shard saw it, named as units are
// (Unit.Pattern, Unit.Rel).
type InputFile struct {
	Pattern int    `json:"pattern"`
	Rel     string `json:"rel"`
	Size    int64  `json:"size"`
	ModNs   int64  `json:"modified_ns"`
	path    string // as this node reaches it, for messages
}

// inputFiles is the files that plan's units read, once each, in plan order (a table
// input's database file, its write-ahead log counted in: databaseStat).
func inputFiles(plan []Unit) []InputFile {
	var out []InputFile
	seen := map[InputFile]bool{}
	for _, u := range plan {
		f := InputFile{Pattern: u.Pattern, Rel: u.Rel, Size: u.Size, ModNs: u.ModNs}
		if !seen[f] {
			seen[f] = true
			f.path = u.Path
			out = append(out, f)
		}
	}
	return out
}

// changedFiles names the files of now that were, in was, of another size or
// modification time ("" when none): rewritten since. Files added or removed change
// the unit list, which PlanHash catches.
func changedFiles(was, now []InputFile) string {
	type key struct {
		pattern int
		rel     string
	}
	old := make(map[key]InputFile, len(was))
	for _, f := range was {
		old[key{f.Pattern, f.Rel}] = f
	}
	var changed []string
	for _, f := range now {
		o, ok := old[key{f.Pattern, f.Rel}]
		if !ok || (o.Size == f.Size && o.ModNs == f.ModNs) {
			continue
		}
		if len(changed) == 0 {
			changed = append(changed, fmt.Sprintf("input file %s changed (%d bytes modified %s then, %d bytes modified %s now)", f.path,
				o.Size, time.Unix(0, o.ModNs).UTC().Format(time.RFC3339Nano), f.Size, time.Unix(0, f.ModNs).UTC().Format(time.RFC3339Nano)))
		} else {
			changed = append(changed, f.path)
		}
	}
	switch len(changed) {
	case 0:
		return ""
	case 1:
		return changed[0]
	}
	return fmt.Sprintf("%s, and %d more (%s)", changed[0], len(changed)-1, strings.Join(changed[1:], ", "))
}

// jobFormat 2: unit IDs hash the file's path from its pattern's base folder (1, with
// no "format" in job.json: the full path as spelled).
const jobFormat = 2

// relativePatterns is each pattern's part after its base folder (splitPattern).
func relativePatterns(patterns []string) []string {
	out := make([]string, len(patterns))
	for i, p := range patterns {
		_, out[i] = splitPattern(p)
	}
	return out
}

// resolvedBases is each pattern's base folder (splitPattern) as an absolute path with
// every symbolic link resolved, so that spellings of one folder agree; a URL's as it is.
func resolvedBases(patterns []string) []string {
	out := make([]string, len(patterns))
	for i, p := range patterns {
		base, _ := splitPattern(p)
		out[i] = fileKey(base)
	}
	return out
}

func (l layout) job() string { return filepath.Join(l.dir, metaDir, "job.json") }

// ReadJob returns the job recorded in an output folder, or nil when there is none.
func ReadJob(dir string) (*Job, error) {
	b, err := os.ReadFile(layout{dir}.job())
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("batch: %w", err)
	}
	var j Job
	if err := json.Unmarshal(b, &j); err != nil {
		return nil, fmt.Errorf("batch: %s is damaged (%v); delete it if the folder's input is what this run reads", layout{dir}.job(), err)
	}
	return &j, nil
}

// claimJob records j in the folder, or checks it against the one recorded there.
func claimJob(l layout, j Job) error {
	if j.UnitRows <= 0 {
		j.UnitRows = DefaultUnitRows
	}
	j.Relative, j.Bases, j.Format = relativePatterns(j.Patterns), resolvedBases(j.Patterns), jobFormat
	old, err := ReadJob(l.dir)
	if err != nil {
		return err
	}
	if old == nil {
		b, _ := json.MarshalIndent(j, "", "  ")
		// Exclusive: of two first shards writing at once, one creates it and the
		// other reads that one and is checked against it below.
		if err := createAtomic(l.tmp(), l.job(), b); err != nil && !errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("batch: recording the job: %w", err)
		}
		if old, err = ReadJob(l.dir); err != nil {
			return err
		}
	}
	if old.Plan == "" {
		return fmt.Errorf("batch: output folder %s was started by an older duckinfer, which named units differently and recorded no unit list; finish it with that version, or use another -output folder", l.dir)
	}
	if old.Format != jobFormat {
		return fmt.Errorf("batch: output folder %s was started by an older duckinfer, which named units by their input file's full path; finish it with that version, or use another -output folder", l.dir)
	}
	same := *old
	same.Patterns, same.Units, same.Plan, same.Files = j.Patterns, j.Units, j.Plan, j.Files
	same.Fingerprint, same.Shards = j.Fingerprint, j.Shards // claimRun's
	if !reflect.DeepEqual(same, j) {
		return fmt.Errorf("batch: output folder %s belongs to the job %s, not %s; give every shard the same -task, -input, -table and -unit-rows, or use another -output folder", l.dir, old.describe(), j.describe())
	}
	if d := changedFiles(old.Files, j.Files); d != "" {
		return fmt.Errorf("batch: %s since the first shard of the job in %s ran: shards before and after would score two versions of it. %s", d, l.dir, redoChanged)
	}
	if old.Plan != j.Plan {
		return fmt.Errorf("batch: the input of the job in %s changed since its first shard ran: it gave %d units then and gives %d now, or the same number with other files or row counts; a shard of the new input would cut the rows differently from the shards already done. Score the new input into another -output folder", l.dir, old.Units, j.Units)
	}
	return nil
}

// redoChanged is what to do about an input file changed under a job.
const redoChanged = "Score the input as it is now into another -output folder; or put the file back as it was (contents and modification time, e.g. from a backup with rsync -t or cp -p), then delete the manifests of its units (_duckinfer/manifests/UNIT.json; run -plan lists each unit's file) and rerun their shards, since a shard may have read it while it was changed"

// claimRun checks this run's fingerprint and shard count against those the job
// records, and records them where it has none (a job started by a version that did
// not record them) or where this run may change them: -recompute replaces the
// fingerprint, an explicit -shard or -shards the count. Shards started at once have
// no manifest to compare with; the job's fingerprint is what refuses all but one.
func claimRun(ctx context.Context, l layout, fp Fingerprint, o Options) error {
	// Under the job lock, so that two runs that change the job do not both read the
	// old one; a few file operations long.
	lk, err := lockJob(ctx, l, unix.LOCK_EX)
	if err != nil {
		return err
	}
	defer lk.unlock()
	j, err := ReadJob(l.dir)
	if err != nil {
		return err
	}
	if j == nil {
		return fmt.Errorf("batch: %s is gone while the shard started; check nothing else removes files in -output", l.job())
	}
	if change, err := j.claimRun(l, fp, o, o.Log); err != nil || !change {
		return err
	}
	b, _ := json.MarshalIndent(j, "", "  ")
	if err := writeAtomic(l.tmp(), l.job(), b, ""); err != nil {
		return fmt.Errorf("batch: recording the job's fingerprint and shard count: %w", err)
	}
	return nil
}

// claimRun is claimRun's decision on the job j as read: it changes j and reports
// whether it did, or refuses.
func (j *Job) claimRun(l layout, fp Fingerprint, o Options, log io.Writer) (bool, error) {
	change := false
	switch {
	case j.Fingerprint == nil:
		change = true
	case j.Fingerprint.Diff(fp) == "":
	case !o.Recompute:
		return false, fmt.Errorf("batch: %w: the job in %s is scored with another fingerprint than this run's (the job's vs this run's: %s; recorded by its first shard, or by the latest run with -recompute); give every shard the same model, task, -columns, -opt and duckinfer version, or rerun with -recompute to redo this shard's units and make this run's the job's (the other shards must then be rerun with it too), or write to another -output folder",
			ErrFingerprint, l.dir, j.Fingerprint.Diff(fp))
	default:
		fmt.Fprintf(log, "job %s: fingerprint replaced (-recompute; the old vs this run's: %s); units of the old one fail verify until their shards are rerun with this one\n", l.dir, j.Fingerprint.Diff(fp))
		change = true
	}
	if change {
		j.Fingerprint = &fp
	}
	switch n := o.Shard.Count; {
	case j.Shards == 0:
		j.Shards, change = n, true
	case j.Shards == n:
	case o.ShardFromEnv:
		return false, fmt.Errorf("%w: the job in %s was run with %d shards, and this task's Slurm array gives %d (a task resubmitted alone, or a part of the array, sees only its part); pass -shards %d, or -shards %d to reshard on purpose",
			ErrShard, l.dir, j.Shards, n, j.Shards, n)
	default:
		fmt.Fprintf(log, "job %s: resharded from %d to %d shards; finished units are kept\n", l.dir, j.Shards, n)
		j.Shards, change = n, true
	}
	return change, nil
}

// checkJobFingerprint refuses to commit a unit made with fp when the job is no longer
// scored with it: a run with -recompute replaced it while this shard ran.
func checkJobFingerprint(l layout, fp Fingerprint) error {
	j, err := ReadJob(l.dir)
	if err != nil {
		return err
	}
	if j == nil || j.Fingerprint == nil {
		return fmt.Errorf("batch: %w: %s is gone or records no fingerprint any more (rewritten while this shard ran); check nothing else writes to -output, and rerun the shard", ErrFingerprint, l.job())
	}
	if d := j.Fingerprint.Diff(fp); d != "" {
		return fmt.Errorf("batch: %w: the job in %s is now scored with another fingerprint (the job's vs this shard's: %s), recorded by a run with -recompute while this shard ran; rerun this shard with that run's model, task, flags and duckinfer version and -recompute, or write to another -output folder",
			ErrFingerprint, l.dir, d)
	}
	return nil
}

func (j Job) describe() string {
	s := fmt.Sprintf("task %s, input %q", j.Task, j.Patterns)
	if !reflect.DeepEqual(j.Relative, j.Patterns) {
		s += fmt.Sprintf(" (%q from its base folder %q)", j.Relative, j.Bases)
	}
	if j.Table != "" {
		s += ", table " + j.Table
	}
	return s + fmt.Sprintf(", unit rows %d", j.UnitRows)
}

// ShardsUsed is the shard count the folder's manifests were written with (the most
// recent one's), or 1 when there are none.
func ShardsUsed(dir string) int {
	ms, _, err := layout{dir}.allManifests()
	if err != nil {
		return 1
	}
	n, latest := 1, time.Time{}
	for _, m := range ms {
		if s, err := ParseShard(m.Shard); err == nil && m.Finished.After(latest) {
			n, latest = s.Count, m.Finished
		}
	}
	return n
}
