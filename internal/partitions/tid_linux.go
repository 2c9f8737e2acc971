package partitions

import "golang.org/x/sys/unix"

// ThreadID identifies the calling OS thread; ok is false where it cannot.
func ThreadID() (tid int, ok bool) { return unix.Gettid(), true }

// threadAlive reports whether thread tid of this process still runs: signal 0 checks
// without sending anything. (A tid the kernel has given to a new thread counts as
// alive; that thread then takes the old one's index, as before pruning.)
func threadAlive(tid int) bool { return unix.Tgkill(unix.Getpid(), tid, 0) != unix.ESRCH }
