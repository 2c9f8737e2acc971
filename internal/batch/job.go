package batch

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"time"
)

// Job is what fixes an output folder's unit list: the input, the unit size, and the
// unit list they gave when the job started (Units, Plan: PlanHash). The first shard to
// run writes it to _duckinfer/job.json; every later run must agree, since a different
// unit list would cut the input differently and rows could land in two units or in
// none. verify reads it, so `verify -output DIR` needs nothing else.
type Job struct {
	Task     string   `json:"task"`
	Patterns []string `json:"input"`
	Table    string   `json:"table,omitempty"`
	UnitRows int64    `json:"unit_rows"`
	Units    int      `json:"units"`
	Plan     string   `json:"plan"`
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
	same := *old
	same.Units, same.Plan = j.Units, j.Plan
	if !reflect.DeepEqual(same, j) {
		return fmt.Errorf("batch: output folder %s belongs to the job %s, not %s; give every shard the same -task, -input, -table and -unit-rows, or use another -output folder", l.dir, old.describe(), j.describe())
	}
	if old.Plan != j.Plan {
		return fmt.Errorf("batch: the input of the job in %s changed since its first shard ran: it gave %d units then and gives %d now, or the same number with other files or row counts; a shard of the new input would cut the rows differently from the shards already done. Score the new input into another -output folder", l.dir, old.Units, j.Units)
	}
	return nil
}

func (j Job) describe() string {
	s := fmt.Sprintf("task %s, input %q", j.Task, j.Patterns)
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
