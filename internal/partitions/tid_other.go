//go:build !linux

package partitions

// gettid has no portable counterpart: off Linux every caller is partition 0, so all
// of a query's threads share the first slot. Correct, but not parallel across slots.
func gettid() int { return 0 }

// ThreadID identifies the calling OS thread; ok is false where it cannot (here).
func ThreadID() (tid int, ok bool) { return 0, false }

// threadAlive: off Linux there is one entry, which is never dropped.
func threadAlive(int) bool { return true }
