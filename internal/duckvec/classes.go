package duckvec

import "sync"

// Classes is the Go-side scratch of one chunk's ml_infer result write, which both
// bindings hand to duckvec_write_classes (classes.c) in one C call. Pooled: nothing is
// allocated per chunk in steady state. Nothing in it holds a Go pointer, so C may be
// given any of it.
type Classes struct {
	Rows  []int32    // chunk row → model row, -1 for NULL
	Nulls []int32    // filled by C: the NULL rows
	Seen  []byte     // one per label, zeroed
	Forms [][16]byte // one duckvec_str per label
}

var classesPool = sync.Pool{New: func() any { return new(Classes) }}

// NewClasses returns scratch for n rows (n > 0) and labels labels, Rows filled by
// row(r). Release it when the C call is done.
func NewClasses(n, labels int, row func(r int) int) *Classes {
	c := classesPool.Get().(*Classes)
	c.Rows, c.Nulls = Grow(c.Rows, n), Grow(c.Nulls, n)
	for r := range c.Rows {
		c.Rows[r] = int32(row(r))
	}
	c.Seen, c.Forms = Grow(c.Seen, labels), Grow(c.Forms, labels)
	clear(c.Seen)
	return c
}

// Release returns c to the pool.
func (c *Classes) Release() { classesPool.Put(c) }

// Grow returns s resliced to length n, reusing its array when it is large enough (the
// contents are not kept otherwise): the bindings' per-chunk scratch.
func Grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}
