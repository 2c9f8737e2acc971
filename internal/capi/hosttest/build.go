package hosttest

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/duckinfer/duckinfer/internal/extfooter"
)

// RepoRoot finds the module root from the working directory.
func RepoRoot() (string, error) {
	d, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("hosttest: no go.mod above the working directory")
		}
		d = filepath.Dir(d)
	}
}

// BuildExtension builds duckinfer.duckdb_extension into dir as `make extension` does
// and returns its path.
func BuildExtension(dir string) (string, error) {
	return BuildExtensionTags(dir, "")
}

// BuildExtensionTags is BuildExtension with more build tags (comma-separated), such as
// duckinfer_testhooks for an extension whose callbacks panic on request.
func BuildExtensionTags(dir, tags string) (string, error) {
	root, err := RepoRoot()
	if err != nil {
		return "", err
	}
	if tags != "" {
		tags = "," + tags
	}
	out := filepath.Join(dir, "duckinfer.duckdb_extension")
	cmd := exec.Command("go", "build", "-tags", "duckinfer_dlnvml"+tags, "-buildmode=c-shared", "-o", out, "./cmd/duckinfer-extension")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=1")
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("hosttest: building the extension: %w\n%s", err, b)
	}
	_ = os.Remove(strings.TrimSuffix(out, ".duckdb_extension") + ".h")
	m := extfooter.Metadata{Platform: runtime.GOOS + "_" + runtime.GOARCH, Version: "v1.5.6", ExtensionVersion: "v0.1.0", ABI: "C_STRUCT"}
	if err := extfooter.Append(out, m); err != nil {
		return "", err
	}
	if _, err := BuildCompanion(dir); err != nil {
		return "", err
	}
	return out, nil
}

// BuildCompanion builds the DuckDB 2.0.0 companion duckinfer_v2.duckdb_extension into
// dir with the same command `make extension` runs (cmd/duckinfer-v2macros) and returns
// its path.
func BuildCompanion(dir string) (string, error) {
	root, err := RepoRoot()
	if err != nil {
		return "", err
	}
	out := filepath.Join(dir, "duckinfer_v2.duckdb_extension")
	cmd := exec.Command("go", "run", "./cmd/duckinfer-v2macros", out)
	cmd.Dir = root
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("hosttest: building the companion: %w\n%s", err, b)
	}
	return out, nil
}

// DuckDB 2.0 for the C host: the static library and the matching duckdb.h, as Go
// modules (checksums from the Go checksum database; `make setup` downloads them).
const (
	libduckdbModule = "go.duckdb.org/libduckdb/linux-amd64@v0.20000.0"
	headerModule    = "github.com/duckdb/duckdb-go-bindings@v0.20000.0"
)

// BuildCHost compiles hosts/c/host.c against DuckDB 2.0's static library into dir.
func BuildCHost(dir string) (string, error) {
	root, err := RepoRoot()
	if err != nil {
		return "", err
	}
	return buildCProgram(dir, "duckdb2-host", filepath.Join(root, "internal", "capi", "hosts", "c", "host.c"))
}

// buildCProgram compiles the C source src into dir/name, linked against DuckDB 2.0's
// static library as the C host is.
func buildCProgram(dir, name, src string) (string, error) {
	if runtime.GOOS != "linux" || runtime.GOARCH != "amd64" {
		return "", fmt.Errorf("hosttest: C programs on DuckDB 2.0 are built for linux/amd64 only")
	}
	root, err := RepoRoot()
	if err != nil {
		return "", err
	}
	lib, err := moduleDir(root, libduckdbModule)
	if err != nil {
		return "", err
	}
	hdr, err := moduleDir(root, headerModule)
	if err != nil {
		return "", err
	}
	out := filepath.Join(dir, name)
	args := []string{"-O2", "-Wall", "-o", out, src,
		filepath.Join(lib, "static_extension_loader.c"), "-I" + filepath.Join(hdr, "include"), "-I" + lib, "-L" + lib}
	for _, l := range []string{"duckdb_httplib", "duckdb_loadable_extensions", "autocomplete_extension", "core_functions_extension",
		"icu_extension", "json_extension", "parquet_extension", "tpcds_extension", "tpch_extension", "duckdb_static"} {
		args = append(args, "-l"+l)
	}
	args = append(args, "-lstdc++", "-lm", "-ldl", "-lpthread")
	if b, err := exec.Command("gcc", args...).CombinedOutput(); err != nil {
		return "", fmt.Errorf("hosttest: compiling %s: %w\n%s", src, err, b)
	}
	return out, nil
}

// moduleDir returns a module's folder in the module cache, downloading it (checksum
// verified) when missing.
func moduleDir(root, mod string) (string, error) {
	cmd := exec.Command("go", "mod", "download", "-json", mod)
	cmd.Dir = root
	b, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("hosttest: go mod download %s (run make setup): %w", mod, err)
	}
	var info struct{ Dir, Error string }
	if err := json.Unmarshal(b, &info); err != nil || info.Dir == "" {
		return "", fmt.Errorf("hosttest: go mod download %s: %s %v", mod, info.Error, err)
	}
	return info.Dir, nil
}
