package batch

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/duckinfer/duckinfer/extension"
)

// Fingerprint is what an output was made with. Outputs with equal fingerprints are
// interchangeable; a rerun with another one is refused unless asked to recompute.
type Fingerprint struct {
	extension.TaskFingerprint
	// Options are the ml_predict options that change predictions (columns and any
	// passed-through option), as SQL; batch_size and device do not, so changing them
	// between runs keeps finished units.
	Options string `json:"options"`
	Version string `json:"duckinfer_version"`
}

// Diff names the fields in which f and g differ ("" when equal).
func (f Fingerprint) Diff(g Fingerprint) string {
	var d []string
	add := func(name, a, b string) {
		if a != b {
			d = append(d, fmt.Sprintf("%s %q vs %q", name, short(a), short(b)))
		}
	}
	add("task", f.Task, g.Task)
	add("model sha256", f.ModelSHA256, g.ModelSHA256)
	add("task config sha256", f.ConfigSHA256, g.ConfigSHA256)
	add("tokenizer sha256", f.TokenizerSHA256, g.TokenizerSHA256)
	add("options", f.Options, g.Options)
	add("duckinfer version", f.Version, g.Version)
	return strings.Join(d, ", ")
}

func short(s string) string {
	if len(s) == 64 {
		return s[:12]
	}
	return s
}

// kv is the fingerprint as Parquet key-value metadata, with the unit's ID.
func (f Fingerprint) kv(unit string) [][2]string {
	return [][2]string{
		{"duckinfer_unit", unit},
		{"duckinfer_task", f.Task},
		{"duckinfer_model_sha256", f.ModelSHA256},
		{"duckinfer_config_sha256", f.ConfigSHA256},
		{"duckinfer_tokenizer_sha256", f.TokenizerSHA256},
		{"duckinfer_options", f.Options},
		{"duckinfer_version", f.Version},
	}
}

// Manifest records one finished unit. It is written last, by atomic rename, so its
// presence is what "finished" means.
type Manifest struct {
	Unit       Unit   `json:"unit"`
	Output     string `json:"output"` // file name in the output folder
	InputRows  int64  `json:"input_rows"`
	OutputRows int64  `json:"output_rows"`
	// InputSize and InputModNs are the size and modification time of the file the
	// unit read (a table's: its database file with its .wal, as databaseStat), as
	// checked before and after its query; 0 in a manifest of an older version.
	InputSize  int64 `json:"input_size,omitempty"`
	InputModNs int64 `json:"input_modified_ns,omitempty"`
	// OutputSize and OutputSHA256 are the output file's, as committed; absent in a
	// manifest of an older version.
	OutputSize   int64       `json:"output_size,omitempty"`
	OutputSHA256 string      `json:"output_sha256,omitempty"`
	Fingerprint  Fingerprint `json:"fingerprint"`
	Shard        string      `json:"shard"`
	Host         string      `json:"host"`
	PID          int         `json:"pid"`
	Started      time.Time   `json:"started"`
	Finished     time.Time   `json:"finished"`
}

// sameInput reports whether m's unit read u's file as it is now (size and
// modification time); true when m records neither (an older version's manifest).
func (m *Manifest) sameInput(u Unit) bool {
	return m.InputModNs == 0 || m.InputSize == u.Size && m.InputModNs == u.ModNs
}

// sameOutput reports whether the file at path is the output m committed, by size
// and sha256; true when m records neither (an older version's manifest).
func (m *Manifest) sameOutput(path string) bool {
	if m.OutputSHA256 == "" {
		return true
	}
	if st, err := os.Stat(path); err != nil || st.Size() != m.OutputSize {
		return false
	}
	n, sum, err := hashFile(path, false)
	return err == nil && n == m.OutputSize && sum == m.OutputSHA256
}

// layout is an output folder: the Parquet files at the top (so out/*.parquet is the
// result), the bookkeeping under _duckinfer/.
type layout struct{ dir string }

const metaDir = "_duckinfer"

func (l layout) output(id string) string   { return filepath.Join(l.dir, id+".parquet") }
func (l layout) manifests() string         { return filepath.Join(l.dir, metaDir, "manifests") }
func (l layout) manifest(id string) string { return filepath.Join(l.manifests(), id+".json") }
func (l layout) locks() string             { return filepath.Join(l.dir, metaDir, "locks") }
func (l layout) lock(id string) string     { return filepath.Join(l.locks(), id+".lock") }

// tmp is where files are written before their rename: on the same file system as
// their final place (rename is atomic only there), and outside the out/*.parquet glob
// so a reader never sees a partial file.
func (l layout) tmp() string { return filepath.Join(l.dir, metaDir, "tmp") }

func (l layout) create() error {
	for _, d := range []string{l.manifests(), l.locks(), l.tmp()} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return fmt.Errorf("batch: creating the output folder: %w; check -output is writable", err)
		}
	}
	return nil
}

// readManifest returns the unit's manifest, or nil when there is none. A manifest
// that does not parse (it cannot be partial, being renamed into place; a damaged
// disk could still do it) counts as absent, so the unit is redone.
func (l layout) readManifest(id string) (*Manifest, error) {
	b, err := os.ReadFile(l.manifest(id))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("batch: reading the manifest of unit %s: %w", id, err)
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil || m.Unit.ID != id {
		return nil, nil
	}
	return &m, nil
}

// allManifests reads every manifest in the folder, keyed by unit ID; bad lists the
// files that do not parse.
func (l layout) allManifests() (map[string]*Manifest, []string, error) {
	entries, err := os.ReadDir(l.manifests())
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]*Manifest{}, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("batch: listing manifests: %w", err)
	}
	out := map[string]*Manifest{}
	var bad []string
	for _, e := range entries {
		id, ok := strings.CutSuffix(e.Name(), ".json")
		if !ok {
			continue
		}
		m, err := l.readManifest(id)
		if err != nil {
			return nil, nil, err
		}
		if m == nil {
			bad = append(bad, e.Name())
			continue
		}
		out[id] = m
	}
	return out, bad, nil
}

// writeAtomic writes data to final through a temporary file in tmpDir: written,
// synced, renamed, and the folder synced, so after a crash final is either absent
// or complete. stage names the test hook point between write and sync ("": none).
func writeAtomic(tmpDir, final string, data []byte, stage string) error {
	f, err := os.CreateTemp(tmpDir, filepath.Base(final)+".*.tmp")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil {
		if stage != "" {
			hooks.at(stage)
		}
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, final)
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	return syncDir(filepath.Dir(final))
}

// createAtomic is writeAtomic for a file that must not be replaced: the synced
// temporary file is hard-linked to final, which fails with fs.ErrExist when another
// process created final first. (Where the file system has no hard links, it falls
// back to a rename, which a concurrent first writer could overwrite.)
func createAtomic(tmpDir, final string, data []byte) error {
	f, err := os.CreateTemp(tmpDir, filepath.Base(final)+".*.tmp")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if err := os.Link(tmp, final); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return err
		}
		if err := os.Rename(tmp, final); err != nil {
			return err
		}
	}
	return syncDir(filepath.Dir(final))
}

func syncFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error { return syncFile(dir) }
