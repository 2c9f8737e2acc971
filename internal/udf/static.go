package udf

import (
	"github.com/duckdb/duckdb-go/v2"

	"github.com/duckinfer/duckinfer/internal/core"
)

// staticTable serves a small, precomputed result as a table function.
type staticTable struct {
	cols []duckdb.ColumnInfo
	rows [][]any
	next int
	// build computes the rows again when a scan starts: a prepared statement is bound
	// once and executed many times (DuckDB 1.5 does not bind it again), and each run
	// must show the counters and errors as they are then, from its first row.
	build func() (*core.Table, error)
	err   error
}

func (s *staticTable) ColumnInfos() []duckdb.ColumnInfo { return s.cols }
func (s *staticTable) Cardinality() *duckdb.CardinalityInfo {
	return &duckdb.CardinalityInfo{Cardinality: uint(len(s.rows))} // an estimate: Init computes the rows again
}
func (s *staticTable) Init() {
	s.next = 0
	if s.build == nil {
		return
	}
	var t *core.Table
	if t, s.err = s.build(); s.err == nil {
		s.rows = t.Rows
	}
}
func (s *staticTable) FillRow(row duckdb.Row) (bool, error) {
	if s.err != nil {
		return false, s.err
	}
	if s.next >= len(s.rows) {
		return false, nil
	}
	for i, v := range s.rows[s.next] {
		if err := row.SetRowValue(i, v); err != nil {
			return false, err
		}
	}
	s.next++
	return true, nil
}

func column(name string, t duckdb.Type) duckdb.ColumnInfo {
	ti, _ := duckdb.NewTypeInfo(t)
	return duckdb.ColumnInfo{Name: name, T: ti}
}

func listColumn(name string) duckdb.ColumnInfo {
	varchar, _ := duckdb.NewTypeInfo(duckdb.TYPE_VARCHAR)
	ti, _ := duckdb.NewListInfo(varchar)
	return duckdb.ColumnInfo{Name: name, T: ti}
}
