package duckvec

import (
	"hash/maphash"
	"sync"
	"unsafe"
)

// A text model often sees the same value many times in one chunk (event data: a
// handful of messages, product names, statuses). For a task whose one input is one
// VARCHAR column, a binding finds the chunk's distinct values with a Distinct, the core
// runs the model once per value (core.Call.Run), and every row gets the result
// of its value. DuckDB hands scalar functions flat vectors (its C API flattens even a
// dictionary vector), so without this a repeated value is inferred again on every row.

// Distinct is one chunk's distinct strings and each row's index among them. Its
// strings are borrowed from DuckDB: valid while the chunk is.
type Distinct struct {
	Uniq  []string // distinct non-NULL values, first-seen order
	First []int32  // per Uniq value: the chunk row it was first seen in
	Of    []int32  // per chunk row: index in Uniq, or -1 for NULL

	table []int32              // open addressing: index in Uniq + 1; 0 = empty
	probe [4 * ProbeRows]int32 // the probe's table: chunk row + 1; 0 = empty
}

var distincts = sync.Pool{New: func() any { return new(Distinct) }}

// GetDistinct takes a Distinct from a pool; PutDistinct gives it back once the chunk's
// run is over.
func GetDistinct() *Distinct { return distincts.Get().(*Distinct) }

// PutDistinct returns d to the pool, dropping its borrowed strings.
func PutDistinct(d *Distinct) {
	clear(d.Uniq)
	d.Uniq = d.Uniq[:0]
	distincts.Put(d)
}

var distinctSeed = maphash.MakeSeed()

// ProbeRows rows, spread evenly over the chunk, are looked at first: when fewer than
// one in 64 of them repeats another, the chunk is left to the ordinary path, so data
// whose values are all distinct pays only for hashing these rows. A repeat saves a
// model row (microseconds); hashing costs tens of nanoseconds per row, so a few
// repeats pay.
const ProbeRows = 256

// Load finds the distinct values of a VARCHAR vector's n rows (data and validity mask
// as DuckDB keeps them). It returns false, leaving the chunk to the ordinary path, when
// the probe finds too few repeats to pay for the rest.
func (d *Distinct) Load(data unsafe.Pointer, mask []uint64, n int) bool {
	ss := unsafe.Slice((*String)(data), n)
	if !d.repeats(ss, mask) {
		return false
	}
	size := 1
	for size < 2*n {
		size <<= 1
	}
	d.table = Grow(d.table, size)
	clear(d.table)
	hmask := uint64(size - 1)
	d.Of = Grow(d.Of, n)
	d.Uniq = d.Uniq[:0]
	d.First = d.First[:0]
	for r := range ss {
		if !Valid(mask, r) {
			d.Of[r] = -1
			continue
		}
		s := ss[r].Get()
		h := maphash.String(distinctSeed, s) & hmask
		for {
			e := d.table[h]
			if e == 0 {
				d.Uniq = append(d.Uniq, s)
				d.First = append(d.First, int32(r))
				d.table[h] = int32(len(d.Uniq))
				d.Of[r] = int32(len(d.Uniq) - 1)
				break
			}
			if d.Uniq[e-1] == s {
				d.Of[r] = e - 1
				break
			}
			h = (h + 1) & hmask
		}
	}
	return true
}

// repeats says whether ProbeRows rows spread over the chunk hold enough repeats (at
// least one in 64) for the distinct path to pay. Small chunks always take it.
func (d *Distinct) repeats(ss []String, mask []uint64) bool {
	n := len(ss)
	if n <= 2*ProbeRows {
		return true
	}
	clear(d.probe[:])
	const hmask = uint64(len(d.probe) - 1)
	step := n / ProbeRows
	seen, repeats := 0, 0
	for i := range ProbeRows {
		r := i * step
		if !Valid(mask, r) {
			continue
		}
		seen++
		s := ss[r].Get()
		h := maphash.String(distinctSeed, s) & hmask
		for {
			e := d.probe[h]
			if e == 0 {
				d.probe[h] = int32(r + 1)
				break
			}
			if ss[e-1].Get() == s {
				repeats++
				break
			}
			h = (h + 1) & hmask
		}
	}
	return repeats > 0 && 64*repeats >= seen
}
