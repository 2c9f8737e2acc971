//go:build !linux

package partitions

// ThreadID identifies the calling OS thread; ok is false where it cannot (here). Off
// Linux every caller is then partition 0, so all of a query's threads share the first
// slot: correct, but not parallel across slots.
func ThreadID() (tid int, ok bool) { return 0, false }

// threadAlive: off Linux there is one entry, which is never dropped.
func threadAlive(int) bool { return true }
