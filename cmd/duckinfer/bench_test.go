package main

import (
	"context"
	"io"
	"testing"
	"time"
)

// BenchmarkQueryPaths compares the exact-text path (DESCRIBE, then the query
// wrapped in CAST(... AS VARCHAR)) with running the statement as is and
// formatting duckdb-go's values in Go, for a one-row query and 100k rows to CSV.
func BenchmarkQueryPaths(b *testing.B) {
	ctx := context.Background()
	conn := memConn(b)
	s := newShell(conn, io.Discard, io.Discard)
	s.setMode(modeCSV)
	for _, q := range []struct{ name, sql string }{
		{"one_row", "SELECT 42 AS answer, 'x' AS word"},
		{"100k_rows", "SELECT range AS n, range::DOUBLE / 3 AS f, 'row ' || range AS t FROM range(100000)"},
	} {
		b.Run(q.name+"/text", func(b *testing.B) {
			for range b.N {
				if err := s.query(ctx, q.sql); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(q.name+"/direct", func(b *testing.B) {
			for range b.N {
				if err := s.queryDirect(ctx, q.sql, time.Now()); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
