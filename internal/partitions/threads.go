package partitions

import (
	"slices"
	"sync"
	"sync/atomic"
)

// Threads numbers the OS threads that call in: a DuckDB worker thread keeps its
// index for the life of the database, across queries, so it keeps its model slot.
// (A Go callback from C runs on the C thread that called it, so the thread id
// identifies the DuckDB worker.) A host's own threads call in too and may be short-lived
// (a Python thread pool, Node workers): the entries of threads that have ended are
// dropped once the map has grown, and their indices go to the next new threads.
type Threads struct {
	ids  sync.Map // tid → int
	next atomic.Int64

	mu      sync.Mutex // a thread's first call: assigning and pruning
	entries int        // in ids
	pruneAt int        // entries at which the next new thread prunes first
	free    []int      // indices of ended threads, highest first
}

// threadsPruneMin is the fewest entries that make a new thread look for ended ones:
// more than DuckDB's workers and a host's usual threads, so most databases never prune.
const threadsPruneMin = 64

// Current returns the calling thread's partition index, assigning an index on a
// thread's first call: the lowest one an ended thread left, else the next.
func (t *Threads) Current() int {
	tid, _ := ThreadID()
	if v, ok := t.ids.Load(tid); ok {
		return v.(int)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.entries >= max(t.pruneAt, threadsPruneMin) {
		t.prune()
	}
	var i int
	if n := len(t.free); n > 0 {
		i, t.free = t.free[n-1], t.free[:n-1]
	} else {
		i = int(t.next.Add(1) - 1)
	}
	t.ids.Store(tid, i)
	t.entries++
	return i
}

// prune drops the entries of threads that have ended. The next prune waits until the
// entries have doubled, so a host with many live threads does not scan at every new one.
func (t *Threads) prune() {
	t.ids.Range(func(k, v any) bool {
		if !threadAlive(k.(int)) {
			t.ids.Delete(k)
			t.free = append(t.free, v.(int))
			t.entries--
		}
		return true
	})
	slices.SortFunc(t.free, func(a, b int) int { return b - a })
	t.pruneAt = 2 * t.entries
}

// Count is how many partition indices have been handed out: the most threads known
// at once, since an ended thread's index is reused.
func (t *Threads) Count() int { return int(t.next.Load()) }
