package udf

import (
	"github.com/duckdb/duckdb-go/v2"
)

// staticTable serves a small, precomputed result as a table function.
type staticTable struct {
	cols []duckdb.ColumnInfo
	rows [][]any
	next int
}

func (s *staticTable) ColumnInfos() []duckdb.ColumnInfo { return s.cols }
func (s *staticTable) Cardinality() *duckdb.CardinalityInfo {
	return &duckdb.CardinalityInfo{Cardinality: uint(len(s.rows)), Exact: true}
}
func (s *staticTable) Init() {}
func (s *staticTable) FillRow(row duckdb.Row) (bool, error) {
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
