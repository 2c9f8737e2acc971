package extension_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The README's "Pre- and post-processing" snippets are tested code: each SQL statement
// is a record of sql/prepost.test, each Go line (less its comment) is in the Examples
// that run it. A snippet edited in one place only fails here.
func TestReadmeProcessorSnippets(t *testing.T) {
	read := func(path ...string) string {
		b, err := os.ReadFile(filepath.Join(path...))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	readme := read("..", "README.md")
	start := strings.Index(readme, "### Pre- and post-processing\n")
	if start < 0 {
		t.Fatal("README has no Pre- and post-processing section")
	}
	section := readme[start+1:]
	section = section[:strings.Index(section, "\n### ")]
	space := regexp.MustCompile(`\s+`)
	norm := func(s string) string { return strings.TrimSpace(space.ReplaceAllString(s, " ")) }
	sqlTest := norm(read("..", "sql", "prepost.test"))
	examples := read("example_prepost_test.go") + read("example_parquet_test.go")

	blocks := regexp.MustCompile("(?s)```(sql|go)\n(.*?)```").FindAllStringSubmatch(section, -1)
	var nSQL, nGo int
	for _, b := range blocks {
		switch b[1] {
		case "sql":
			for _, stmt := range strings.SplitAfter(b[2], ";\n") {
				if stmt = norm(stmt); stmt != "" {
					nSQL++
					if !strings.Contains(sqlTest, stmt) {
						t.Errorf("README SQL is not a record of sql/prepost.test:\n%s", stmt)
					}
				}
			}
		case "go":
			for _, line := range strings.Split(b[2], "\n") {
				if i := strings.Index(line, "//"); i >= 0 {
					line = line[:i]
				}
				if line = strings.TrimSpace(line); line != "" {
					nGo++
					if !strings.Contains(examples, line) {
						t.Errorf("README Go line is not in the Examples: %s", line)
					}
				}
			}
		}
	}
	if nSQL < 5 || nGo < 10 {
		t.Fatalf("found %d SQL statements and %d Go lines in the section; the snippets moved?", nSQL, nGo)
	}
}
