package batch

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
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
	ID   string `json:"id"`
	Kind string `json:"kind"`
	Path string `json:"path"`
	// Pattern and Rel are what names the unit: the -input pattern that listed the
	// file (its position) and the file's path from that pattern's base folder. Not
	// Path, which depends on where this node mounts the input and how it is spelled.
	Pattern int    `json:"pattern"`
	Rel     string `json:"rel"`
	// Like is, for an empty CSV file (0 bytes, or compressed and holding 0 bytes),
	// the input file whose columns its empty output takes: read_csv would invent a
	// column "column0" for it.
	Like  string `json:"like,omitempty"`
	Table string `json:"table,omitempty"`
	Lo    int64  `json:"lo"`
	Hi    int64  `json:"hi"`
	Rows  int64  `json:"rows"` // input rows; -1 when unknown until read (CSV)
	// Weight is what Assign balances: rows, or bytes for CSV (0 for an empty one).
	Weight int64 `json:"-"`
	// Size and ModNs are the file's size and modification time (ns) when planned,
	// what the job records to tell a rewritten input file (see Job.Files).
	Size  int64 `json:"-"`
	ModNs int64 `json:"-"`
	// LikeSize and LikeModNs are the Like file's, when planned: an empty unit's
	// output takes its columns, so it is read too.
	LikeSize  int64 `json:"-"`
	LikeModNs int64 `json:"-"`
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
		if err := readableAlone(f.path); err != nil {
			return nil, err
		}
		switch kindOf(f.path) {
		case KindParquet:
			parquet = append(parquet, f.path)
		case KindCSV:
		default:
			return nil, fmt.Errorf("batch: input %s is neither Parquet (.parquet) nor CSV (.csv, .tsv, .csv.gz); narrow the -input glob", f.path)
		}
	}
	groups, err := rowGroups(ctx, conn, parquet)
	if err != nil {
		return nil, err
	}
	for _, f := range files {
		size, mod, err := fileStat(ctx, conn, f.path)
		if err != nil {
			return nil, err
		}
		if kindOf(f.path) == KindCSV {
			weight := size
			if empty, err := gzipEmpty(ctx, conn, f.path, size); err != nil {
				return nil, err
			} else if empty {
				weight = 0
			}
			units = append(units, Unit{Kind: KindCSV, Path: f.path, Pattern: f.pattern, Rel: f.rel, Hi: -1, Rows: -1, Weight: weight, Size: size, ModNs: mod})
			continue
		}
		for _, u := range splitParquet(f.path, groups[f.path], unitRows) {
			u.Pattern, u.Rel, u.Size, u.ModNs = f.pattern, f.rel, size, mod
			units = append(units, u)
		}
	}
	if err := fillEmpty(units); err != nil {
		return nil, err
	}
	return named(units)
}

// fileStat is a file's size and modification time in ns: os.Stat's for a local file
// (the time as the file system keeps it, to the ns on ext4, XFS and NFS), else
// DuckDB's (object storage: to the second).
func fileStat(ctx context.Context, conn *sql.Conn, path string) (size, modNs int64, err error) {
	if !strings.Contains(path, "://") {
		if st, err := os.Stat(path); err == nil {
			return st.Size(), st.ModTime().UnixNano(), nil
		}
	}
	if err := conn.QueryRowContext(ctx, "SELECT size, epoch_ns(last_modified) FROM read_blob("+sqlPath(path)+")").Scan(&size, &modNs); err != nil {
		return 0, 0, fmt.Errorf("batch: size and modification time of %s: %w", path, err)
	}
	return size, modNs, nil
}

// databaseStat is fileStat of a DuckDB database file together with its write-ahead
// log (file.wal), which holds the writes not yet checkpointed into the file and which
// a read-only attach replays: their sizes added, the later of their times. A table
// updated in place keeps its rowids and row counts, so only this tells the version
// one shard read from the one another reads.
func databaseStat(ctx context.Context, conn *sql.Conn, file string) (size, modNs int64, err error) {
	size, modNs, err = fileStat(ctx, conn, file)
	if err != nil || strings.Contains(file, "://") {
		return size, modNs, err
	}
	if st, err := os.Stat(file + ".wal"); err == nil {
		size += st.Size()
		modNs = max(modNs, st.ModTime().UnixNano())
	}
	return size, modNs, nil
}

// unitStat is the size and modification time of what u reads (fileStat, or for a
// table databaseStat), as Plan takes them.
func unitStat(ctx context.Context, conn *sql.Conn, u Unit) (size, modNs int64, err error) {
	if u.Kind == KindTable {
		return databaseStat(ctx, conn, u.Path)
	}
	return fileStat(ctx, conn, u.Path)
}

// checkUnchanged compares the files u reads (its own, and an empty unit's Like file)
// with their size and modification time when planned, which claimJob found equal to
// the job's: a file rewritten while a shard runs would otherwise be scored, and
// committed, as the job's version. when says at which point, for the message.
func checkUnchanged(ctx context.Context, conn *sql.Conn, u Unit, when string) error {
	size, mod, err := unitStat(ctx, conn, u)
	if err != nil {
		return err
	}
	if err := sameStat(u.Path, u.Size, u.ModNs, size, mod, when); err != nil || u.Like == "" {
		return err
	}
	if size, mod, err = fileStat(ctx, conn, u.Like); err != nil {
		return err
	}
	return sameStat(u.Like, u.LikeSize, u.LikeModNs, size, mod, when)
}

// sameStat is checkUnchanged's refusal of the file at path, planned with size0 and
// mod0 and seen now with size and mod, when they differ.
func sameStat(path string, size0, mod0, size, mod int64, when string) error {
	if size == size0 && mod == mod0 {
		return nil
	}
	d := changedFiles([]InputFile{{Size: size0, ModNs: mod0}}, []InputFile{{Size: size, ModNs: mod, path: path}})
	return fmt.Errorf("%s since the job started, seen %s; this unit is not committed. %s", d, when, redoChanged)
}

// gzipMaxEmpty is the largest gzip file gzipEmpty reads: a gzip stream of no data is
// 20 bytes and its header's file name and comment; one of more is not worth reading.
const gzipMaxEmpty = 4096

// gzipEmpty reports whether a compressed CSV file of size bytes holds no data
// (gzip < /dev/null): read_csv would invent a column0 for it, as for a 0-byte file.
// A file that is not valid gzip is left for read_csv to report.
func gzipEmpty(ctx context.Context, conn *sql.Conn, path string, size int64) (bool, error) {
	if !strings.HasSuffix(strings.ToLower(path), ".gz") || size == 0 || size > gzipMaxEmpty {
		return false, nil
	}
	var b []byte
	if err := conn.QueryRowContext(ctx, "SELECT content FROM read_blob("+sqlPath(path)+")").Scan(&b); err != nil {
		return false, fmt.Errorf("batch: reading %s: %w", path, err)
	}
	r, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return false, nil
	}
	_, err = r.Read(make([]byte, 1))
	return errors.Is(err, io.EOF), nil
}

// fillEmpty gives each empty CSV file's unit (weight 0) the columns of another input
// file, a non-empty CSV file's if there is one: it has no rows, and its output must
// have the columns of the others, or read_parquet('out/*.parquet') would refuse the
// folder.
func fillEmpty(units []Unit) error {
	like, likeSize, likeMod := "", int64(0), int64(0)
	for _, kind := range []string{KindCSV, KindParquet} {
		for _, u := range units {
			if like == "" && u.Kind == kind && (kind != KindCSV || u.Weight > 0) {
				like, likeSize, likeMod = u.Path, u.Size, u.ModNs
			}
		}
	}
	for i := range units {
		if units[i].Kind != KindCSV || units[i].Weight > 0 {
			continue
		}
		if like == "" {
			return fmt.Errorf("batch: every input file is empty (0 bytes, or compressed and holding 0 bytes, e.g. %s): there are no rows to score and no columns to write; check the -input glob", units[i].Path)
		}
		units[i].Like, units[i].LikeSize, units[i].LikeModNs = like, likeSize, likeMod
	}
	return nil
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

// listed is one input file: its path, and the pattern that listed it with the path
// from that pattern's base folder (see Unit.Rel).
type listed struct {
	path    string
	pattern int
	rel     string
}

// globAll expands each pattern with DuckDB's glob (so s3:// works with httpfs) and
// returns the files, each once however often the patterns reach it (with the first
// pattern that does), in pattern order and sorted within each. Ordered by the path
// from the base folder, not the full path, so every node lists them in one order
// wherever it mounts the input.
func globAll(ctx context.Context, conn *sql.Conn, patterns []string) ([]listed, error) {
	seen := map[string]bool{}
	var files []listed
	for i, p := range patterns {
		base, _ := splitPattern(p)
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
				files = append(files, listed{path: f, pattern: i, rel: relPath(base, f)})
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
	sort.SliceStable(files, func(a, b int) bool {
		if files[a].pattern != files[b].pattern {
			return files[a].pattern < files[b].pattern
		}
		return files[a].rel < files[b].rel
	})
	return files, nil
}

// splitPattern cuts an -input pattern into its base folder, the path elements before
// the first one with a glob character (* ? [), and the rest: data/*.parquet gives
// data and *.parquet. A pattern without a glob character names a file: its folder
// and its name. The rest is what identifies the input across nodes that mount the
// base folder at different places.
func splitPattern(p string) (base, rel string) {
	parts := strings.Split(p, "/")
	cut := len(parts) - 1
	for i, e := range parts {
		if strings.ContainsAny(e, "*?[") {
			cut = i
			break
		}
	}
	base, rel = strings.Join(parts[:cut], "/"), strings.Join(parts[cut:], "/")
	if base == "" && strings.HasPrefix(p, "/") {
		base = "/"
	}
	return base, rel
}

// relPath is file f's path from base, a pattern's base folder; f itself when it is
// not under base (it always is: it was listed by the pattern).
func relPath(base, f string) string {
	if strings.Contains(f, "://") {
		if r, ok := strings.CutPrefix(f, base); ok {
			return strings.TrimPrefix(r, "/")
		}
		return f
	}
	if base == "" {
		base = "."
	}
	ab, err1 := filepath.Abs(base)
	af, err2 := filepath.Abs(f)
	if err1 != nil || err2 != nil {
		return f
	}
	r, err := filepath.Rel(ab, af)
	if err != nil || r == ".." || strings.HasPrefix(r, "../") {
		return f
	}
	return filepath.ToSlash(r)
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

func planTable(ctx context.Context, conn *sql.Conn, f listed, table string, unitRows int64) ([]Unit, error) {
	file := f.path
	ref, err := tableRef(table)
	if err != nil {
		return nil, err
	}
	if err := attachSource(ctx, conn, file); err != nil {
		return nil, err
	}
	size, mod, err := databaseStat(ctx, conn, file)
	if err != nil {
		return nil, err
	}
	// Units are rowid ranges: a table in a file that no one writes to keeps its
	// rowids, so every shard computes the same ranges. Grouped by position, not by
	// an alias, which a column of the table with the alias's name would shadow.
	rows, err := conn.QueryContext(ctx, fmt.Sprintf("SELECT rowid // %d, count(*) FROM %s GROUP BY 1 ORDER BY 1", unitRows, ref))
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
		units = append(units, Unit{Kind: KindTable, Path: file, Pattern: f.pattern, Rel: f.rel, Table: table, Lo: b * unitRows, Hi: (b + 1) * unitRows, Rows: n, Weight: n, Size: size, ModNs: mod})
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
// hash of the unit's full identity so that two files with one base name differ. The
// identity holds the file's path from its pattern's base folder (Rel), not the path
// as this node spells it, so a node that mounts the input elsewhere, or is given it
// relative instead of absolute, names the units alike and can resume or verify. Two
// units with one ID would share an output file and a manifest, so one of them would
// never run: that is an error.
func named(units []Unit) ([]Unit, error) {
	seen := make(map[string]int, len(units))
	for i := range units {
		u := &units[i]
		key := fmt.Sprintf("%s\x00%d\x00%s\x00%s\x00%d\x00%d", u.Kind, u.Pattern, u.Rel, u.Table, u.Lo, u.Hi)
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
		if u.Like != "" {
			// An empty file: no rows, with the columns of the file it is like.
			return "SELECT * FROM (" + Unit{Kind: kindOf(u.Like), Path: u.Like, Hi: -1}.Query() + ") LIMIT 0"
		}
		return "SELECT * FROM read_csv(" + sqlPath(u.Path) + ")"
	case KindTable:
		ref, err := tableRef(u.Table)
		if err != nil {
			// Plan refused such a name; quoted whole, the query fails naming it.
			ref = "batch_src." + sqlIdent(u.Table)
		}
		return fmt.Sprintf("SELECT * FROM %s WHERE rowid >= %d AND rowid < %d", ref, u.Lo, u.Hi)
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
// A backslash has no such form (see readableAlone): Plan refuses a path with both.
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

// readableAlone refuses a local file that no glob names alone: DuckDB splits a glob
// at a backslash as at a slash, whatever class or escape holds it, so a\b[1].csv,
// which needs a glob for its [, would be read as the file b[1].csv in folder a. A
// path without glob characters is read as written, backslash included.
func readableAlone(path string) error {
	if strings.Contains(path, "://") || !strings.Contains(path, `\`) || !strings.ContainsAny(path, "*?[") {
		return nil
	}
	return fmt.Errorf("batch: input %s has both a backslash and a glob character (* ? [) in its path, and DuckDB cannot read such a path as one file (it takes the backslash for a folder separator); rename the file or its folder without the backslash or the glob characters", path)
}

func sqlIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// tableRef is -table's value as a table of the attached source, batch_src. The value
// is TABLE or SCHEMA.TABLE, split at dots outside double quotes, as SQL writes it; a
// part in double quotes ("my.table", with "" for a quote) is taken as written, so a
// name holding a dot can still be reached.
func tableRef(name string) (string, error) {
	var parts []string
	var cur strings.Builder
	quoted, inQuote := false, false
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case inQuote && c == '"' && i+1 < len(name) && name[i+1] == '"':
			cur.WriteByte('"')
			i++
		case inQuote && c == '"':
			inQuote = false
		case inQuote:
			cur.WriteByte(c)
		case c == '"' && cur.Len() == 0 && !quoted:
			inQuote, quoted = true, true
		case c == '.':
			parts = append(parts, cur.String())
			cur.Reset()
			quoted = false
		case quoted || c == '"':
			return "", fmt.Errorf("batch: -table %q: a double-quoted part must be the whole of a name between dots, as in s.\"my.table\"", name)
		default:
			cur.WriteByte(c)
		}
	}
	if inQuote {
		return "", fmt.Errorf("batch: -table %q has an unclosed double quote", name)
	}
	parts = append(parts, cur.String())
	if len(parts) > 2 {
		return "", fmt.Errorf("batch: -table %q has %d dotted parts; give TABLE or SCHEMA.TABLE (the database is the -input file), and double-quote a name that holds a dot", name, len(parts))
	}
	ref := "batch_src"
	for _, p := range parts {
		if p == "" {
			return "", fmt.Errorf("batch: -table %q has an empty name; give TABLE or SCHEMA.TABLE", name)
		}
		ref += "." + sqlIdent(p)
	}
	return ref, nil
}

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
