package models

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"sync"
)

//go:embed tasks
var shippedTasks embed.FS

// Task is one loadable model task.
type Task struct {
	Name   string
	Source string // folder it came from; "builtin:<name>" for shipped tasks
	Config Config

	fsys fs.FS  // shipped tasks: the embedded folder
	path string // user tasks: the task folder on disk
	dir  string
}

// ModelBytes reads the task's ONNX file. A user task's model must be a regular file
// (symlinks are followed) of at most MaxModelBytes.
func (t *Task) ModelBytes() ([]byte, error) {
	if t.fsys != nil {
		b, err := fs.ReadFile(t.fsys, t.Config.Model)
		if err != nil {
			return nil, taskErrorf(ErrTaskConfig, t.Name, "cannot read model file %s in %s: %v", t.Config.Model, t.Source, err)
		}
		return b, nil
	}
	b, _, err := readRegular(filepath.Join(t.path, t.Config.Model), "model file", MaxModelBytes)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, taskErrorf(ErrTaskConfig, t.Name, "%v; put the ONNX model there or fix \"model\" in task.json", err)
		}
		return nil, taskErrorf(ErrTaskConfig, t.Name, "%v", err)
	}
	return b, nil
}

// Registry finds tasks: the shipped ones, then each user folder in order (a user task
// with a shipped task's name replaces it). It rescans user folders when a name is not
// found, so a folder dropped in while the program runs is seen by the next query.
type Registry struct {
	userDirs []string

	mu    sync.Mutex
	tasks map[string]*Task
	errs  map[string]error // broken task folders by name, reported on lookup
}

// NewRegistry scans the shipped tasks and userDirs.
func NewRegistry(userDirs ...string) (*Registry, error) {
	r := &Registry{userDirs: append([]string(nil), userDirs...)}
	for _, d := range r.userDirs {
		if st, err := os.Stat(d); err != nil || !st.IsDir() {
			return nil, fmt.Errorf("models: task folder %q: not a readable directory; create it or drop it from the task folders: %w", d, ErrTaskConfig)
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.scanLocked()
	return r, nil
}

// Dirs describes where tasks are looked up, for error messages.
func (r *Registry) Dirs() []string {
	out := []string{"built-in (models/tasks)"}
	return append(out, r.userDirs...)
}

func (r *Registry) scanLocked() {
	old := r.tasks
	r.tasks = map[string]*Task{}
	r.errs = map[string]error{}
	sub, _ := fs.Sub(shippedTasks, "tasks")
	r.scanFS(sub, "builtin:", "", old)
	for _, d := range r.userDirs {
		r.scanFS(os.DirFS(d), "", d, old)
	}
}

func (r *Registry) scanFS(fsys fs.FS, prefix, dir string, old map[string]*Task) {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return
	}
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		name := e.Name()
		var cfgBytes []byte
		if dir == "" {
			cfgBytes, err = fs.ReadFile(fsys, name+"/task.json")
		} else {
			cfgBytes, _, err = readRegular(filepath.Join(dir, name, "task.json"), "task.json", maxConfigBytes)
		}
		if errors.Is(err, fs.ErrNotExist) {
			continue // not a task folder
		}
		source := prefix + name
		if dir != "" {
			source = filepath.Join(dir, name)
		}
		if !taskNamePattern.MatchString(name) {
			r.errs[name] = taskErrorf(ErrTaskConfig, name, "folder name is not a valid task name (letters, digits, _ . -); rename %s", source)
			continue
		}
		if err != nil {
			r.errs[name] = taskErrorf(ErrTaskConfig, name, "%s: %v", source, err)
			continue
		}
		cfg, err := ParseConfig(cfgBytes)
		if err != nil {
			r.errs[name] = taskErrorf(ErrTaskConfig, name, "%s: %v", source, err)
			continue
		}
		delete(r.errs, name)
		// Keep the same *Task across rescans so loaded sessions stay valid.
		if t, ok := old[name]; ok && t.Source == source {
			r.tasks[name] = t
			continue
		}
		t := &Task{Name: name, Source: source, Config: cfg, dir: dir}
		if dir == "" {
			t.fsys, _ = fs.Sub(fsys, name)
		} else {
			t.path = filepath.Join(dir, name)
		}
		r.tasks[name] = t
	}
}

// Lookup returns the named task, or an error that lists the known tasks and where
// they are looked up.
func (r *Registry) Lookup(name string) (*Task, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if t, ok := r.tasks[name]; ok {
		return t, nil
	}
	r.scanLocked()
	if t, ok := r.tasks[name]; ok {
		return t, nil
	}
	if err, ok := r.errs[name]; ok {
		return nil, err
	}
	return nil, fmt.Errorf("%w %q; known tasks: %s. Tasks are looked up in: %s. Add a task folder (task.json + model.onnx) to a folder named by -models, %s or extension.WithTaskDirs",
		ErrUnknownTask, name, quoteList(r.namesLocked()), quoteList(r.Dirs()), "DUCKINFER_MODELS")
}

// Tasks lists all valid tasks sorted by name.
func (r *Registry) Tasks() []*Task {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.scanLocked()
	out := make([]*Task, 0, len(r.tasks))
	for _, n := range r.namesLocked() {
		out = append(out, r.tasks[n])
	}
	return out
}

func (r *Registry) namesLocked() []string {
	names := make([]string, 0, len(r.tasks))
	for n := range r.tasks {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
