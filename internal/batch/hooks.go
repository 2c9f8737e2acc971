package batch

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
)

// HookEnv is a TEST-ONLY fault hook: "ACTION:STAGE[:SHARD[:NTH]]" makes the process
// kill itself with SIGKILL (ACTION kill) or stop itself with SIGSTOP (ACTION pause,
// to be killed from outside, as scancel does) when it reaches STAGE, optionally only
// as shard SHARD and at its NTH unit worked on (0-based). The fault tests and
// `make test-slurm` use it to crash a real process at a known point; it does nothing
// when unset, and nothing a user sets it to can change an output.
const HookEnv = "DUCKINFER_TEST_HOOK"

// The points a shard can be stopped at, in the order a unit passes them.
const (
	stageRead          = "read"           // unit locked, temp files cleaned, before its query
	stageInference     = "inference"      // the unit's first rows reached the model
	stageWrite         = "write"          // the temp Parquet file has data
	stageRename        = "rename"         // temp Parquet file complete and synced, not renamed
	stageManifest      = "manifest"       // output renamed into place, no manifest yet
	stageManifestWrite = "manifest-write" // manifest's temp file written, not renamed
)

var stages = []string{stageRead, stageInference, stageWrite, stageRename, stageManifest, stageManifestWrite}

type hookSet struct {
	mu     sync.Mutex
	action string // "" when off
	stage  string
	shard  int // -1: any
	nth    int // -1: any
	cur    int // this process's shard
	unit   int // units started so far by this process, minus one
	id     string
}

var hooks = loadHooks(os.Getenv(HookEnv))

func loadHooks(spec string) *hookSet {
	h := &hookSet{shard: -1, nth: -1, unit: -1}
	if spec == "" {
		return h
	}
	parts := strings.Split(spec, ":")
	bad := func() *hookSet {
		fmt.Fprintf(os.Stderr, "duckinfer: ignoring %s=%q: want kill|pause:STAGE[:SHARD[:NTH]], STAGE one of %s\n", HookEnv, spec, strings.Join(stages, ", "))
		return &hookSet{shard: -1, nth: -1, unit: -1}
	}
	if len(parts) < 2 || len(parts) > 4 || (parts[0] != "kill" && parts[0] != "pause") {
		return bad()
	}
	known := false
	for _, s := range stages {
		known = known || s == parts[1]
	}
	if !known {
		return bad()
	}
	h.action, h.stage = parts[0], parts[1]
	var err error
	if len(parts) > 2 && parts[2] != "" {
		if h.shard, err = strconv.Atoi(parts[2]); err != nil {
			return bad()
		}
	}
	if len(parts) > 3 && parts[3] != "" {
		if h.nth, err = strconv.Atoi(parts[3]); err != nil {
			return bad()
		}
	}
	return h
}

// startUnit tells the hooks which shard and unit the process works on now.
func (h *hookSet) startUnit(shard int, id string) {
	h.mu.Lock()
	h.cur, h.id = shard, id
	h.unit++
	h.mu.Unlock()
}

// armed reports whether the hook fires at stage for the current unit.
func (h *hookSet) armed(stage string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.action != "" && h.stage == stage && (h.shard < 0 || h.shard == h.cur) && (h.nth < 0 || h.nth == h.unit)
}

// at fires the hook if it is armed for stage.
func (h *hookSet) at(stage string) {
	if !h.armed(stage) {
		return
	}
	h.fire(stage, "")
}

func (h *hookSet) fire(stage, how string) {
	h.mu.Lock()
	id := h.id
	h.mu.Unlock()
	sig, verb := syscall.SIGKILL, "killing"
	if h.action == "pause" {
		sig, verb = syscall.SIGSTOP, "stopping"
	}
	fmt.Fprintf(os.Stderr, "duckinfer: test hook: %s pid %d at %s%s of unit %s\n", verb, os.Getpid(), stage, how, id)
	// To this thread, not the process: a process-directed signal may be taken by
	// another thread, and this one would go on past the point (a rename, a stat)
	// until the stop reached it. A stop or kill of one thread stops or kills all.
	runtime.LockOSThread()
	syscall.Tgkill(os.Getpid(), syscall.Gettid(), sig)
	runtime.UnlockOSThread()
}
