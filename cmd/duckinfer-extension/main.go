// Command duckinfer-extension is the loadable DuckDB extension: built with
// `go build -buildmode=c-shared` (see `make extension`), its shared library exports
// duckinfer_init_c_api (internal/capi), and cmd/duckinfer-extension/footer appends
// the metadata DuckDB checks on LOAD.
package main

import _ "github.com/duckinfer/duckinfer/internal/capi"

func main() {}
