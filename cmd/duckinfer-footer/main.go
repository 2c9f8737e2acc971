// Command duckinfer-footer appends DuckDB's extension metadata footer to a shared
// library built with -buildmode=c-shared, making it a .duckdb_extension file (used by
// `make extension`; a file that already ends in a footer gets it replaced), or with
// -show prints the footer of one.
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime"

	"github.com/duckinfer/duckinfer/internal/extfooter"
)

func main() {
	m := extfooter.Metadata{}
	flag.StringVar(&m.Platform, "platform", runtime.GOOS+"_"+runtime.GOARCH, "DuckDB platform name")
	flag.StringVar(&m.Version, "capi", "v1.5.6", "C API version (ABI C_STRUCT) or DuckDB version (C_STRUCT_UNSTABLE)")
	flag.StringVar(&m.ExtensionVersion, "version", "v0.1.0", "extension version")
	flag.StringVar(&m.ABI, "abi", "C_STRUCT", "ABI type")
	show := flag.Bool("show", false, "print the footer of FILE instead of appending one")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: duckinfer-footer [-platform P] [-capi V] [-version V] [-abi A] [-show] FILE")
		os.Exit(2)
	}
	path := flag.Arg(0)
	if *show {
		got, err := extfooter.Read(path)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Printf("platform=%s capi=%s version=%s abi=%s\n", got.Platform, got.Version, got.ExtensionVersion, got.ABI)
		return
	}
	if err := extfooter.Append(path, m); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
