package models

import (
	"debug/elf"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"

	ort "github.com/yalue/onnxruntime_go"
)

// LibraryEnv overrides the ONNX Runtime library search with a file path.
const LibraryEnv = "DUCKINFER_ORT_LIB"

// Flavor names a set of ONNX Runtime files: "cpu" or "gpu" (CUDA providers beside it).
type Flavor string

const (
	FlavorCPU Flavor = "cpu"
	FlavorGPU Flavor = "gpu"
)

// RuntimeInfo says which ONNX Runtime library the process loaded.
type RuntimeInfo struct {
	Path    string
	Version string
	Flavor  Flavor
}

// ONNX Runtime allows one environment per process, so its state is process-wide.
var ortState struct {
	sync.Mutex
	info RuntimeInfo
	ok   bool
}

// LibraryCandidates lists where the library is looked for, in order:
// $DUCKINFER_ORT_LIB; the folders given to AddLibraryDirs (the loadable extension's
// own); lib/ort/<flavor>/ beside the executable or one folder up
// (bin/duckinfer → lib/ort/...); lib/ort/<flavor>/ in the working directory or any
// parent (go test runs inside package folders); the per-user copy that `make setup`
// installs (UserLibraryDir), so a binary copied elsewhere or a Go program built outside
// the repository finds it; finally the system loader's search path.
func LibraryCandidates(flavor Flavor) []string {
	if p := os.Getenv(LibraryEnv); p != "" {
		// A file path, also when it has no slash: dlopen would search the loader's
		// path for a bare name, never the working directory.
		if abs, err := filepath.Abs(p); err == nil {
			p = abs
		}
		return []string{p}
	}
	rel := filepath.Join("lib", "ort", string(flavor), libName)
	var out []string
	extraLibDirs.Lock()
	for _, d := range extraLibDirs.dirs {
		out = append(out, filepath.Join(d, rel), filepath.Join(d, libName))
	}
	extraLibDirs.Unlock()
	if exe, err := os.Executable(); err == nil {
		d := filepath.Dir(exe)
		out = append(out, filepath.Join(d, rel), filepath.Join(filepath.Dir(d), rel))
	}
	if wd, err := os.Getwd(); err == nil {
		for d := wd; ; d = filepath.Dir(d) {
			out = append(out, filepath.Join(d, rel))
			if filepath.Dir(d) == d {
				break
			}
		}
	}
	if d := UserLibraryDir(flavor); d != "" {
		out = append(out, filepath.Join(d, libName))
	}
	return append(out, libName)
}

var extraLibDirs struct {
	sync.Mutex
	dirs []string
}

// AddLibraryDirs makes LibraryCandidates look in each folder (lib/ort/<flavor>/ inside
// it, then the folder itself) right after $DUCKINFER_ORT_LIB: the loadable extension
// adds its own folder, where no executable of ours is.
func AddLibraryDirs(dirs ...string) {
	extraLibDirs.Lock()
	defer extraLibDirs.Unlock()
	extraLibDirs.dirs = append(extraLibDirs.dirs, dirs...)
}

// UserLibraryDir is the per-user location of the library files of a flavor:
// $XDG_DATA_HOME/duckinfer/ort/<flavor>, by default ~/.local/share/duckinfer/ort/<flavor>.
// scripts/setup-ort.sh installs a checksum-verified copy there. "" without a home.
func UserLibraryDir(flavor Flavor) string {
	base := os.Getenv("XDG_DATA_HOME")
	if base == "" {
		home, err := os.UserHomeDir()
		if err != nil || home == "" {
			return ""
		}
		base = filepath.Join(home, ".local", "share")
	}
	return filepath.Join(base, "duckinfer", "ort", string(flavor))
}

// InitRuntime loads the ONNX Runtime library once per process. A failure is not
// remembered: after the user installs the library the next call succeeds.
func InitRuntime(flavor Flavor) (RuntimeInfo, error) {
	ortState.Lock()
	defer ortState.Unlock()
	if ortState.ok {
		return ortState.info, nil
	}
	cands := LibraryCandidates(flavor)
	hint := "run `make setup` in a duckinfer checkout (installs lib/ort/cpu/" + libName + " and a per-user copy in " + UserLibraryDir(flavor) + "), or set " + LibraryEnv + " to the library's path"
	if flavor == FlavorGPU {
		hint = "run `make setup-gpu` in a duckinfer checkout (installs lib/ort/gpu/ and a per-user copy in " + UserLibraryDir(flavor) + "), or set " + LibraryEnv
	}
	if p := os.Getenv(LibraryEnv); p != "" {
		// Named by the user: that file or an error, never another library found by
		// the loader's own search (which an empty path would start).
		if st, err := os.Stat(cands[0]); err != nil || st.IsDir() {
			why := "is a folder"
			if err != nil {
				why = err.Error()
			}
			return RuntimeInfo{}, fmt.Errorf("%w: %s=%s, but that is not a library file (%s); point it at libonnxruntime.so.1 itself, or unset it to use the usual places. Fix: %s", ErrRuntime, LibraryEnv, p, why, hint)
		}
	}
	path := ""
	for _, c := range cands {
		if !strings.Contains(c, "/") {
			path = c // bare name: let the dynamic loader search
			break
		}
		if st, err := os.Stat(c); err == nil && !st.IsDir() {
			path = c
			break
		}
	}
	if err := checkELF(path); err != nil {
		return RuntimeInfo{}, fmt.Errorf("%w: %s %v (an interrupted or disk-full setup?). Fix: %s", ErrRuntime, path, err, hint)
	}
	ort.SetSharedLibraryPath(path)
	if err := ort.InitializeEnvironment(ort.WithLogLevelFatal()); err != nil {
		return RuntimeInfo{}, fmt.Errorf("%w: loading %q failed (looked in: %s): %v. Fix: %s",
			ErrRuntime, path, strings.Join(cands, ", "), err, hint)
	}
	_ = ort.DisableTelemetry()
	ortState.info = RuntimeInfo{Path: path, Version: ort.GetVersion(), Flavor: flavor}
	ortState.ok = true
	return ortState.info, nil
}

// Runtime reports the loaded library, if any.
func Runtime() (RuntimeInfo, bool) {
	ortState.Lock()
	defer ortState.Unlock()
	return ortState.info, ortState.ok
}

// HasLibrary reports whether a library of the flavor is installed where
// LibraryCandidates looks (the system search path is not probed).
func HasLibrary(flavor Flavor) bool {
	return LibraryPath(flavor) != ""
}

// LibraryPath is the installed library of the flavor that LibraryCandidates finds
// first, or "" (the system search path is not probed).
func LibraryPath(flavor Flavor) string {
	for _, c := range LibraryCandidates(flavor) {
		if st, err := os.Stat(c); err == nil && !st.IsDir() && strings.Contains(c, "/") {
			return c
		}
	}
	return ""
}

// checkELF refuses an ELF library cut short before dlopen sees it: the loader maps
// every loadable segment, and touching a page past the end of the file kills the
// process with SIGBUS instead of returning an error. Files that are not ELF (another
// platform's format, a bare name for the loader's search) are left to dlopen.
func checkELF(path string) error {
	if !strings.Contains(path, "/") {
		return nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil // dlopen reports it
	}
	defer f.Close()
	magic := make([]byte, 4)
	if _, err := io.ReadFull(f, magic); err != nil || string(magic) != elf.ELFMAG {
		return nil
	}
	st, err := f.Stat()
	if err != nil {
		return nil
	}
	ef, err := elf.NewFile(f)
	if err != nil {
		return fmt.Errorf("is not a readable library (%v)", err)
	}
	for _, p := range ef.Progs {
		if p.Type == elf.PT_LOAD && p.Off+p.Filesz > uint64(st.Size()) {
			return fmt.Errorf("is truncated: %d bytes, where its segments need %d", st.Size(), p.Off+p.Filesz)
		}
	}
	return nil
}
