package extension_test

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"
)

// Every `go test ./PKG` and `go run ./PKG` that README.md and ARCHITECTURE.md tell the
// reader to type names a package of this module: README's Tasks section says
// "go test ./models/train -bench SentimentORT", and there is no ./models (the
// benchmark is in ./internal/train), so the command fails with "directory not found".
func TestDocsGoCommandsNamePackages(t *testing.T) {
	re := regexp.MustCompile("go (?:test|run)(?: -[^ `]+(?: '[^']*'| [0-9a-z]+x)?)* (\\./[A-Za-z0-9_./-]+)")
	n := 0
	for _, doc := range []string{"README.md", "ARCHITECTURE.md"} {
		b, err := os.ReadFile(filepath.Join("..", doc))
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range re.FindAllStringSubmatch(string(b), -1) {
			n++
			pkg := filepath.Clean(m[1])
			pkg = filepath.Clean(regexp.MustCompile(`/\.\.\.$`).ReplaceAllString(pkg, ""))
			st, err := os.Stat(filepath.Join("..", pkg))
			if err != nil || !st.IsDir() {
				t.Errorf("%s: %q: package %s does not exist in the module", doc, m[0], m[1])
			}
		}
	}
	if n < 8 {
		t.Fatalf("found %d go test/run commands; the pattern no longer matches the docs?", n)
	}
}
