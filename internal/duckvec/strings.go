package duckvec

import (
	"fmt"
	"math"
	"unsafe"
)

// String is DuckDB's duckdb_string_t: a length, then up to 12 bytes inline, or a
// 4-byte prefix and a pointer to the bytes.
type String struct {
	length uint32
	prefix [4]byte
	ptr    *byte
}

// Get borrows the string's bytes from DuckDB: valid while DuckDB holds the vector.
func (s *String) Get() string {
	if s.length <= 12 {
		return unsafe.String(&s.prefix[0], int(s.length))
	}
	return unsafe.String(s.ptr, int(s.length))
}

// Valid says whether row r is valid under DuckDB's validity mask (bit r%64 of word
// r/64; a nil mask: every row is).
func Valid(mask []uint64, r int) bool {
	return mask == nil || mask[r/64]&(1<<(r%64)) != 0
}

// ClearNulls clears valid[r] for every row r the mask marks NULL (a nil mask: none).
func ClearNulls(mask []uint64, valid []bool) {
	for w, bits := range mask {
		if bits == ^uint64(0) {
			continue
		}
		for b := range 64 {
			if r := w*64 + b; r < len(valid) && bits&(1<<b) == 0 {
				valid[r] = false
			}
		}
	}
}

// Mask views a validity mask for n rows (nil stays nil: every row valid).
func Mask(p unsafe.Pointer, n int) []uint64 {
	if p == nil {
		return nil
	}
	return unsafe.Slice((*uint64)(p), (n+63)/64)
}

// ReadStrings borrows the strings of a VARCHAR vector's data into dst (one per row), ""
// for a NULL row (DuckDB leaves its entry uninitialised), and clears valid[r] for it.
func ReadStrings(data unsafe.Pointer, mask []uint64, dst []string, valid []bool) {
	ss := unsafe.Slice((*String)(data), len(dst))
	if mask == nil {
		for r := range dst {
			dst[r] = ss[r].Get()
		}
		return
	}
	for r := range dst {
		if Valid(mask, r) {
			dst[r] = ss[r].Get()
		} else {
			dst[r] = ""
			valid[r] = false
		}
	}
}

// CheckPacked refuses a chunk's result strings packed into one buffer of size bytes
// when their 32-bit end offsets (what the C writers take) would wrap: the rows would
// silently get other rows' bytes. Only ml_infer_probs' strings can come near (about
// 2 MiB per row: some 140 000 labels).
func CheckPacked(size int) error {
	if uint64(size) > math.MaxUint32 {
		return fmt.Errorf("one chunk's results take %d bytes, more than the 4 GiB one chunk's strings can hold; for so many labels drop probabilities := true (predicted_class and confidence still work)", size)
	}
	return nil
}
