package udf

import (
	"hash/maphash"
	"sync"

	"github.com/duckdb/duckdb-go/v2"
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
	uniq  []string // distinct non-NULL values, first-seen order
	of    []int32  // per chunk row: index in uniq, or -1 for NULL
	rows  int      // non-NULL rows
	table []int32  // open addressing: index in uniq + 1; 0 = empty
}

var distincts = sync.Pool{New: func() any { return new(distinct) }}

var distinctSeed = maphash.MakeSeed()

// probeRows is how many rows of a chunk are looked at before deciding: when fewer than
// one in eight of them repeats an earlier value, the chunk is left to the ordinary
// path, so data whose values are all distinct pays only for hashing these rows.
const probeRows = 256

// load reads column idx of chunk (n rows) and finds its distinct values. ok is false
// when the column cannot be read raw (not VARCHAR, or the adapter is unavailable), the
// caller then takes the ordinary path, which reports the column's type; and when the
// first probeRows rows show too few repeats to pay for the rest.
func (d *distinct) load(chunk *duckdb.DataChunk, idx, n int) bool {
	vec, err := chunk.GetVector(idx)
	if err != nil {
		return false
	}
	rv, ok := rawVectorOf(vec, n)
	if !ok || rv.typ != duckdb.TYPE_VARCHAR {
		return false
	}
	d.vals = grow(d.vals, n)
	stringsOf(rv.data, d.vals)
	size := 1
	for size < 2*n {
		size <<= 1
	}
	d.table = grow(d.table, size)
	clear(d.table)
	mask := uint64(size - 1)
	d.of = grow(d.of, n)
	d.uniq = d.uniq[:0]
	d.rows = 0
	for r, s := range d.vals {
		if r == probeRows && n > 2*probeRows && 8*(d.rows-len(d.uniq)) < d.rows {
			return false
		}
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

// distinctColumn serves a chunk's distinct values as the task's input column.
type distinctColumn struct {
	vectorColumn // name, and the errors of the other reads
	d            *distinct
}

func (c *distinctColumn) Strings(dst []string, valid []bool) error {
	copy(dst, c.d.uniq)
	return nil
}

func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}
