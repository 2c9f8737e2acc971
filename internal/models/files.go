package models

import (
	"crypto/sha256"
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
// until a writer comes. A missing file wraps fs.ErrNotExist.
func readRegular(path, what string, limit int64) ([]byte, fileStamp, error) {
	f, fi, err := openRegular(path, what, limit)
	if err != nil {
		return nil, fileStamp{}, err
	}
	defer f.Close()
	// Read exactly the size fstat saw: a file that shrinks meanwhile is being
	// rewritten, and one that grows is read as it was.
	b := make([]byte, fi.Size())
	if _, err := io.ReadFull(f, b); err != nil {
		return nil, fileStamp{}, readError(err, path, what)
	}
	return b, stampOf(fi), nil
}

// hashRegular is readRegular's sha256 without holding the content.
func hashRegular(path, what string, limit int64) ([sha256.Size]byte, fileStamp, error) {
	var sum [sha256.Size]byte
	f, fi, err := openRegular(path, what, limit)
	if err != nil {
		return sum, fileStamp{}, err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.CopyN(h, f, fi.Size()); err != nil {
		return sum, fileStamp{}, readError(err, path, what)
	}
	h.Sum(sum[:0])
	return sum, stampOf(fi), nil
}

// openRegular opens path when it is a regular file of 1..limit bytes. It stats first
// so that devices are never opened, opens with O_NONBLOCK and checks again with fstat,
// so a path swapped for a FIFO in between cannot block either.
func openRegular(path, what string, limit int64) (*os.File, fs.FileInfo, error) {
	if fi, err := os.Stat(path); err != nil {
		return nil, nil, fmt.Errorf("cannot read %s %s: %w", what, path, err)
	} else if err := checkRegular(fi, path, what, limit); err != nil {
		return nil, nil, err
	}
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, nil, fmt.Errorf("cannot read %s %s: %w", what, path, err)
	}
	fi, err := f.Stat()
	if err == nil {
		err = checkRegular(fi, path, what, limit)
	}
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	return f, fi, nil
}

func readError(err error, path, what string) error {
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return fmt.Errorf("%s %s shrank while it was read (being rewritten?); wait until it is written, then retry", what, path)
	}
	return fmt.Errorf("cannot read %s %s: %w", what, path, err)
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
