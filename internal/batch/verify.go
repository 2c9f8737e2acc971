package batch

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"
	"time"
)

// VerifyRow is one unit's state in an output folder.
type VerifyRow struct {
	Unit       string
	Shard      int
	InputRows  int64 // from the input (footer, table, or a count for CSV)
	OutputRows int64 // from the output file's footer; -1 when there is none
	Status     string
}

// Verification is an output folder checked against its input.
type Verification struct {
	Rows     []VerifyRow
	Problems []string // folder-wide: extra files, several fingerprints
	Stale    int      // temp files left by crashed runs (harmless; the next run of their shard removes them)
}

// OK reports whether every unit is present once with equal counts and one fingerprint.
func (v *Verification) OK() bool {
	for _, r := range v.Rows {
		if r.Status != "ok" {
			return false
		}
	}
	return len(v.Problems) == 0
}

// Verify checks the output folder dir against plan (listed by the -input patterns)
// split over shards shards: every
// unit has its output file and manifest, read its input file as it is now and its
// file's size and sha256 are the ones committed (when the manifest records them),
// input rows = manifest rows = file rows, the
// file's key-value metadata names the manifest's unit and fingerprint, all units
// share one fingerprint, the job's where it records one, and there is nothing else.
func Verify(ctx context.Context, conn *sql.Conn, patterns []string, plan []Unit, shards int, dir string) (*Verification, error) {
	l := layout{dir}
	if _, err := os.Stat(dir); err != nil {
		return nil, fmt.Errorf("batch: output folder: %w", err)
	}
	ms, bad, err := l.allManifests()
	if err != nil {
		return nil, err
	}
	v := &Verification{}
	for _, b := range bad {
		v.Problems = append(v.Problems, "unreadable manifest "+b)
	}
	j, err := ReadJob(dir)
	var jobFP *Fingerprint // what every unit must be made with, when the job records it
	if err == nil && j != nil {
		jobFP = j.Fingerprint
	}
	if err == nil && j != nil && (j.Plan == "" || j.Format != jobFormat) {
		v.Problems = append(v.Problems, "the folder was made by an older duckinfer, which named units otherwise; verify it with that version")
	} else if err == nil && j != nil && !slices.Equal(j.Bases, resolvedBases(patterns)) {
		v.Problems = append(v.Problems, fmt.Sprintf("the input is read from other folders than the job's (%q): another input, though its files may have the same names", j.Bases))
	} else if err == nil && j != nil {
		if j.Plan != PlanHash(plan) {
			v.Problems = append(v.Problems, fmt.Sprintf("the input gives another unit list than when the job started (%d units then, %d now, or other files or row counts): files were added, removed or changed since", j.Units, len(plan)))
		}
		if d := changedFiles(j.Files, inputFiles(plan)); d != "" {
			v.Problems = append(v.Problems, d+" since the job started: its units may hold predictions for another version of it")
		}
	}
	files, err := outputFiles(ctx, conn, dir)
	if err != nil {
		return nil, err
	}
	assign := Assign(plan, shards)
	inPlan := map[string]bool{}
	// Keyed by the whole fingerprint, options included: units that scored other
	// columns or options hold other predictions though model and version agree.
	fps := map[Fingerprint]bool{}
	for i, u := range plan {
		inPlan[u.ID] = true
		r := VerifyRow{Unit: u.ID, Shard: assign[i], InputRows: u.Rows, OutputRows: -1}
		if r.InputRows < 0 {
			if u.Kind == KindTable {
				if err := attachSource(ctx, conn, u.Path); err != nil {
					return nil, err
				}
			}
			if err := conn.QueryRowContext(ctx, "SELECT count(*) FROM ("+u.Query()+")").Scan(&r.InputRows); err != nil {
				return nil, fmt.Errorf("batch: counting the rows of unit %s: %w", u.ID, err)
			}
		}
		f, hasFile := files[u.ID+".parquet"]
		if hasFile {
			r.OutputRows = f.rows
		}
		m := ms[u.ID]
		switch {
		case m == nil && !hasFile:
			r.Status = "missing"
		case m == nil:
			r.Status = "output without manifest (unfinished)"
		case !hasFile:
			r.Status = "manifest without output"
		case !m.sameInput(u):
			r.Status = fmt.Sprintf("scored from another version of its input file (%d bytes modified %s; %d bytes modified %s now): delete its manifest and rerun its shard",
				m.InputSize, time.Unix(0, m.InputModNs).UTC().Format(time.RFC3339Nano), u.Size, time.Unix(0, u.ModNs).UTC().Format(time.RFC3339Nano))
		case m.InputRows != r.InputRows:
			r.Status = fmt.Sprintf("manifest says %d input rows", m.InputRows)
		case m.OutputRows != r.OutputRows || r.OutputRows != r.InputRows:
			r.Status = "row count differs"
		case f.kv["duckinfer_unit"] != u.ID:
			r.Status = fmt.Sprintf("file metadata names unit %q", f.kv["duckinfer_unit"])
		case kvFingerprint(f.kv) != m.Fingerprint:
			r.Status = "file and manifest fingerprints differ"
		case !m.sameOutput(filepath.Join(dir, u.ID+".parquet")):
			r.Status = "file differs from the one its manifest records (size or sha256): damaged or replaced; delete it and its manifest and rerun its shard"
		case jobFP != nil && m.Fingerprint != *jobFP:
			r.Status = "made with another fingerprint than the job's: " + m.Fingerprint.Diff(*jobFP)
			fps[m.Fingerprint] = true
		default:
			r.Status = "ok"
			fps[m.Fingerprint] = true
		}
		v.Rows = append(v.Rows, r)
	}
	var extra []string
	for name := range files {
		if !inPlan[strings.TrimSuffix(name, ".parquet")] {
			extra = append(extra, name)
		}
	}
	for id := range ms {
		if !inPlan[id] {
			extra = append(extra, metaDir+"/manifests/"+id+".json")
		}
	}
	sort.Strings(extra)
	for _, e := range extra {
		v.Problems = append(v.Problems, "not a unit of this input: "+e)
	}
	if len(fps) > 1 {
		keys := make([]string, 0, len(fps))
		for f := range fps {
			keys = append(keys, fpKey(f))
		}
		sort.Strings(keys)
		p := fmt.Sprintf("%d fingerprints among the units (%s); rerun the shards with -recompute", len(fps), strings.Join(keys, "; "))
		if jobFP != nil {
			p += fmt.Sprintf(" and the job's fingerprint (%s), or with the model, task, -columns, -opt and version of another to make it the job's", fpKey(*jobFP))
		}
		v.Problems = append(v.Problems, p)
	}
	if tmp, err := os.ReadDir(l.tmp()); err == nil {
		v.Stale = len(tmp)
	}
	return v, nil
}

type outFile struct {
	rows int64
	kv   map[string]string
}

// outputFiles reads the footers of every Parquet file at the top of dir.
func outputFiles(ctx context.Context, conn *sql.Conn, dir string) (map[string]*outFile, error) {
	out := map[string]*outFile{}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("batch: listing the output folder: %w", err)
	}
	var list []string
	for _, e := range entries {
		if !e.IsDir() && strings.HasSuffix(e.Name(), ".parquet") {
			list = append(list, sqlPath(filepath.Join(dir, e.Name())))
		}
	}
	if len(list) == 0 {
		return out, nil
	}
	files := "[" + strings.Join(list, ", ") + "]"
	rows, err := conn.QueryContext(ctx, "SELECT file_name, num_rows FROM parquet_file_metadata("+files+")")
	if err != nil {
		return nil, fmt.Errorf("batch: reading the output files' footers: %w; a damaged file is named above, delete it and its manifest and rerun its shard", err)
	}
	for rows.Next() {
		var name string
		var n int64
		if err := rows.Scan(&name, &n); err != nil {
			rows.Close()
			return nil, err
		}
		out[filepath.Base(name)] = &outFile{rows: n, kv: map[string]string{}}
	}
	rows.Close()
	rows, err = conn.QueryContext(ctx, "SELECT file_name, decode(key), decode(value) FROM parquet_kv_metadata("+files+")")
	if err != nil {
		return nil, fmt.Errorf("batch: reading the output files' metadata: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var name, k, val string
		if err := rows.Scan(&name, &k, &val); err != nil {
			return nil, err
		}
		if f := out[filepath.Base(name)]; f != nil {
			f.kv[k] = val
		}
	}
	return out, rows.Err()
}

func kvFingerprint(kv map[string]string) Fingerprint {
	var f Fingerprint
	f.Task, f.ModelSHA256, f.ConfigSHA256 = kv["duckinfer_task"], kv["duckinfer_model_sha256"], kv["duckinfer_config_sha256"]
	f.TokenizerSHA256 = kv["duckinfer_tokenizer_sha256"]
	f.Options, f.Version = kv["duckinfer_options"], kv["duckinfer_version"]
	return f
}

func fpKey(f Fingerprint) string {
	s := fmt.Sprintf("%s model %s config %s", f.Task, short(f.ModelSHA256), short(f.ConfigSHA256))
	if f.TokenizerSHA256 != "" {
		s += " tokenizer " + short(f.TokenizerSHA256)
	}
	s += " version " + f.Version
	if f.Options == "" {
		return s + " options (none)"
	}
	return s + " options (" + f.Options + ")"
}

// Print writes the verification as a table and a summary line.
func (v *Verification) Print(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "unit\tshard\tinput rows\toutput rows\tstatus")
	var in, out int64
	okN := 0
	for _, r := range v.Rows {
		o := "-"
		if r.OutputRows >= 0 {
			o = fmt.Sprint(r.OutputRows)
			out += r.OutputRows
		}
		in += r.InputRows
		if r.Status == "ok" {
			okN++
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%s\n", r.Unit, r.Shard, r.InputRows, o, r.Status)
	}
	tw.Flush()
	for _, p := range v.Problems {
		fmt.Fprintln(w, "problem:", p)
	}
	if v.Stale > 0 {
		fmt.Fprintf(w, "note: %d temp files left by stopped runs in %s/tmp (ignored; their shard's next run removes them)\n", v.Stale, metaDir)
	}
	verdict := "OK"
	if !v.OK() {
		verdict = "FAILED"
	}
	fmt.Fprintf(w, "%s: %d of %d units ok, %d input rows, %d output rows\n", verdict, okN, len(v.Rows), in, out)
}

// PrintPlan writes the plan as a table: each unit, its shard, what it reads.
func PrintPlan(w io.Writer, plan []Unit, shards int) {
	assign := Assign(plan, shards)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "unit\tshard\trows\tinput")
	load := make([]int64, shards)
	count := make([]int, shards)
	for i, u := range plan {
		rows := "?"
		if u.Rows >= 0 {
			rows = fmt.Sprint(u.Rows)
			load[assign[i]] += u.Rows
		}
		src := u.Path
		switch {
		case u.Like != "":
			// The run reads no rows from it (Unit.Query), so neither does the plan.
			rows = "0"
			src = fmt.Sprintf("%s (empty: no rows, the columns of %s)", u.Path, u.Like)
		case u.Kind == KindTable:
			src = fmt.Sprintf("%s table %s rowid [%d, %d)", u.Path, u.Table, u.Lo, u.Hi)
		case u.Hi >= 0:
			src = fmt.Sprintf("%s rows [%d, %d)", u.Path, u.Lo, u.Hi)
		}
		count[assign[i]]++
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\n", u.ID, assign[i], rows, src)
	}
	tw.Flush()
	for s := 0; s < shards; s++ {
		fmt.Fprintf(w, "shard %d/%d: %d units, %d rows\n", s, shards, count[s], load[s])
	}
}
