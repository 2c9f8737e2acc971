package main

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/golden/*.txt from the current output")

// goldenQuery holds a value of every kind whose text DuckDB decides: nested
// values with NULLs, JSON, MAP, DECIMAL, floats, BLOB, intervals, time zones,
// UNION, ENUM, BIT, and text that needs quoting or escaping in some mode.
const goldenQuery = `SET TimeZone = 'UTC';
SELECT 1 AS id, 'plain' AS txt, MAP {'k': 1, 'j': NULL} AS m,
       '{"a":1,"b":[true,null]}'::JSON AS j, {'x': 1, 'y': [NULL, 'a']} AS s,
       [1, NULL, 3] AS l, 1.50::DECIMAL(5,2) AS d, 0.1::DOUBLE AS f, 'inf'::FLOAT AS fl,
       '\xAA\x00a'::BLOB AS b, INTERVAL '1 year 2 days 3 seconds' AS i,
       TIMESTAMPTZ '2024-01-02 03:04:05.5+00' AS tz,
       union_value(k := 3)::UNION(k INTEGER, s VARCHAR) AS u, 'b'::ENUM('a', 'b') AS e,
       '0101'::BIT AS bt, true AS ok, NULL AS n
UNION ALL
SELECT 2, 'it''s "q", <b> | x' || chr(10) || 'y', MAP {}, '[]'::JSON, NULL, [], -0.25, -1e20, 'nan',
       ''::BLOB, INTERVAL '-90 minutes', NULL, union_value(s := 'v'), NULL, NULL, false, NULL
ORDER BY id;
SELECT '🚀✅' AS emoji, '👨‍👩‍👧‍👦' AS family, 'é' AS combining, '表' AS wide;
SELECT 42 AS empty WHERE false;
`

var goldenModes = []string{modeDuckbox, modeBox, modeTable, modeMarkdown, modeColumn, modeLine, modeList,
	modeTabs, modeCSV, modeJSON, modeJSONLines, modeInsert, modeQuote, modeHTML, modeASCII}

// TestGoldenModes renders goldenQuery in every output mode and compares with
// testdata/golden/MODE.txt; run "go test ./cmd/duckinfer -run TestGoldenModes
// -update" to regenerate after a deliberate change, and read the diff.
func TestGoldenModes(t *testing.T) {
	conn := memConn(t)
	for _, mode := range goldenModes {
		t.Run(mode, func(t *testing.T) {
			var out, errOut bytes.Buffer
			s := newShell(conn, &out, &errOut)
			s.setMode(mode)
			if _, err := s.runScript(strings.NewReader(goldenQuery), true); err != nil {
				t.Fatalf("%v\n%s", err, errOut.String())
			}
			path := filepath.Join("testdata", "golden", mode+".txt")
			if *update {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, out.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v; run with -update to create it", err)
			}
			if !bytes.Equal(out.Bytes(), want) {
				t.Errorf("%s output differs from %s:\n--- got\n%s\n--- want\n%s", mode, path, out.String(), want)
			}
		})
	}
}
