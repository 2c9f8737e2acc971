//go:build !linux

package models

import "io/fs"

// fileStamp tells whether a file may have changed without reading it (size and
// modification time; Linux adds device, inode and status-change time).
type fileStamp struct {
	dev, ino     uint64
	size         int64
	mtime, ctime int64 // ns since the epoch
}

func stampOf(fi fs.FileInfo) fileStamp {
	return fileStamp{size: fi.Size(), mtime: fi.ModTime().UnixNano()}
}
