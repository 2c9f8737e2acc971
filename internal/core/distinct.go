package core

import (
	"context"
	"sync/atomic"

	"github.com/duckinfer/duckinfer/internal/models"
)

// Distinct is one chunk's distinct input values as a binding found them
// (duckvec.Distinct): each value of Uniq once, First the chunk row each was first seen
// in (the row an error names), Of each chunk row's index in Uniq, or -1 for NULL.
type Distinct struct {
	Uniq  []string
	First []int32
	Of    []int32
}

// maxProbeGap bounds how many chunks in a row skip the repeats probe after probes that
// found none: data whose values are all distinct then pays for one probe in
// maxProbeGap+1 chunks, and data that turns repetitive is noticed within maxProbeGap
// chunks.
const maxProbeGap = 16

// probeBackoff spaces out the probes of a call whose chunks hold no repeats. Shared by
// the call's workers (and by the executions of a prepared statement, which share the
// call); a probe that finds repeats clears it, and a lost update costs at most
// maxProbeGap chunks without a probe.
type probeBackoff struct {
	skip atomic.Int32 // chunks left to run without a probe
	gap  atomic.Int32 // the last skip set; the next probe that finds no repeats doubles it
}

// wantDistinct says whether to look for repeated values in the next chunk (and then
// record what was found with probeResult): when the call's input is one string column
// and recent probes have not all come back empty.
func (c *Call) wantDistinct() bool {
	if len(c.Columns) != 1 || len(c.Task.Config.Inputs) != 1 {
		return false
	}
	if t := c.Task.Config.Inputs[0].Type; t != models.InputString && t != models.InputText {
		return false
	}
	if c.probe.skip.Load() > 0 {
		c.probe.skip.Add(-1)
		return false
	}
	return true
}

// probeResult records whether a chunk's probe found repeats worth the distinct path.
// Each probe in a row that finds none doubles the number of chunks skipped before the
// next (up to maxProbeGap); one that finds some resets it.
func (c *Call) probeResult(found bool) {
	if found {
		// Another worker's empty probe may have set a skip meanwhile: repeats win.
		if c.probe.gap.Load() != 0 {
			c.probe.gap.Store(0)
		}
		if c.probe.skip.Load() > 0 {
			c.probe.skip.Store(0)
		}
		return
	}
	g := min(max(2*c.probe.gap.Load(), 1), maxProbeGap)
	c.probe.gap.Store(g)
	c.probe.skip.Store(g)
}

// runDistinct is Run for a chunk of n rows whose one input column col holds repeated
// values: the model runs once per value of d.Uniq, and Result(r) is then chunk row r's
// answer, its value's. Rows counted as inferred include the repeats.
func (c *Call) runDistinct(ctx context.Context, partition int, col models.Column, n int, d Distinct) (*Chunk, error) {
	ch := c.chunk()
	ch.origin = d.First
	ch.uniqCol = uniqColumn{Column: col, uniq: d.Uniq}
	ch.uniqIn[0] = &ch.uniqCol
	err := c.run(ctx, partition, ch.uniqIn[:], len(d.Uniq), ch)
	ch.origin, ch.uniqCol = nil, uniqColumn{}
	if err != nil {
		c.Release(ch)
		return nil, err
	}
	byValue := ch.result
	ch.byValue = grow(ch.byValue, n)
	// Only rows whose value reached the model count as inferred: a value Load found
	// unusable (ch.valid false) never ran, and neither did its repeats.
	rows := 0
	for r, i := range d.Of[:n] {
		if i < 0 {
			ch.byValue[r] = -1
			continue
		}
		if ch.valid[i] {
			rows++
		}
		ch.byValue[r] = byValue[i]
	}
	ch.result, ch.byValue = ch.byValue, byValue
	if repeats := rows - len(ch.rows); repeats > 0 {
		c.env.RowsInferred.Add(uint64(repeats))
		c.env.RowsReused.Add(uint64(repeats))
		if cnt, ok := ctx.Value(RowCounterKey{}).(*atomic.Int64); ok {
			cnt.Add(int64(repeats))
		}
	}
	return ch, nil
}

// uniqColumn serves a chunk's distinct values as the input column they came from
// (whose name and other reads it keeps).
type uniqColumn struct {
	models.Column
	uniq []string
}

func (u *uniqColumn) Strings(dst []string, valid []bool) error {
	copy(dst, u.uniq)
	return nil
}
