package models

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"syscall"
)

// MaxModelBytes bounds a model file: an ONNX file is one protobuf message, and protobuf
// cannot encode more than 2 GiB, so anything larger is not a loadable model.
const MaxModelBytes = 2 << 30

// maxConfigBytes bounds task.json, which holds names and labels only.
const maxConfigBytes = 16 << 20

// readRegular reads the file at path, following symlinks, when it is a regular file of
// 1..limit bytes; what names it in errors ("model file", "task.json"). Anything else is
// refused before a byte is read: /dev/zero never ends, and a FIFO blocks its reader
// until a writer comes. The file is opened with O_NONBLOCK and checked again with
// fstat, so a path swapped for a FIFO after the stat cannot block either. A missing
// file wraps fs.ErrNotExist.
func readRegular(path, what string, limit int64) ([]byte, fileStamp, error) {
	if fi, err := os.Stat(path); err != nil {
		return nil, fileStamp{}, fmt.Errorf("cannot read %s %s: %w", what, path, err)
	} else if err := checkRegular(fi, path, what, limit); err != nil {
		return nil, fileStamp{}, err
	}
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, fileStamp{}, fmt.Errorf("cannot read %s %s: %w", what, path, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fileStamp{}, fmt.Errorf("cannot read %s %s: %w", what, path, err)
	}
	if err := checkRegular(fi, path, what, limit); err != nil {
		return nil, fileStamp{}, err
	}
	// Read exactly the size fstat saw: a file that shrinks meanwhile is being
	// rewritten, and one that grows is read as it was.
	b := make([]byte, fi.Size())
	if _, err := io.ReadFull(f, b); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, fileStamp{}, fmt.Errorf("%s %s shrank while it was read (being rewritten?); wait until it is written, then retry", what, path)
		}
		return nil, fileStamp{}, fmt.Errorf("cannot read %s %s: %w", what, path, err)
	}
	return b, stampOf(fi), nil
}

func checkRegular(fi fs.FileInfo, path, what string, limit int64) error {
	if m := fi.Mode(); !m.IsRegular() {
		kind := "not a regular file"
		switch {
		case m.IsDir():
			kind = "a directory"
		case m&fs.ModeNamedPipe != 0:
			kind = "a FIFO (named pipe)"
		case m&fs.ModeCharDevice != 0:
			kind = "a character device"
		case m&fs.ModeDevice != 0:
			kind = "a block device"
		case m&fs.ModeSocket != 0:
			kind = "a socket"
		}
		return fmt.Errorf("%s %s is %s, not a regular file (after following symlinks); put the file itself there, or a symlink to it", what, path, kind)
	}
	if fi.Size() == 0 {
		return fmt.Errorf("%s %s is empty; copy the file there again", what, path)
	}
	if fi.Size() > limit {
		why := "a task.json holds names and labels only"
		if limit == MaxModelBytes {
			why = "an ONNX file is one protobuf message, which cannot exceed 2 GiB"
		}
		return fmt.Errorf("%s %s is %d bytes, over the limit of %d MiB (%s); point at the right file", what, path, fi.Size(), limit>>20, why)
	}
	return nil
}
