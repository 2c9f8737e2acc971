package models

import (
	"io/fs"
	"syscall"
)

// fileStamp tells whether a file may have changed without reading it: device, inode,
// size, modification and status-change times. The status-change time moves on every
// write and cannot be set back, unlike mtime (cp -p, rsync -t).
type fileStamp struct {
	dev, ino     uint64
	size         int64
	mtime, ctime int64 // ns since the epoch
}

func stampOf(fi fs.FileInfo) fileStamp {
	s := fileStamp{size: fi.Size(), mtime: fi.ModTime().UnixNano()}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		s.dev, s.ino, s.ctime = uint64(st.Dev), st.Ino, st.Ctim.Nano()
	}
	return s
}
