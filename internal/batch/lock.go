package batch

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sys/unix"
)

// unitLock is an exclusive flock(2) on the unit's lock file, held while the unit is
// worked on.
//
// Why flock and not an O_EXCL lock file: the kernel drops a flock when its holder
// dies, kill -9 included, so a crashed worker never leaves a stale lock, and no
// timeout can take a live but slow worker's lock away (which would let two write one
// unit). An O_EXCL file needs exactly that guess. Linux's NFS client (v4, or v3 with
// lockd) maps flock to NFS byte-range locks, so it holds across machines on a shared
// volume; a file system without locks fails here with an error saying so.
//
// Lock files are never deleted: deleting one while another process waits on it
// would let a third lock a new file of the same name, and two would hold "the" lock.
type unitLock struct{ f *os.File }

// lockPoll is how often a shard waiting for a unit another process holds tries the
// lock again. A blocking flock(2) cannot be interrupted by a cancelled context, so a
// waiting shard would ignore SIGTERM and Ctrl-C for as long as the holder lives;
// polling lets it stop within this interval.
const lockPoll = 200 * time.Millisecond

// lockUnit takes the lock; with wait false it returns nil, nil when another process
// holds it, with wait true it tries again every lockPoll until it gets the lock or
// ctx is done.
func lockUnit(ctx context.Context, path string, wait bool) (*unitLock, error) {
	return lockFile(ctx, path, unix.LOCK_EX, wait)
}

// lockJob takes the job-wide lock, _duckinfer/job.lock: exclusive (unix.LOCK_EX) to
// change the fingerprint or shard count job.json records, shared (unix.LOCK_SH)
// around a unit's commit, which checks that fingerprint. Both hold it for a few file
// operations, so a commit cannot land between another run's change and its end.
func lockJob(ctx context.Context, l layout, how int) (*unitLock, error) {
	return lockFile(ctx, filepath.Join(l.dir, metaDir, "job.lock"), how, true)
}

// lockFile takes a flock of kind how (unix.LOCK_EX or unix.LOCK_SH) on path, as
// lockUnit does.
func lockFile(ctx context.Context, path string, how int, wait bool) (*unitLock, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("batch: opening lock %s: %w", path, err)
	}
	for {
		err = unix.Flock(int(f.Fd()), how|unix.LOCK_NB)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err == nil {
			return &unitLock{f}, nil
		}
		if !errors.Is(err, unix.EWOULDBLOCK) {
			f.Close()
			return nil, fmt.Errorf("batch: locking %s: %w; the output folder must be on a file system with flock (local, NFSv4, or NFSv3 with lockd)", path, err)
		}
		if !wait {
			f.Close()
			return nil, nil
		}
		t := time.NewTimer(lockPoll)
		select {
		case <-ctx.Done():
			t.Stop()
			f.Close()
			return nil, fmt.Errorf("batch: waiting for the lock %s, which another process holds: %w", path, ctx.Err())
		case <-t.C:
		}
	}
}

func (l *unitLock) unlock() { l.f.Close() }
