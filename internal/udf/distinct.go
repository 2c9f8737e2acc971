package udf

import (
	"hash/maphash"
	"sync"

	"github.com/duckdb/duckdb-go/v2"

	"github.com/duckinfer/duckinfer/internal/duckvec"
)

// A text model often sees the same value many times in one chunk (event data: a
// handful of messages, product names, statuses). For a task whose one input is one
// VARCHAR column, ml_infer reads the chunk's strings once, keeps each distinct value
// once (in first-seen order), runs the model on those, and writes every row the result
// of its value. DuckDB hands scalar functions flat vectors, so without this a repeated
// value is inferred again on every row.

// distinct is one chunk's distinct values and each row's index among them.
type distinct struct {
	vals  []string // the chunk's strings, borrowed from DuckDB
	valid []bool
	uniq  []string             // distinct non-NULL values, first-seen order
	first []int32              // per uniq value: the chunk row it was first seen in
	of    []int32              // per chunk row: index in uniq, or -1 for NULL
	rows  int                  // non-NULL rows
	table []int32              // open addressing: index in uniq + 1; 0 = empty
	probe [4 * probeRows]int32 // the probe's table: chunk row + 1; 0 = empty
}

var distincts = sync.Pool{New: func() any { return new(distinct) }}

var distinctSeed = maphash.MakeSeed()

// probeRows rows, spread evenly over the chunk, are looked at first: when fewer than one
// in 64 of them repeats another, the chunk is left to the ordinary path, so data whose
// values are all distinct pays only for hashing these rows. A repeat saves a model row
// (microseconds); hashing costs tens of nanoseconds per row, so a few repeats pay.
const probeRows = 256

// load reads column idx of chunk (n rows) and finds its distinct values. ok is false
// when the column cannot be read raw (not VARCHAR, or the adapter is unavailable), the
// caller then takes the ordinary path, which reports the column's type; and when the
// probe finds too few repeats to pay for the rest.
func (d *distinct) load(chunk *duckdb.DataChunk, idx, n int) bool {
	vec, err := chunk.GetVector(idx)
	if err != nil {
		return false
	}
	rv, ok := rawVectorOf(vec, n)
	if !ok || rv.typ != duckdb.TYPE_VARCHAR {
		return false
	}
	d.vals = duckvec.Grow(d.vals, n)
	stringsOf(rv.data, d.vals)
	if !d.repeats(rv, n) {
		return false
	}
	size := 1
	for size < 2*n {
		size <<= 1
	}
	d.table = duckvec.Grow(d.table, size)
	clear(d.table)
	mask := uint64(size - 1)
	d.of = duckvec.Grow(d.of, n)
	d.uniq = d.uniq[:0]
	d.first = d.first[:0]
	d.rows = 0
	for r, s := range d.vals {
		if rv.isNull(r) {
			d.of[r] = -1
			continue
		}
		d.rows++
		h := maphash.String(distinctSeed, s) & mask
		for {
			e := d.table[h]
			if e == 0 {
				d.uniq = append(d.uniq, s)
				d.first = append(d.first, int32(r))
				d.table[h] = int32(len(d.uniq))
				d.of[r] = int32(len(d.uniq) - 1)
				break
			}
			if d.uniq[e-1] == s {
				d.of[r] = e - 1
				break
			}
			h = (h + 1) & mask
		}
	}
	return true
}

// repeats says whether probeRows rows spread over the chunk hold enough repeats (at
// least one in 64) for the distinct path to pay. Small chunks always take it.
func (d *distinct) repeats(rv rawVector, n int) bool {
	if n <= 2*probeRows {
		return true
	}
	clear(d.probe[:])
	const mask = uint64(len(d.probe) - 1)
	step := n / probeRows
	seen, repeats := 0, 0
	for i := range probeRows {
		r := i * step
		if rv.isNull(r) {
			continue
		}
		seen++
		s := d.vals[r]
		h := maphash.String(distinctSeed, s) & mask
		for {
			e := d.probe[h]
			if e == 0 {
				d.probe[h] = int32(r + 1)
				break
			}
			if d.vals[e-1] == s {
				repeats++
				break
			}
			h = (h + 1) & mask
		}
	}
	return repeats > 0 && 64*repeats >= seen
}

// distinctColumn serves a chunk's distinct values as the task's input column.
type distinctColumn struct {
	vectorColumn // name, and the errors of the other reads
	d            *distinct
}

func (c *distinctColumn) Strings(dst []string, valid []bool) error {
	copy(dst, c.d.uniq)
	return nil
}
