package extfooter

import (
	"os"
	"path/filepath"
	"testing"
)

// The footer is DuckDB's layout: the magic field last in the first 256 bytes, the
// platform before it, and 256 zero bytes of signature; Read gives back what Append wrote.
func TestFooterLayout(t *testing.T) {
	m := Metadata{Platform: "linux_amd64", Version: "v1.5.6", ExtensionVersion: "v0.1.0", ABI: "C_STRUCT"}
	b, err := m.Encode()
	if err != nil {
		t.Fatal(err)
	}
	if len(b) != Size {
		t.Fatalf("footer is %d bytes", len(b))
	}
	if b[7*32] != '4' || string(b[6*32:6*32+11]) != "linux_amd64" || string(b[3*32:3*32+8]) != "C_STRUCT" {
		t.Errorf("fields are not where DuckDB reads them: % x", b[:256])
	}
	for _, x := range b[256:] {
		if x != 0 {
			t.Fatal("signature is not zero")
		}
	}
	path := filepath.Join(t.TempDir(), "x.duckdb_extension")
	if err := os.WriteFile(path, []byte("ELF..."), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Append(path, m); err != nil {
		t.Fatal(err)
	}
	got, err := Read(path)
	if err != nil || got != m {
		t.Errorf("Read = %+v, %v; want %+v", got, err, m)
	}
	if _, err := (Metadata{Platform: string(make([]byte, 33))}).Encode(); err == nil {
		t.Error("a 33-byte field was accepted")
	}
}

// The DuckDB 2.0.0 companion's footer: ABI C_STRUCT_UNSTABLE with the DuckDB version
// (not a C API version) in the version field, where DuckDB reads it; it reads back.
func TestFooterUnstableABI(t *testing.T) {
	m := Metadata{Platform: "linux_amd64", Version: "v2.0.0", ExtensionVersion: "v0.1.0", ABI: "C_STRUCT_UNSTABLE"}
	b, err := m.Encode()
	if err != nil {
		t.Fatal(err)
	}
	if string(b[5*32:5*32+6]) != "v2.0.0" || string(b[3*32:3*32+17]) != "C_STRUCT_UNSTABLE" || b[3*32+17] != 0 {
		t.Errorf("fields are not where DuckDB reads them: % x", b[:256])
	}
	got, err := Decode(b)
	if err != nil || got != m {
		t.Errorf("Decode = %+v, %v; want %+v", got, err, m)
	}
}

// Pins a defect: `make extension` run twice finds the library up to date (go build
// leaves it, footer and all), and each run appended another footer. Append replaces the
// footer a file ends with, keeps the library's bytes, and appends after anything else.
func TestAppendTwiceKeepsOneFooter(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.duckdb_extension")
	body := []byte("\x7fELF pretend shared library")
	if err := os.WriteFile(path, body, 0o644); err != nil {
		t.Fatal(err)
	}
	m := Metadata{Platform: "linux_amd64", Version: "v1.5.6", ExtensionVersion: "v0.1.0", ABI: "C_STRUCT"}
	for range 3 {
		if err := Append(path, m); err != nil {
			t.Fatal(err)
		}
	}
	m.ExtensionVersion = "v0.2.0"
	if err := Append(path, m); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) != len(body)+Size {
		t.Fatalf("after four Appends the file is %d bytes, want %d (one footer)", len(b), len(body)+Size)
	}
	if string(b[:len(body)]) != string(body) {
		t.Errorf("the library's bytes changed: %q", b[:len(body)])
	}
	if got, err := Read(path); err != nil || got != m {
		t.Errorf("Read = %+v, %v; want the last Append's %+v", got, err, m)
	}
	// A tail that only starts like a footer (a non-zero byte where the signature is) is
	// the library's, not a footer to replace.
	enc, _ := m.Encode()
	enc[Size-1] = 1
	if err := os.WriteFile(path, enc, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Append(path, m); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Size() != 2*Size {
		t.Errorf("a file ending in footer-like bytes: %v, %v; want the footer appended (%d bytes)", fi.Size(), err, 2*Size)
	}
}
