package batch

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// Input is what a job reads: file globs (Parquet or CSV, by extension), or one DuckDB
// database file and a Table in it, opened read-only.
type Input struct {
	Patterns []string
	Table    string
}

// DefaultUnitRows is the rows a Parquet file may hold before it is split into several
// units at row group boundaries: big enough that a unit's fixed cost (a query, a file,
// a manifest) is small next to its inference, small enough that a handful of large
// files still spreads over many shards.
const DefaultUnitRows = 1 << 20

// Unit kinds.
const (
	KindParquet = "parquet"
	KindCSV     = "csv"
	KindTable   = "table"
)

// Unit is one piece of the input, committed as one output file. Lo and Hi bound a row
// range [Lo, Hi): file row numbers of a Parquet file split at row groups, rowids of a
// table; Hi < 0 means the whole file.
type Unit struct {
	ID     string `json:"id"`
	Kind   string `json:"kind"`
	Path   string `json:"path"`
	Table  string `json:"table,omitempty"`
	Lo     int64  `json:"lo"`
	Hi     int64  `json:"hi"`
	Rows   int64  `json:"rows"` // input rows; -1 when unknown until read (CSV)
	Weight int64  `json:"-"`    // what Assign balances: rows, or bytes for CSV
}

// Plan lists the units of in, in a deterministic order (sorted files, row ranges in
// file order). conn is a DuckDB connection; for a table input the database file is
// attached read-only as "batch_src".
func Plan(ctx context.Context, conn *sql.Conn, in Input, unitRows int64) ([]Unit, error) {
	if unitRows <= 0 {
		unitRows = DefaultUnitRows
	}
	if len(in.Patterns) == 0 {
		return nil, fmt.Errorf("batch: no input; pass -input with a glob of Parquet or CSV files (or a DuckDB file with -table)")
	}
	files, err := globAll(ctx, conn, in.Patterns)
	if err != nil {
		return nil, err
	}
	if in.Table != "" {
		if len(files) != 1 {
			return nil, fmt.Errorf("batch: -table %q needs exactly one DuckDB database file as input, the pattern matched %d", in.Table, len(files))
		}
		return planTable(ctx, conn, files[0], in.Table, unitRows)
	}
	var parquet []string
	var units []Unit
	for _, f := range files {
		switch kindOf(f) {
		case KindParquet:
			parquet = append(parquet, f)
		case KindCSV:
		default:
			return nil, fmt.Errorf("batch: input %s is neither Parquet (.parquet) nor CSV (.csv, .tsv, .csv.gz); narrow the -input glob", f)
		}
	}
	groups, err := rowGroups(ctx, conn, parquet)
	if err != nil {
		return nil, err
	}
	for _, f := range files {
		if kindOf(f) == KindCSV {
			var size int64
			if err := conn.QueryRowContext(ctx, "SELECT size FROM read_blob("+sqlPath(f)+")").Scan(&size); err != nil {
				return nil, fmt.Errorf("batch: size of %s: %w", f, err)
			}
			units = append(units, Unit{Kind: KindCSV, Path: f, Hi: -1, Rows: -1, Weight: size})
			continue
		}
		units = append(units, splitParquet(f, groups[f], unitRows)...)
	}
	return named(units)
}

func kindOf(path string) string {
	p := strings.ToLower(path)
	switch {
	case strings.HasSuffix(p, ".parquet"):
		return KindParquet
	case strings.HasSuffix(p, ".csv"), strings.HasSuffix(p, ".tsv"), strings.HasSuffix(p, ".csv.gz"), strings.HasSuffix(p, ".tsv.gz"):
		return KindCSV
	}
	return ""
}

// globAll expands each pattern with DuckDB's glob (so s3:// works with httpfs) and
// returns the sorted paths, each file once however often the patterns reach it.
func globAll(ctx context.Context, conn *sql.Conn, patterns []string) ([]string, error) {
	seen := map[string]bool{}
	var files []string
	for _, p := range patterns {
		rows, err := conn.QueryContext(ctx, "SELECT file FROM glob("+sqlString(p)+")")
		if err != nil {
			return nil, fmt.Errorf("batch: listing %s: %w", p, err)
		}
		n := 0
		for rows.Next() {
			var f string
			if err := rows.Scan(&f); err != nil {
				rows.Close()
				return nil, fmt.Errorf("batch: listing %s: %w", p, err)
			}
			n++
			if k := fileKey(f); !seen[k] {
				seen[k] = true
				files = append(files, f)
			}
		}
		if err := rows.Close(); err != nil {
			return nil, fmt.Errorf("batch: listing %s: %w", p, err)
		}
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("batch: listing %s: %w", p, err)
		}
		if n == 0 {
			return nil, fmt.Errorf("batch: input %q matches no file; check the path and quote the glob so the shell does not expand it", p)
		}
	}
	sort.Strings(files)
	return files, nil
}

// fileKey is what tells two listed files apart: a local file by its absolute path
// with symlinks resolved (d/x.parquet, d/./x.parquet and a link to d are one file,
// which must make one unit), a URL as written.
func fileKey(f string) string {
	if strings.Contains(f, "://") {
		return f
	}
	abs, err := filepath.Abs(f)
	if err != nil {
		return f
	}
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		return real
	}
	return abs
}

// rowGroups returns each Parquet file's row group sizes, in row group order.
func rowGroups(ctx context.Context, conn *sql.Conn, files []string) (map[string][]int64, error) {
	out := map[string][]int64{}
	if len(files) == 0 {
		return out, nil
	}
	list := make([]string, len(files))
	for i, f := range files {
		list[i] = sqlPath(f)
	}
	rows, err := conn.QueryContext(ctx, "SELECT file_name, row_group_id, any_value(row_group_num_rows) FROM parquet_metadata(["+
		strings.Join(list, ", ")+"]) GROUP BY ALL ORDER BY file_name, row_group_id")
	if err != nil {
		return nil, fmt.Errorf("batch: reading the Parquet footers: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var f string
		var id, n int64
		if err := rows.Scan(&f, &id, &n); err != nil {
			return nil, fmt.Errorf("batch: reading the Parquet footers: %w", err)
		}
		out[f] = append(out[f], n)
	}
	return out, rows.Err()
}

// splitParquet makes one unit of a file with at most unitRows rows, else runs of
// whole row groups of at least unitRows rows each (the last may be smaller), so a
// unit reads whole row groups only.
func splitParquet(path string, groups []int64, unitRows int64) []Unit {
	var total int64
	for _, n := range groups {
		total += n
	}
	if total <= unitRows {
		return []Unit{{Kind: KindParquet, Path: path, Hi: -1, Rows: total, Weight: total}}
	}
	var units []Unit
	var lo, acc int64
	for i, n := range groups {
		acc += n
		if acc >= unitRows || i == len(groups)-1 {
			units = append(units, Unit{Kind: KindParquet, Path: path, Lo: lo, Hi: lo + acc, Rows: acc, Weight: acc})
			lo += acc
			acc = 0
		}
	}
	return units
}

func planTable(ctx context.Context, conn *sql.Conn, file, table string, unitRows int64) ([]Unit, error) {
	if err := attachSource(ctx, conn, file); err != nil {
		return nil, err
	}
	// Units are rowid ranges: a table in a file that no one writes to keeps its
	// rowids, so every shard computes the same ranges.
	rows, err := conn.QueryContext(ctx, fmt.Sprintf("SELECT rowid // %d AS b, count(*) FROM batch_src.%s GROUP BY b ORDER BY b", unitRows, sqlIdent(table)))
	if err != nil {
		return nil, fmt.Errorf("batch: reading table %s in %s: %w", table, file, err)
	}
	defer rows.Close()
	var units []Unit
	for rows.Next() {
		var b, n int64
		if err := rows.Scan(&b, &n); err != nil {
			return nil, fmt.Errorf("batch: reading table %s in %s: %w", table, file, err)
		}
		units = append(units, Unit{Kind: KindTable, Path: file, Table: table, Lo: b * unitRows, Hi: (b + 1) * unitRows, Rows: n, Weight: n})
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return named(units)
}

// attachSource attaches a DuckDB file read-only as batch_src, once per connection.
func attachSource(ctx context.Context, conn *sql.Conn, file string) error {
	var n int
	if err := conn.QueryRowContext(ctx, "SELECT count(*) FROM duckdb_databases() WHERE database_name = 'batch_src'").Scan(&n); err != nil {
		return fmt.Errorf("batch: %w", err)
	}
	if n > 0 {
		return nil
	}
	if _, err := conn.ExecContext(ctx, "ATTACH "+sqlString(file)+" AS batch_src (READ_ONLY)"); err != nil {
		return fmt.Errorf("batch: opening %s read-only: %w", file, err)
	}
	return nil
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9_.-]+`)

// idHexDigits is how much of the hash a unit ID carries: 80 bits. Files that share a
// base name (DuckDB's PARTITION_BY writes data_0.parquet in every folder) differ only
// there; at a million such units two collide with a chance of about 4e-13 (at the 40
// bits before, 37 %), and named refuses a plan where two do.
const idHexDigits = 20

// named gives each unit its ID: the file's base name and row range for people, and a
// hash of the unit's full identity so that two files with one base name differ. Two
// units with one ID would share an output file and a manifest, so one of them would
// never run: that is an error.
func named(units []Unit) ([]Unit, error) {
	seen := make(map[string]int, len(units))
	for i := range units {
		u := &units[i]
		key := fmt.Sprintf("%s\x00%s\x00%s\x00%d\x00%d", u.Kind, u.Path, u.Table, u.Lo, u.Hi)
		sum := sha256.Sum256([]byte(key))
		stem := filepath.Base(u.Path)
		if u.Table != "" {
			stem = u.Table
		}
		stem = strings.TrimSuffix(strings.TrimSuffix(stem, ".gz"), filepath.Ext(strings.TrimSuffix(stem, ".gz")))
		stem = strings.Trim(unsafeName.ReplaceAllString(stem, "_"), "._")
		if len(stem) > 48 {
			stem = stem[:48]
		}
		if u.Hi >= 0 {
			stem += fmt.Sprintf("_r%d", u.Lo)
		}
		u.ID = stem + "-" + hex.EncodeToString(sum[:])[:idHexDigits]
		if j, dup := seen[u.ID]; dup {
			return nil, fmt.Errorf("batch: units %+v and %+v got the same name %s; report this, with the input's file names", units[j], *u, u.ID)
		}
		seen[u.ID] = i
	}
	return units, nil
}

// Assign maps every unit to a shard: a pure function of the unit list and n. Largest
// units first (ties by position), each to the least loaded shard (ties to the lowest
// index), so shards get about equal rows even when files differ in size.
func Assign(units []Unit, n int) []int {
	order := make([]int, len(units))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return units[order[a]].Weight > units[order[b]].Weight })
	load := make([]int64, n)
	out := make([]int, len(units))
	for _, i := range order {
		best := 0
		for s := 1; s < n; s++ {
			if load[s] < load[best] {
				best = s
			}
		}
		out[i] = best
		load[best] += units[i].Weight
	}
	return out
}

// Query is the SQL that reads the unit's rows.
func (u Unit) Query() string {
	switch u.Kind {
	case KindCSV:
		return "SELECT * FROM read_csv(" + sqlPath(u.Path) + ")"
	case KindTable:
		return fmt.Sprintf("SELECT * FROM batch_src.%s WHERE rowid >= %d AND rowid < %d", sqlIdent(u.Table), u.Lo, u.Hi)
	}
	if u.Hi < 0 {
		return "SELECT * FROM read_parquet(" + sqlPath(u.Path) + ")"
	}
	// DuckDB prunes row groups outside the file_row_number range, so a unit reads
	// only its own row groups.
	return fmt.Sprintf("SELECT * EXCLUDE (file_row_number) FROM read_parquet(%s, file_row_number = true) WHERE file_row_number >= %d AND file_row_number < %d",
		sqlPath(u.Path), u.Lo, u.Hi)
}

func sqlString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// sqlPath is one file's path as a string literal for a DuckDB table function, which
// reads every path it is given as a glob (globLiteral).
func sqlPath(path string) string { return sqlString(globLiteral(path)) }

// globLiteral is a DuckDB glob that matches path alone: its glob characters become
// one-character classes ([*], [?], [[]), so a file named x[1].csv is read, not x1.csv.
func globLiteral(path string) string {
	if !strings.ContainsAny(path, "*?[") {
		return path
	}
	var b strings.Builder
	for _, r := range path {
		if r == '*' || r == '?' || r == '[' {
			b.WriteByte('[')
			b.WriteRune(r)
			b.WriteByte(']')
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func sqlIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// PlanHash identifies a unit list: each unit's ID, rows and weight (bytes for CSV), in
// order. The first shard records it in the job; a later shard that plans another list
// (files added, removed or grown since) is refused rather than cut the rows
// differently, and verify reports it.
func PlanHash(units []Unit) string {
	h := sha256.New()
	for _, u := range units {
		fmt.Fprintf(h, "%s\x00%d\x00%d\n", u.ID, u.Rows, u.Weight)
	}
	return hex.EncodeToString(h.Sum(nil))[:32]
}
