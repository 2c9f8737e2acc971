package partitions

import "golang.org/x/sys/unix"

// gettid identifies the calling OS thread.
func gettid() int { return unix.Gettid() }
