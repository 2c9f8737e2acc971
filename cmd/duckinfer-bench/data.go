package main

import (
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	_ "github.com/duckdb/duckdb-go/v2" // registers the "duckdb" database/sql driver

	"github.com/duckinfer/duckinfer/internal/train"
)

// genVersion changes whenever the generated tables change shape, so stale files are rebuilt.
const genVersion = 3

// loadSentences reads the UCI review sentences installed by scripts/setup-data.sh.
func loadSentences(dataDir string) ([]string, error) {
	d, err := train.LoadSentimentData(dataDir)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, dom := range d.Examples {
		for _, e := range dom {
			out = append(out, strings.TrimSpace(e.Text))
		}
	}
	if len(out) == 0 {
		return nil, errors.New("no sentences found; run scripts/setup-data.sh")
	}
	return out, nil
}

func tablePath(dir string, n int) string {
	return filepath.Join(dir, fmt.Sprintf("reviews_%d.duckdb", n))
}

// tableOK reports whether path already holds a complete table of n rows of this generator version.
func tableOK(path string, n int) bool {
	if _, err := os.Stat(path); err != nil {
		return false
	}
	db, err := sql.Open("duckdb", path+"?access_mode=read_only")
	if err != nil {
		return false
	}
	defer db.Close()
	var rows, ver int
	if err := db.QueryRow(`SELECT rows, version FROM bench_meta`).Scan(&rows, &ver); err != nil {
		return false
	}
	return rows == n && ver == genVersion
}

// ensureTable creates <dir>/reviews_<n>.duckdb with table t(id BIGINT, ts TIMESTAMP,
// amount DECIMAL(12,2), category VARCHAR, text VARCHAR) unless it is already there.
// Each text is 1–3 UCI review sentences picked by hashing the row id (50 % one, 40 %
// two, 10 % three: about 100 characters on average) and ends in " #<id>", so every
// text is distinct (no repeated value for ml_predict to run once). Tables few and rep
// hold the same rows with 1 000 distinct texts and with runs of 10 equal texts. It is built under a temporary
// name and renamed, so an interrupted run never leaves a half-built table behind.
func ensureTable(dir string, n int, sents []string) (string, error) {
	path := tablePath(dir, n)
	if tableOK(path, n) {
		return path, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	start := time.Now()
	tmp := path + ".tmp"
	_ = os.Remove(tmp)
	_ = os.Remove(tmp + ".wal")
	db, err := sql.Open("duckdb", tmp)
	if err != nil {
		return "", err
	}
	defer db.Close()
	if _, err := db.Exec(`CREATE TABLE sentences(rn INTEGER, text VARCHAR)`); err != nil {
		return "", err
	}
	tx, err := db.Begin()
	if err != nil {
		return "", err
	}
	stmt, err := tx.Prepare(`INSERT INTO sentences VALUES (?, ?)`)
	if err != nil {
		return "", err
	}
	for i, s := range sents {
		if _, err := stmt.Exec(i, s); err != nil {
			return "", err
		}
	}
	stmt.Close()
	if err := tx.Commit(); err != nil {
		return "", err
	}
	k := len(sents)
	pick := func(salt int) string {
		return fmt.Sprintf("s[1 + (hash(i * 8 + %d) %% %d)::BIGINT]", salt, k)
	}
	q := fmt.Sprintf(`CREATE TABLE t AS
SELECT i::BIGINT AS id,
       TIMESTAMP '2024-01-01 00:00:00' + to_seconds((hash(i * 8 + 1) %% 31536000)::BIGINT) AS ts,
       ((hash(i * 8 + 2) %% 1000000)::DECIMAL(12,2) / 100)::DECIMAL(12,2) AS amount,
       (['books','electronics','movies','restaurants','home','toys','sports','beauty','grocery','travel'])[1 + (hash(i * 8 + 3) %% 10)::BIGINT] AS category,
       CASE WHEN hash(i * 8 + 4) %% 10 < 5 THEN %[2]s
            WHEN hash(i * 8 + 4) %% 10 < 9 THEN %[2]s || ' ' || %[3]s
            ELSE %[2]s || ' ' || %[3]s || ' ' || %[4]s END || ' #' || i AS text
FROM range(%[1]d) r(i), (SELECT list(text ORDER BY rn) AS s FROM sentences)
ORDER BY i`, n, pick(5), pick(6), pick(7))
	if _, err := db.Exec(q); err != nil {
		return "", fmt.Errorf("generating %s: %w", path, err)
	}
	// few: the same rows with 1 000 distinct texts (row id mod 1000); rep: runs of 10
	// rows sharing a text, so 10 % of each chunk's values are distinct, as in event data.
	few := `CREATE TABLE few AS SELECT t.* REPLACE (u.text AS text) FROM t JOIN t u ON u.id = t.id % 1000 ORDER BY t.id`
	rep := `CREATE TABLE rep AS SELECT t.* REPLACE (u.text AS text) FROM t JOIN t u ON u.id = t.id // 10 ORDER BY t.id`
	for _, s := range []string{few, rep} {
		if _, err := db.Exec(s); err != nil {
			return "", fmt.Errorf("generating %s: %w", path, err)
		}
	}
	for _, s := range []string{
		`DROP TABLE sentences`,
		fmt.Sprintf(`CREATE TABLE bench_meta AS SELECT %d AS rows, %d AS version`, n, genVersion),
		`CHECKPOINT`,
	} {
		if _, err := db.Exec(s); err != nil {
			return "", err
		}
	}
	if err := db.Close(); err != nil {
		return "", err
	}
	if err := os.Rename(tmp, path); err != nil {
		return "", err
	}
	_ = os.Remove(tmp + ".wal")
	st, _ := os.Stat(path)
	logf("generated %s: %d rows, %.0f MB, %.1f s", path, n, float64(st.Size())/1e6, time.Since(start).Seconds())
	return path, nil
}
