package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// Every command of the README's "Bring a Hugging Face model" section runs here, from the
// repository root with this package's duckinfer as bin/duckinfer, and prints each line
// of the text block that follows it in the README.
func TestReadmeHuggingFace(t *testing.T) {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	section := string(readme)
	start := strings.Index(section, "## Bring a Hugging Face model\n")
	if start < 0 {
		t.Fatal("README has no Bring a Hugging Face model section")
	}
	section = section[start+1:]
	section = section[:strings.Index(section, "\n## ")]
	blocks := regexp.MustCompile("(?s)```(sh|text)\n(.*?)```").FindAllStringSubmatch(section, -1)
	bin := binPath(t)
	ran := 0
	for i, b := range blocks {
		if b[1] != "sh" {
			continue
		}
		if i+1 >= len(blocks) || blocks[i+1][1] != "text" {
			t.Fatalf("command %q has no output block after it", b[2])
		}
		cmdline := strings.TrimSpace(b[2])
		cmd := exec.Command("sh", "-c", strings.ReplaceAll(cmdline, "bin/duckinfer", bin))
		cmd.Dir = root
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s: %v\n%s", cmdline, err, out)
		}
		for _, line := range strings.Split(strings.TrimSpace(blocks[i+1][2]), "\n") {
			if !strings.Contains(string(out), strings.TrimSpace(line)) {
				t.Errorf("%s\nprinted:\n%s\nmissing the README's line: %s", cmdline, out, line)
			}
		}
		ran++
	}
	if ran < 3 {
		t.Fatalf("ran %d commands; the section's commands moved?", ran)
	}
}
