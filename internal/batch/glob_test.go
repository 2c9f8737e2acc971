package batch

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A unit reads its own file, whatever glob characters or backslashes its name holds,
// and not a file whose name the glob would also match.
func TestGlobLiteral(t *testing.T) {
	s := openSession(t)
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "c"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ name, glob string }{
		{"x.csv", "x.csv"},
		{"x[1].csv", "x[[]1].csv"},
		{"x1.csv", "x1.csv"},
		{"q*.csv", "q[*].csv"},
		{"q?.csv", "q[?].csv"},
		{"qq.csv", "qq.csv"},
		// No glob character: DuckDB reads the path as written, not c/d.csv.
		{`c\d.csv`, `c\d.csv`},
		{"c/d.csv", "c/d.csv"},
	} {
		path := filepath.Join(dir, c.name)
		if err := os.WriteFile(path, []byte("text\n"+c.name+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		if got := globLiteral(c.name); got != c.glob {
			t.Errorf("globLiteral(%q) = %q, want %q", c.name, got, c.glob)
		}
		var got string
		q := "SELECT string_agg(text, ',') FROM (" + Unit{Kind: KindCSV, Path: path, Hi: -1}.Query() + ")"
		if err := s.Conn.QueryRowContext(context.Background(), q).Scan(&got); err != nil || got != c.name {
			t.Errorf("the unit of %s read %q, %v; want its own row\n  query: %s", c.name, got, err, q)
		}
	}
}

// Pins a\b[1].csv read as folder a's b[1].csv: DuckDB splits a glob at a backslash
// whatever escapes it, so Plan refuses the file by name instead.
func TestPlanRefusesBackslashWithGlobCharacter(t *testing.T) {
	s := openSession(t)
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "a"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{`a\b[1].csv`, `ab[1].csv`, "a/b[1].csv"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("text\n"+name+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	_, err := Plan(context.Background(), s.Conn, Input{Patterns: []string{filepath.Join(dir, "*.csv")}}, 0)
	if want := filepath.Join(dir, `a\b[1].csv`); err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "rename") {
		t.Fatalf("Plan: %v; want an error naming %s and asking to rename it", err, want)
	}
}
