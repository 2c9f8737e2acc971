package partitions

import (
	"sync"
	"sync/atomic"
)

// Threads numbers the OS threads that call in: a DuckDB worker thread keeps its
// index for the life of the database, across queries, so it keeps its model slot.
// (A Go callback from C runs on the C thread that called it, so the thread id
// identifies the DuckDB worker.)
type Threads struct {
	ids  sync.Map // tid → int
	next atomic.Int64
}

// Current returns the calling thread's partition index, assigning the next free
// index on a thread's first call.
func (t *Threads) Current() int {
	tid := gettid()
	if v, ok := t.ids.Load(tid); ok {
		return v.(int)
	}
	v, _ := t.ids.LoadOrStore(tid, int(t.next.Add(1)-1))
	return v.(int)
}

// Count is how many partitions have been seen.
func (t *Threads) Count() int { return int(t.next.Load()) }
