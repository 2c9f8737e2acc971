// Package extfooter writes (and reads back) the 512-byte metadata footer DuckDB checks
// when it LOADs an extension file: eight 32-byte fields, stored last field first, and
// a 256-byte signature (zeros: the extension is unsigned, so DuckDB loads it only with
// allow_unsigned_extensions). The layout is DuckDB's ParseExtensionMetaData
// (src/main/extension/extension_load.cpp).
package extfooter

import (
	"bytes"
	"fmt"
	"io"
	"os"
)

// Size is the footer's length; fieldSize one field's.
const (
	Size      = 512
	fieldSize = 32
	magic     = "4" // the metadata format DuckDB 1.x and 2.0 expect
)

// Metadata is what the footer says about the extension.
type Metadata struct {
	Platform         string // e.g. linux_amd64
	Version          string // the C API version for ABI C_STRUCT (v1.5.6), else the DuckDB version
	ExtensionVersion string
	ABI              string // C_STRUCT, C_STRUCT_UNSTABLE or CPP
}

// Encode returns the footer bytes.
func (m Metadata) Encode() ([]byte, error) {
	// Fields in the order DuckDB reads them after reversing: magic, platform, version,
	// extension version, ABI, then three unused.
	fields := []string{magic, m.Platform, m.Version, m.ExtensionVersion, m.ABI, "", "", ""}
	out := make([]byte, 0, Size)
	for i := len(fields) - 1; i >= 0; i-- {
		f := fields[i]
		if len(f) > fieldSize {
			return nil, fmt.Errorf("extfooter: %q is longer than %d bytes", f, fieldSize)
		}
		out = append(out, f...)
		out = append(out, make([]byte, fieldSize-len(f))...)
	}
	return append(out, make([]byte, Size-len(out))...), nil
}

// Decode reads a footer (the last Size bytes of an extension file).
func Decode(b []byte) (Metadata, error) {
	if len(b) != Size {
		return Metadata{}, fmt.Errorf("extfooter: a footer is %d bytes, got %d", Size, len(b))
	}
	field := func(j int) string { // j as DuckDB numbers them after reversing
		i := 7 - j
		return string(bytes.TrimRight(b[i*fieldSize:(i+1)*fieldSize], "\x00"))
	}
	if field(0) != magic {
		return Metadata{}, fmt.Errorf("extfooter: no DuckDB extension footer (magic %q)", field(0))
	}
	return Metadata{Platform: field(1), Version: field(2), ExtensionVersion: field(3), ABI: field(4)}, nil
}

// Append adds the footer to the file at path, or replaces the one it ends with: `make
// extension` run again finds the shared library up to date, so go build leaves it as it
// is, footer and all, and a second footer after the first would be a third of DuckDB's
// fields off. A file's tail counts as a footer only when it is exactly what Encode
// writes for the metadata it holds (magic, NUL-padded fields, a zero signature).
func Append(path string, m Metadata) error {
	b, err := m.Encode()
	if err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return fmt.Errorf("extfooter: %w", err)
	}
	at, err := footerAt(f)
	if err != nil {
		f.Close()
		return fmt.Errorf("extfooter: reading %s: %w", path, err)
	}
	if _, err := f.WriteAt(b, at); err != nil {
		f.Close()
		return fmt.Errorf("extfooter: writing %s: %w", path, err)
	}
	return f.Close()
}

// footerAt returns where Append writes the footer in f: over the footer f ends with,
// else at its end.
func footerAt(f *os.File) (int64, error) {
	fi, err := f.Stat()
	if err != nil {
		return 0, err
	}
	end := fi.Size()
	if end < Size {
		return end, nil
	}
	tail := make([]byte, Size)
	if _, err := f.ReadAt(tail, end-Size); err != nil {
		return 0, err
	}
	if old, err := Decode(tail); err == nil {
		if enc, err := old.Encode(); err == nil && bytes.Equal(enc, tail) {
			return end - Size, nil
		}
	}
	return end, nil
}

// Read returns the footer of the file at path.
func Read(path string) (Metadata, error) {
	f, err := os.Open(path)
	if err != nil {
		return Metadata{}, fmt.Errorf("extfooter: %w", err)
	}
	defer f.Close()
	if _, err := f.Seek(-Size, io.SeekEnd); err != nil {
		return Metadata{}, fmt.Errorf("extfooter: %s is shorter than a footer: %w", path, err)
	}
	b := make([]byte, Size)
	if _, err := io.ReadFull(f, b); err != nil {
		return Metadata{}, fmt.Errorf("extfooter: reading %s: %w", path, err)
	}
	return Decode(b)
}
