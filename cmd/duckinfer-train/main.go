// Command duckinfer-train regenerates duckinfer's shipped task folders
// (internal/models/tasks/sentiment, internal/models/tasks/iris, testdata/tasks/noop)
// byte-for-byte from the data that scripts/setup-data.sh installs, and prints
// the accuracy figures of each training run.
//
//	go run ./cmd/duckinfer-train [-task sentiment|iris|noop|all] [-data lib/data] [-out DIR]
//
// Without -out each task is written to its shipped folder (run it from the
// repository root); with -out, to DIR/<task>/.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/duckinfer/duckinfer/internal/train"
)

func main() {
	task := flag.String("task", "all", "task to build: sentiment, iris, noop or all")
	data := flag.String("data", "lib/data", "folder filled by scripts/setup-data.sh")
	out := flag.String("out", "", "write DIR/<task>/ instead of the shipped folders")
	flag.Parse()
	if err := run(*task, *data, *out); err != nil {
		fmt.Fprintln(os.Stderr, "duckinfer-train:", err)
		os.Exit(1)
	}
}

func run(task, data, out string) error {
	names := []string{task}
	if task == "all" {
		names = train.TaskNames
	}
	for _, name := range names {
		t, err := train.BuildTask(name, data)
		if err != nil {
			return err
		}
		dir := t.Dir
		if out != "" {
			dir = filepath.Join(out, t.Name)
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("creating %s: %w", dir, err)
		}
		for _, f := range t.Files {
			p := filepath.Join(dir, f.Name)
			if err := os.WriteFile(p, f.Data, 0o644); err != nil {
				return fmt.Errorf("writing %s: %w", p, err)
			}
		}
		fmt.Println(t.Report)
		fmt.Printf("%s: wrote %s\n", t.Name, dir)
	}
	return nil
}
