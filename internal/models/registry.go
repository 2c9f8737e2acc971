package models

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/duckinfer/duckinfer/internal/tokenizer"
)

//go:embed tasks
var shippedTasks embed.FS

// Task is one version (snapshot) of a task. A query binds one *Task and uses it from
// start to end; when the task's folder changes, the next Lookup returns a new *Task,
// so its sessions (the Pool keys them by *Task) are loaded from the new files.
type Task struct {
	Name   string
	Source string // folder it came from; "builtin:<name>" for shipped tasks
	Config Config

	fsys fs.FS  // shipped tasks: the embedded folder
	path string // user tasks: the task folder on disk

	// User tasks: what the registry read and saw when it made this snapshot, to tell
	// cheaply whether the folder still holds this version.
	cfgBytes   []byte
	cfgStamp   fileStamp
	tokStamp   fileStamp // the tokenizer file's, for a task that has one in its folder
	tokSum     [32]byte  // and its content's sha256 (shipped tasks too: see TokenizerSHA256)
	tokSpecial string    // what tokenizer_config.json changed in the file's tokenizer: special tokens, hfTokenizerConfig ("": none)
	modelStamp fileStamp // zero when the model file was missing or unreadable
	racy       bool      // guarded by Registry.mu; see Registry.freshLocked

	// The model content this snapshot stands for: the sha256 of the first read (at bind,
	// in Pool.Check, or by Fingerprint). Every later read must match, so that all the
	// sessions of a query load one version even if the file is replaced meanwhile.
	fp struct {
		mu     sync.Mutex
		sum    [sha256.Size]byte
		pinned bool
	}
	stale atomic.Bool // the folder no longer holds this version: Lookup makes a new one
	// superseded: Lookup has made a newer snapshot of the name (or the folder is gone),
	// so no new statement binds to this one (Pool.Use frees its sessions).
	superseded atomic.Bool

	// inputDims is each model input's declared shape, in Config.Inputs order, set by
	// the model check (checkModelIO): the input kinds shape their tensors by it.
	inputDims atomic.Pointer[[][]int64]
	// outWidth is the output's values per row as the model declares them (see
	// RegressWidth: a regress task's width, a classify task's class count), plus one;
	// 0 until the model check.
	outWidth atomic.Int64
	// outRows is the output's declared first dimension (<= 0: open), from the model
	// check: a bound output tensor must match it (outputBinder).
	outRows atomic.Int64

	// Text tasks: the parsed tokenizer and padding id (set when the snapshot is made),
	// and, from the model check, the model inputs each task input feeds (a text input:
	// input_ids and whichever of attention_mask, token_type_ids, position_ids the
	// model declares) and the output read (an embed task may leave it to the model).
	tok     *tokenizer.Tokenizer
	padID   int64
	feeds   atomic.Pointer[[][]string]
	outName atomic.Pointer[string]
	// hfStamps are the stamps of a Hugging Face folder's files (hfFiles) when the
	// snapshot was made; any change makes a new one.
	hfStamps []fileStamp
	// positions is the most tokens a Hugging Face model's position embeddings take,
	// from its config.json (0: unknown): a longer max_length would index past them.
	positions int
	// posStart is the first token's position id, for a model that takes position_ids
	// (hfModel.posStart).
	posStart int
	// st: texts are prepared as SentenceTransformer.encode prepares them (hfModel).
	st stPrep

	serial uint64 // unique in the process; see Serial
}

// snapshots numbers the snapshots made in this process.
var snapshots atomic.Uint64

// Serial tells this snapshot from every other of the process, the same task's earlier
// and later versions included: the parts of one statement that each look the task up
// (the SQL it is made from, the functions it calls) check that they see one version.
func (t *Task) Serial() uint64 { return t.serial }

// OutputName is the model output the task reads.
func (t *Task) OutputName() string {
	if p := t.outName.Load(); p != nil {
		return *p
	}
	return t.Config.Output
}

// feedsOf is the model inputs task input i feeds, in tensor order.
func (t *Task) feedsOf(i int) []string {
	if f := t.feeds.Load(); f != nil {
		return (*f)[i]
	}
	return []string{t.Config.Inputs[i].Name}
}

// modelInputs is every model input the task feeds, in tensor order.
func (t *Task) modelInputs() []string {
	var names []string
	for i := range t.Config.Inputs {
		names = append(names, t.feedsOf(i)...)
	}
	return names
}

// Tokenizer is a text task's tokenizer (nil for other tasks).
func (t *Task) Tokenizer() *tokenizer.Tokenizer { return t.tok }

// MaxPositions is the most tokens per text the model's position embeddings take, as
// its config.json declares them (0: unknown).
func (t *Task) MaxPositions() int { return t.positions }

// TokenizerSHA256 is the hex sha256 of the tokenizer file this snapshot parsed ("" for
// a task without one): predictions depend on it as much as on the model, so it is
// part of a batch job's fingerprint.
func (t *Task) TokenizerSHA256() string {
	if t.tok == nil {
		return ""
	}
	if t.tokSpecial != "" {
		// Special tokens from tokenizer_config.json (hfSpecialTokens) change the ids
		// as much as the file does.
		sum := sha256.Sum256(append(t.tokSum[:], "\x00"+t.tokSpecial...))
		return hex.EncodeToString(sum[:])
	}
	return hex.EncodeToString(t.tokSum[:])
}

// OutputWidth is the values per row a checked task's model output declares: a regress
// task's width, a classify task's class count, an embed task's dimension (0: open).
func (t *Task) OutputWidth() int { return int(t.outWidth.Load()) - 1 }

func (t *Task) modelPath() string { return filepath.Join(t.path, t.Config.Model) }

// ModelBytes reads the task's ONNX file. A user task's model must be a regular file
// (symlinks are followed) of at most MaxModelBytes, with the content this snapshot
// stands for (see Fingerprint); else the error wraps ErrTaskChanged.
func (t *Task) ModelBytes() ([]byte, error) {
	if t.fsys != nil {
		b, err := fs.ReadFile(t.fsys, t.Config.Model)
		if err != nil {
			return nil, taskErrorf(ErrTaskConfig, t.Name, "cannot read model file %s in %s: %v", t.Config.Model, t.Source, err)
		}
		return b, t.pin(sha256.Sum256(b), fileStamp{})
	}
	b, stamp, err := readRegular(t.modelPath(), "model file", MaxModelBytes)
	if err != nil {
		return nil, t.modelError(err)
	}
	if err := t.pin(sha256.Sum256(b), stamp); err != nil {
		return nil, err
	}
	return b, nil
}

// Fingerprint returns the hex sha256 of the model content this snapshot stands for.
// The first of Fingerprint and Pool.Check (a query's bind) to read the model fixes it;
// a *Task from a later Lookup is a new snapshot with its own.
func (t *Task) Fingerprint() (string, error) {
	t.fp.mu.Lock()
	sum, ok := t.fp.sum, t.fp.pinned
	t.fp.mu.Unlock()
	if !ok {
		var stamp fileStamp
		var err error
		if t.fsys != nil {
			var b []byte
			if b, err = fs.ReadFile(t.fsys, t.Config.Model); err == nil {
				sum = sha256.Sum256(b)
			}
		} else {
			sum, stamp, err = hashRegular(t.modelPath(), "model file", MaxModelBytes)
		}
		if err != nil {
			return "", t.modelError(err)
		}
		if err := t.pin(sum, stamp); err != nil {
			return "", err
		}
	}
	return hex.EncodeToString(sum[:]), nil
}

func (t *Task) modelError(err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		if _, read := t.pinned(); read || t.modelStamp != (fileStamp{}) {
			// The snapshot saw the file (or a query has read it): it was removed since,
			// with its folder or alone, which is the task changing under the query.
			t.stale.Store(true)
			return fmt.Errorf("task %q: %s was removed: %w; %s", t.Name, t.modelPath(), ErrTaskChanged, rerun)
		}
		return taskErrorf(ErrTaskConfig, t.Name, "%v; put the ONNX model there or fix \"model\" in task.json", err)
	}
	return taskErrorf(ErrTaskConfig, t.Name, "%v", err)
}

// pin fixes sum as the snapshot's model content on the first read, and checks later
// reads against it. The first read must also come from the file the snapshot saw
// (stamp), or it could be a newer version than the snapshot's task.json.
func (t *Task) pin(sum [sha256.Size]byte, stamp fileStamp) error {
	t.fp.mu.Lock()
	defer t.fp.mu.Unlock()
	switch {
	case t.fp.pinned && sum == t.fp.sum:
		return nil
	case !t.fp.pinned && (t.fsys != nil || stamp == t.modelStamp):
		t.fp.sum, t.fp.pinned = sum, true
		return nil
	}
	t.stale.Store(true)
	return fmt.Errorf("task %q: %s %w; %s", t.Name, t.modelPath(), ErrTaskChanged, rerun)
}

// rerun is what to do about a task that changed under a statement. A prepared statement
// is bound once and keeps the version it was bound with, so running it again fails
// again; only preparing it again binds the new version.
const rerun = "rerun the query (a prepared statement keeps the task version it was prepared with: prepare it again)"

func (t *Task) pinned() ([sha256.Size]byte, bool) {
	t.fp.mu.Lock()
	defer t.fp.mu.Unlock()
	return t.fp.sum, t.fp.pinned
}

// Registry finds tasks. A name is resolved on every Lookup: the last user folder (in
// the order given) holding a sub-folder of that name wins, broken or not, else the
// shipped task. A cheap check (stat of task.json and the model file) tells whether
// the snapshot made last time still holds, so edits, new folders and deletions are
// seen by the next query without a restart.
type Registry struct {
	// AddHint says how to name task folders in the binding the user has, ending the
	// unknown-task error; empty, it names the Go binding's ways. Set it before use.
	AddHint string

	userDirs []string
	shipped  fs.FS // tasks/ in the binary

	mu    sync.Mutex
	snaps map[string]*Task // the current snapshot of each name resolved so far
	// gone is when Lookup last looked for snapshots whose folders were removed.
	gone time.Time
}

// goneEvery is how often Lookup looks for removed task folders: a snapshot whose name
// is never asked for again (a folder replaced by one of another name) would otherwise
// keep its sessions for good.
const goneEvery = 5 * time.Second

// SplitDirs splits a list of task folders as $DUCKINFER_MODELS and the settings give
// it (separated by ':'), trimming spaces and skipping empty entries, which the shell
// idiom DIR:$DUCKINFER_MODELS leaves when the variable was empty.
func SplitDirs(list string) []string {
	var dirs []string
	for _, p := range filepath.SplitList(list) {
		if p = strings.TrimSpace(p); p != "" {
			dirs = append(dirs, p)
		}
	}
	return dirs
}

// NewRegistry checks that userDirs are readable directories; their tasks are read
// when looked up.
func NewRegistry(userDirs ...string) (*Registry, error) {
	r := &Registry{userDirs: append([]string(nil), userDirs...), snaps: map[string]*Task{}}
	for _, d := range r.userDirs {
		if st, err := os.Stat(d); err != nil || !st.IsDir() {
			return nil, fmt.Errorf("models: task folder %q: not a readable directory; create it or drop it from the task folders: %w", d, ErrTaskConfig)
		}
	}
	r.shipped, _ = fs.Sub(shippedTasks, "tasks")
	return r, nil
}

// Dirs describes where tasks are looked up, for error messages.
func (r *Registry) Dirs() []string {
	out := []string{"built-in (embedded in the binary)"}
	return append(out, r.userDirs...)
}

// Lookup returns the current snapshot of the named task: the same *Task as last time
// when its files have not changed. A broken task folder is an error naming the file
// and the problem; an unknown name, an error that lists the known tasks and where
// they are looked up.
func (r *Registry) Lookup(name string) (*Task, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.forgetGoneLocked(name)
	t, _, err := r.resolveLocked(name)
	if err != nil {
		return nil, err
	}
	if t != nil {
		// A retired snapshot that is still the folder's current one serves again
		// (Retire): the statements bound to it now keep its sessions.
		t.superseded.Store(false)
		return t, nil
	}
	var known []string
	for _, e := range r.entriesLocked() {
		if e.Task != nil {
			known = append(known, e.Name)
		}
	}
	hint := r.AddHint
	if hint == "" {
		hint = "-models, DUCKINFER_MODELS or extension.WithTaskDirs"
	}
	return nil, fmt.Errorf("%w %q; known tasks: %s. Tasks are looked up in: %s. Add a task folder (task.json + model.onnx) to a folder named by %s",
		ErrUnknownTask, name, quoteList(known), quoteList(r.Dirs()), hint)
}

// TaskEntry is one task folder as it is now: a usable Task, or the error that keeps it
// from loading.
type TaskEntry struct {
	Name   string
	Source string // the folder, or "builtin:<name>"
	Task   *Task  // nil when Err is set
	Err    error
}

// Entries lists every task folder found (the shipped ones and each sub-folder of the
// user folders whose name does not start with '.'), one per name as Lookup resolves
// it, sorted by name; broken ones carry their error.
func (r *Registry) Entries() []TaskEntry {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.entriesLocked()
}

// Tasks lists the usable tasks sorted by name.
func (r *Registry) Tasks() []*Task {
	var out []*Task
	for _, e := range r.Entries() {
		if e.Task != nil {
			out = append(out, e.Task)
		}
	}
	return out
}

func (r *Registry) entriesLocked() []TaskEntry {
	seen := map[string]bool{}
	if entries, err := fs.ReadDir(r.shipped, "."); err == nil {
		for _, e := range entries {
			if e.IsDir() {
				seen[e.Name()] = true
			}
		}
	}
	for _, d := range r.userDirs {
		entries, err := os.ReadDir(d)
		if err != nil {
			continue // Lookup's unknown-task error lists the folders looked in
		}
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), ".") {
				continue
			}
			if isDir(filepath.Join(d, e.Name()), e) {
				seen[e.Name()] = true
			}
		}
	}
	names := make([]string, 0, len(seen))
	for n := range seen {
		names = append(names, n)
	}
	sort.Strings(names)
	out := make([]TaskEntry, 0, len(names))
	for _, n := range names {
		t, source, err := r.resolveLocked(n)
		if t == nil && err == nil {
			continue // gone since ReadDir
		}
		out = append(out, TaskEntry{Name: n, Source: source, Task: t, Err: err})
	}
	// Forget snapshots of folders that are gone.
	for n := range r.snaps {
		if !seen[n] {
			r.setSnapLocked(n, nil)
		}
	}
	return out
}

// isDir reports whether the directory entry at path is a folder, following a symlink.
func isDir(path string, e fs.DirEntry) bool {
	if e.IsDir() {
		return true
	}
	if e.Type()&fs.ModeSymlink == 0 {
		return false
	}
	fi, err := os.Stat(path)
	return err == nil && fi.IsDir()
}

// resolveLocked finds what name means now: its snapshot and source, an error for a
// broken folder, or all zero when there is no such task.
func (r *Registry) resolveLocked(name string) (*Task, string, error) {
	if name == "" || name == "." || name == ".." || strings.ContainsAny(name, "/\\\x00") {
		return nil, "", nil // cannot name a folder inside a task folder
	}
	for i := len(r.userDirs) - 1; i >= 0; i-- {
		folder := filepath.Join(r.userDirs[i], name)
		fi, err := os.Stat(folder)
		if errors.Is(err, fs.ErrPermission) {
			r.setSnapLocked(name, nil)
			return nil, folder, taskErrorf(ErrTaskConfig, name, "cannot read task folder %s: %v; fix its permissions or move it out of %s", folder, err, r.userDirs[i])
		}
		if err != nil {
			if li, lerr := os.Lstat(folder); lerr == nil && li.Mode()&fs.ModeSymlink != 0 {
				// A link that leads nowhere (an unmounted volume, a loop) is a broken
				// task, not an absent one: never fall back to an earlier folder or
				// the shipped task.
				r.setSnapLocked(name, nil)
				return nil, folder, taskErrorf(ErrTaskConfig, name, "task folder %s is a symbolic link that cannot be followed (%v); fix or remove the link in %s", folder, err, r.userDirs[i])
			}
		}
		if err != nil || !fi.IsDir() {
			continue
		}
		// Read everything through the folder's resolved path: a folder swapped by a
		// symlink flip (Kubernetes volumes, blue/green deploys) between the read of
		// task.json and that of the model would otherwise give a snapshot no version
		// ever had, one version's labels with the other's model; a flip since the
		// last snapshot resolves elsewhere and makes a new one.
		real, err := filepath.EvalSymlinks(folder)
		if err != nil {
			real = folder
		}
		t, err := r.userTaskLocked(name, folder, real)
		if err != nil {
			r.setSnapLocked(name, nil)
			if r.isShipped(name) {
				err = fmt.Errorf("%w (this folder replaces the built-in task %q: fix it, or move it out of %s to use the built-in one)", err, name, r.userDirs[i])
			}
			return nil, folder, err
		}
		return t, folder, nil
	}
	if !r.isShipped(name) {
		r.setSnapLocked(name, nil)
		return nil, "", nil
	}
	source := "builtin:" + name
	if t := r.snaps[name]; t != nil && t.fsys != nil {
		return t, source, nil // shipped files never change
	}
	data, err := fs.ReadFile(r.shipped, name+"/task.json")
	if err != nil {
		return nil, source, taskErrorf(ErrTaskConfig, name, "%s: %v", source, err)
	}
	cfg, err := ParseConfig(data)
	if err != nil {
		return nil, source, taskErrorf(ErrTaskConfig, name, "%s: %v", source, err)
	}
	t := &Task{Name: name, Source: source, Config: cfg, serial: snapshots.Add(1)}
	t.fsys, _ = fs.Sub(r.shipped, name)
	r.setSnapLocked(name, t)
	return t, source, nil
}

func (r *Registry) isShipped(name string) bool {
	if !taskNamePattern.MatchString(name) {
		return false
	}
	_, err := fs.Stat(r.shipped, name+"/task.json")
	return err == nil
}

// userTaskLocked returns the snapshot of the task folder: the previous one when its
// files are unchanged, else a new one read now.
func (r *Registry) userTaskLocked(name, folder, real string) (*Task, error) {
	if !taskNamePattern.MatchString(name) {
		return nil, taskErrorf(ErrTaskConfig, name, "folder name is not a valid task name (letters, digits, _ . -, starting with a letter or _); rename %s", folder)
	}
	if old := r.snaps[name]; old != nil && old.path == real && r.freshLocked(old) {
		return old, nil
	}
	// A folder replaced by directory renames (mv flowers old; mv new flowers) keeps its
	// path, so reading through real does not hold it still: a snapshot read across the
	// swap would pair one version's task.json with the other's model. Where the system
	// can, every file is read through an open descriptor of the folder, which a rename
	// does not move: the snapshot is whichever version was there at the open.
	if t, err, ok := r.readPinned(name, folder, real); ok {
		if err != nil {
			return nil, err
		}
		r.setSnapLocked(name, t)
		return t, nil
	}
	// Elsewhere the folder must be the same directory, holding the same task.json,
	// after the read as before it; else the read is done again.
	for try := 0; ; try++ {
		before := dirID(real)
		t, err := r.readUserTask(name, folder, real)
		if dirID(real) == before && (t == nil || t.hfStamps != nil || statStamp(filepath.Join(real, "task.json")) == t.cfgStamp) {
			if err != nil {
				return nil, err
			}
			r.setSnapLocked(name, t)
			return t, nil
		}
		if try == 2 {
			return nil, fmt.Errorf("task %q: folder %s was replaced while it was read: %w; rerun the query", name, folder, ErrTaskChanged)
		}
	}
}

// forgetGoneLocked supersedes the snapshots (other than name's, which Lookup resolves
// now) whose folders are no longer there: when name is new to the registry (a version
// deployed under a new name, the old folder removed), else at most every goneEvery.
func (r *Registry) forgetGoneLocked(name string) {
	_, known := r.snaps[name]
	if now := time.Now(); !known || now.Sub(r.gone) >= goneEvery {
		r.gone = now
		for n, t := range r.snaps {
			if n == name || t.fsys != nil {
				continue
			}
			// The folder as found in the task folder (a link's own entry: a removed
			// link whose target stays, kept for a rollback, is gone too), then what
			// it resolved to.
			if _, err := os.Lstat(t.Source); err != nil {
				r.setSnapLocked(n, nil)
				continue
			}
			if _, err := os.Stat(t.path); err != nil {
				r.setSnapLocked(n, nil)
			}
		}
	}
}

// Retire marks every current snapshot superseded (Pool.Use then frees their sessions
// once no statement uses them): for a registry no query is expected to use for a
// while. They stay current: a lookup that finds one still fresh takes it back, so
// the parts of a statement bound across a Retire (a TaskRef) see one version.
func (r *Registry) Retire() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, t := range r.snaps {
		t.superseded.Store(true)
	}
}

// setSnapLocked makes t (nil: none) the current snapshot of name; the one it replaces
// is superseded.
func (r *Registry) setSnapLocked(name string, t *Task) {
	if old := r.snaps[name]; old != nil && old != t {
		old.superseded.Store(true)
	}
	if t == nil {
		delete(r.snaps, name)
		return
	}
	r.snaps[name] = t
}

// readPinned reads a snapshot of the folder at real through an open descriptor of it,
// named by /proc/self/fd/N (Linux): every path under that name resolves inside the
// directory that was opened, even once another has been renamed into its place. ok is
// false where that cannot be done. The snapshot keeps real as its path, for the loads
// that come later (a file found changed there then makes the load fail, as for any
// change).
func (r *Registry) readPinned(name, folder, real string) (t *Task, err error, ok bool) {
	d, err := os.Open(real)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, taskErrorf(ErrTaskConfig, name, "cannot read task folder %s: %v; fix its permissions or move it out of %s", folder, err, filepath.Dir(folder)), true
	}
	if err != nil {
		// It was there a moment ago (resolveLocked): it is being replaced. Reading
		// by path instead could catch both versions.
		return nil, fmt.Errorf("task %q: folder %s was replaced while it was read (%v): %w; rerun the query", name, folder, err, ErrTaskChanged), true
	}
	defer d.Close()
	via := "/proc/self/fd/" + strconv.Itoa(int(d.Fd()))
	st, err1 := d.Stat()
	vst, err2 := os.Stat(via)
	if err1 != nil || err2 != nil || !st.IsDir() || !os.SameFile(st, vst) {
		return nil, nil, false // no /proc here
	}
	t, err = r.readUserTask(name, folder, via)
	if err != nil {
		return nil, viaError{err, via, real}, true
	}
	t.path = real
	return t, nil, true
}

// viaError names the folder in an error from readPinned's read as the user knows it.
type viaError struct {
	err       error
	via, real string
}

func (e viaError) Error() string { return strings.ReplaceAll(e.err.Error(), e.via, e.real) }
func (e viaError) Unwrap() error { return e.err }

// dirID is the identity (device and inode) of the folder at path; zero when it cannot
// be read, and on systems whose stamps carry no inode.
func dirID(path string) fileStamp {
	s := statStamp(path)
	return fileStamp{dev: s.dev, ino: s.ino}
}

// readUserTask reads one snapshot of the task folder at real.
func (r *Registry) readUserTask(name, folder, real string) (*Task, error) {
	// Files are read through real; messages name the folder as the user gave it.
	cfgPath := filepath.Join(real, "task.json")
	data, stamp, err := readRegular(cfgPath, "task.json", maxConfigBytes)
	hf := isHFFolder(real)
	if errors.Is(err, fs.ErrNotExist) && !hf {
		return nil, taskErrorf(ErrTaskConfig, name, "%s has no task.json; add one (see the README's Tasks section), make it a Hugging Face folder (config.json, tokenizer.json, onnx/model.onnx), or move the folder out of %s", folder, filepath.Dir(folder))
	}
	if err != nil && !(hf && errors.Is(err, fs.ErrNotExist)) {
		return nil, taskErrorf(ErrTaskConfig, name, "%v", err)
	}
	var hfStamps []fileStamp
	var hm hfModel
	if hf {
		for _, f := range hfFiles {
			hfStamps = append(hfStamps, statStamp(filepath.Join(real, f)))
		}
		overridden := data != nil
		if data, hm, err = hfConfig(real, data); err != nil {
			return nil, taskErrorf(ErrTaskConfig, name, "%v", err)
		}
		cfgPath = filepath.Join(real, "config.json")
		if overridden {
			// The fields in question may be the user's own, from task.json.
			cfgPath += " with its task.json"
		}
	}
	cfg, err := ParseConfig(data)
	if err != nil {
		return nil, taskErrorf(ErrTaskConfig, name, "%s: %s", cfgPath, strings.TrimPrefix(err.Error(), "task.json: "))
	}
	cfg.poolingImplicit = hm.poolingImplicit
	cfg.stUnapplied, cfg.stFolder = hm.stUnapplied, folder
	t := &Task{Name: name, Source: folder, Config: cfg, path: real, cfgBytes: data, cfgStamp: stamp, hfStamps: hfStamps, positions: hm.positions, posStart: hm.posStart, st: hm.st, serial: snapshots.Add(1)}
	if cfg.Tokenizer != "" {
		if err := t.loadTokenizer(); err != nil {
			return nil, err
		}
	}
	t.modelStamp = statStamp(t.modelPath())
	t.racy = isRacy(time.Now(), t.cfgStamp, t.modelStamp, t.tokStamp)
	return t, nil
}

// racyWindow: a file whose timestamps are this recent may be written again with the
// same stamp (timestamps advance in coarse steps: a kernel tick, or 1-2 s on some
// file systems), so its stamp alone cannot vouch for its content.
const racyWindow = 2 * time.Second

func isRacy(now time.Time, stamps ...fileStamp) bool {
	for _, s := range stamps {
		for _, ts := range []int64{s.mtime, s.ctime} {
			if ts != 0 && now.Sub(time.Unix(0, ts)) < racyWindow {
				return true
			}
		}
	}
	return false
}

func statStamp(path string) fileStamp {
	fi, err := os.Stat(path)
	if err != nil {
		return fileStamp{}
	}
	return stampOf(fi)
}

// freshLocked reports whether t still describes its folder: task.json, the model file
// and the tokenizer file have the stamps t saw (a replaced, rewritten or touched file has a new inode,
// size or times), and no load found the model changed (stale). While the stamps are
// too recent to trust (racy), task.json's bytes are compared too, as git does for its
// index, and a model already read is hashed again.
func (r *Registry) freshLocked(t *Task) bool {
	cs := statStamp(filepath.Join(t.path, "task.json"))
	ms := statStamp(t.modelPath())
	if cs != t.cfgStamp || ms != t.modelStamp || t.stale.Load() {
		return false
	}
	// The tokenizer is read with the snapshot: a new one (an edited vocabulary, or
	// the file a task.json's "tokenizer" names) makes a new snapshot.
	var ts fileStamp
	if t.Config.Tokenizer != "" && t.fsys == nil {
		if ts = statStamp(filepath.Join(t.path, t.Config.Tokenizer)); ts != t.tokStamp {
			return false
		}
		if t.racy {
			// Too recent to trust its stamp: compare the content.
			data, _, err := readRegular(filepath.Join(t.path, t.Config.Tokenizer), "tokenizer file", maxTokenizerBytes)
			if err != nil || sha256.Sum256(data) != t.tokSum {
				return false
			}
		}
	}
	for i, st := range t.hfStamps {
		if statStamp(filepath.Join(t.path, hfFiles[i])) != st {
			return false
		}
	}
	if t.hfStamps != nil {
		return true // the synthesized task.json is not a file to compare
	}
	if !t.racy {
		return true
	}
	now := time.Now()
	data, _, err := readRegular(filepath.Join(t.path, "task.json"), "task.json", maxConfigBytes)
	if err != nil || !bytes.Equal(data, t.cfgBytes) {
		return false
	}
	// A model already read (its sessions are loaded) must still be that content.
	if want, ok := t.pinned(); ok {
		if sum, _, err := hashRegular(t.modelPath(), "model file", MaxModelBytes); err != nil || sum != want {
			return false
		}
	}
	t.racy = isRacy(now, cs, ms, ts)
	return true
}
