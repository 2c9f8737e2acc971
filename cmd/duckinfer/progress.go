package main

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"reflect"
	"strings"
	"sync"
	"time"
	"unsafe"

	"github.com/duckdb/duckdb-go/v2"
	"github.com/duckdb/duckdb-go/v2/mapping"
)

// queryProgress reads DuckDB's own progress estimate for the query running on one
// connection, through the C API's duckdb_query_progress.
//
// duckdb-go (v2.10506.0) exposes mapping.QueryProgress but not the connection handle
// it needs: *duckdb.Conn keeps it in the unexported field "conn". We read that field
// through reflect, after checking its type, because there is no public route. If a
// later duckdb-go renames or retypes the field, newQueryProgress returns nil and the
// bar falls back to elapsed time and rows inferred, so nothing breaks.
type queryProgress struct {
	conn mapping.Connection
}

func newQueryProgress(ctx context.Context, c *sql.Conn) *queryProgress {
	var qp *queryProgress
	_ = c.Raw(func(driverConn any) error {
		dc, ok := driverConn.(*duckdb.Conn)
		if !ok || dc == nil {
			return nil
		}
		f := reflect.ValueOf(dc).Elem().FieldByName("conn")
		if !f.IsValid() || f.Type() != reflect.TypeOf(mapping.Connection{}) {
			return nil
		}
		mc := *(*mapping.Connection)(unsafe.Pointer(f.UnsafeAddr()))
		if mc.Ptr != nil {
			qp = &queryProgress{conn: mc}
		}
		return nil
	})
	if qp == nil {
		return nil
	}
	// DuckDB only tracks progress with enable_progress_bar on; its own printing must
	// stay off, since it would write a bar of its own straight to our stdout.
	for _, q := range []string{"SET enable_progress_bar = true", "SET enable_progress_bar_print = false"} {
		if _, err := c.ExecContext(ctx, q); err != nil {
			return nil
		}
	}
	return qp
}

// percent returns DuckDB's estimate in [0,100], or ok=false when it has none (some
// table functions, e.g. range(), report no progress).
func (q *queryProgress) percent() (float64, bool) {
	if q == nil {
		return 0, false
	}
	p := mapping.QueryProgress(q.conn)
	pct, _, total := mapping.QueryProgressTypeMembers(&p)
	if pct <= 0 || total == 0 {
		return 0, false
	}
	return min(pct, 100), true
}

// progressBar draws a one-line bar on a terminal while a query runs and erases it
// when the query ends.
type progressBar struct {
	w        io.Writer
	width    func() int
	source   *queryProgress
	inferred func() uint64 // cumulative rows that reached a model
	delay    time.Duration // short queries should not flash a bar
	interval time.Duration
}

// start begins drawing after the delay; the returned stop erases the bar and
// returns only once nothing more will be written.
func (b *progressBar) start() (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		began := time.Now()
		startRows := b.inferred()
		timer := time.NewTimer(b.delay)
		defer timer.Stop()
		select {
		case <-done:
			return
		case <-timer.C:
		}
		tick := time.NewTicker(b.interval)
		defer tick.Stop()
		frame := 0
		for {
			line := b.line(time.Since(began), b.inferred()-startRows, frame)
			fmt.Fprint(b.w, "\r"+line+"\x1b[K")
			frame++
			select {
			case <-done:
				fmt.Fprint(b.w, "\r\x1b[K")
				return
			case <-tick.C:
			}
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() {
			close(done)
			wg.Wait()
		})
	}
}

var spinner = []string{"⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"}

// line formats the bar: percentage, bar, elapsed and estimated time left when DuckDB
// gives a percentage; otherwise a spinner with elapsed time. Rows inferred and their
// rate are added whenever a model has seen rows during this query.
func (b *progressBar) line(elapsed time.Duration, rows uint64, frame int) string {
	width := b.width()
	if width <= 0 {
		width = 80
	}
	var suffix string
	if rows > 0 {
		rate := float64(rows) / max(elapsed.Seconds(), 0.001)
		suffix = fmt.Sprintf("  %s rows inferred (%s/s)", groupDigits(rows), groupDigits(uint64(rate)))
	}
	pct, ok := b.source.percent()
	if !ok {
		s := fmt.Sprintf("%s running %s%s  (Ctrl-C cancels)", spinner[frame%len(spinner)], shortDuration(elapsed), suffix)
		return truncate(s, width-1)
	}
	eta := "estimating"
	if pct >= 1 && pct < 100 {
		left := time.Duration(float64(elapsed) * (100 - pct) / pct)
		eta = "~" + shortDuration(left) + " left"
	}
	text := fmt.Sprintf(" %s elapsed, %s%s", shortDuration(elapsed), eta, suffix)
	head := fmt.Sprintf("%3.0f%% ", pct)
	barWidth := min(40, width-1-textWidth(head)-textWidth(text)-2)
	if barWidth < 10 {
		return truncate(head+text, width-1)
	}
	filled := int(float64(barWidth) * pct / 100)
	bar := "▕" + strings.Repeat("█", filled) + strings.Repeat(" ", barWidth-filled) + "▏"
	return head + bar + text
}

func shortDuration(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%.1fs", d.Seconds())
	case d < time.Hour:
		return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	}
	return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
}

// groupDigits writes 1234567 as 1,234,567.
func groupDigits(n uint64) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
