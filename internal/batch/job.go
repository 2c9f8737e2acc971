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

// Job is what fixes an output folder's unit list: the input and the unit size. The
// first shard to run writes it to _duckinfer/job.json; every later run must agree,
// since a different unit list would cut the input differently and rows could land in
// two units. verify reads it, so `verify -output DIR` needs nothing else.
type Job struct {
	Task     string   `json:"task"`
	Patterns []string `json:"input"`
	Table    string   `json:"table,omitempty"`
	UnitRows int64    `json:"unit_rows"`
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
		// Two first shards may both write it; the rename makes one win whole, and the
		// check below catches a loser that disagreed.
		if err := writeAtomic(l.tmp(), l.job(), b, ""); err != nil {
			return fmt.Errorf("batch: recording the job: %w", err)
		}
		if old, err = ReadJob(l.dir); err != nil {
			return err
		}
	}
	if !reflect.DeepEqual(*old, j) {
		return fmt.Errorf("batch: output folder %s belongs to the job %+v, not %+v; give every shard the same -task, -input, -table and -unit-rows, or use another -output folder", l.dir, *old, j)
	}
	return nil
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
