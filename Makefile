# duckinfer — the README's two commands are `make demo` and `make test`.
export CGO_ENABLED := 1
# go-nvml's headers mark many functions deprecated; the warnings are noise.
export CGO_CFLAGS := -O2 -g -Wno-deprecated-declarations
GO ?= go

.PHONY: setup setup-gpu build extension demo test test-race test-slurm fuzz bench sqltest vet clean gpu-check

## setup: ONNX Runtime (CPU) and training data by package name, checksum-verified; Go modules;
## the npm packages of the extension's Node test host (package-lock.json)
setup:
	./scripts/setup-ort.sh
	./scripts/setup-data.sh
	$(GO) mod download
	# @duckdb/node-api (official libduckdb 1.5.6), the loadable extension's Node test host
	cd internal/capi/hosts/node && npm ci --no-audit --no-fund
	# DuckDB 2.0's static library and header, the extension's C test host (internal/capi/hosttest)
	$(GO) mod download go.duckdb.org/libduckdb/linux-amd64@v0.20000.0 github.com/duckdb/duckdb-go-bindings@v0.20000.0

## setup-gpu: the CUDA set of ONNX Runtime files in lib/ort/gpu (see scripts/setup-ort-gpu.sh)
setup-gpu:
	./scripts/setup-ort-gpu.sh

## build: bin/duckinfer
build:
	$(GO) build -o bin/duckinfer ./cmd/duckinfer

## extension: bin/duckinfer.duckdb_extension, the loadable extension (C API v1.5.6:
## DuckDB 1.5.6 and 2.0; see README "LOAD 'duckinfer'"), with DuckDB's metadata footer, and
## beside it bin/duckinfer_v2.duckdb_extension, its DuckDB 2.0.0 companion (C API v2,
## ABI C_STRUCT_UNSTABLE) that registers ml_predict/ml_embed unqualified
CC ?= cc
extension:
	$(GO) build -tags duckinfer_dlnvml -buildmode=c-shared -o bin/duckinfer.duckdb_extension ./cmd/duckinfer-extension
	rm -f bin/duckinfer.h
	$(GO) run ./cmd/duckinfer-footer bin/duckinfer.duckdb_extension
	$(GO) run ./cmd/duckinfer-v2macros -cc $(CC) bin/duckinfer_v2.duckdb_extension

## demo: set up, build, and predict the sentiment of a shipped sample of real reviews
demo: setup build
	./bin/duckinfer -c "CREATE TABLE reviews AS FROM read_csv('testdata/reviews.csv'); \
	  SELECT id, source, text, label, predicted_class, confidence FROM ml_predict('sentiment', 'reviews'); \
	  SELECT count(*) AS reviews, count(*) FILTER (WHERE label = predicted_class) AS agree FROM ml_predict('sentiment', 'reviews')"

## test: go vet + gofmt, every Go test (including the sql/*.test files), the race
## detector over the concurrent code, and each fuzz target for a bounded time
# The tests expect the shipped tasks; a caller's DUCKINFER_MODELS would replace them by
# name (each test package clears it too, for a plain go test).
test test-race fuzz sqltest: export DUCKINFER_MODELS =

test: vet
	$(GO) test -count=1 ./...
	$(MAKE) test-race fuzz

## test-race: the race detector over the concurrent packages (batch: its in-process
## runs, units in parallel; the fault tests' child processes would add nothing)
test-race:
	$(GO) test -race -count=1 ./internal/core/ ./internal/partitions/ ./internal/models/ ./internal/tokenizer/ ./internal/udf/ ./internal/sqltest/ ./extension/
	$(GO) test -race -count=1 -run 'RunShards|Changed|TempFiles|WithoutManifest' ./internal/batch/

## test-slurm: a one-node Slurm cluster on localhost runs a 4-task duckinfer array,
## one task cancelled and resubmitted; checks every row came out once (root; installs
## slurm-wlm and munge from Debian if missing; about 30 s)
test-slurm:
	./scripts/test-slurm.sh

# Each target runs a fixed number of inputs, sized to about 10 s here: Go 1.26's fuzz
# coordinator can fail a time-boxed run with "context deadline exceeded" when a worker
# is mid-input at the deadline (go.dev/issue/75804, fixed in Go 1.27); a count has no
# deadline to race. FUZZTIME=30s (or =Nx) overrides every target's budget.
FUZZTIME ?=
fuzzbudget = $(if $(FUZZTIME),$(FUZZTIME),$(1))
## fuzz: each fuzz target for its budget (seed corpora: f.Add in the tests, testdata/fuzz)
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzParseConfig$$' -fuzztime $(call fuzzbudget,150000x) ./internal/models/
	$(GO) test -run '^$$' -fuzz '^FuzzInputSQL$$' -fuzztime $(call fuzzbudget,150000x) ./internal/udf/
	$(GO) test -run '^$$' -fuzz '^FuzzOptions$$' -fuzztime $(call fuzzbudget,150000x) ./internal/sqlgen/
	$(GO) test -run '^$$' -fuzz '^FuzzArguments$$' -fuzztime $(call fuzzbudget,15000x) ./extension/
	$(GO) test -run '^$$' -fuzz '^FuzzSentimentGoMatchesORT$$' -fuzztime $(call fuzzbudget,500x) ./internal/train/
	$(GO) test -run '^$$' -fuzz '^FuzzSplitMatchesDuckDB$$' -fuzztime $(call fuzzbudget,50000x) ./cmd/duckinfer/
	$(GO) test -run '^$$' -fuzz '^FuzzWrapKeepsRejection$$' -fuzztime $(call fuzzbudget,40000x) ./internal/sqltext/
	$(GO) test -run '^$$' -fuzz '^FuzzSplitGPT2MatchesByteLevel$$' -fuzztime $(call fuzzbudget,150000x) ./internal/tokenizer/

## gpu-check: the NVIDIA device check (needs make setup-gpu and a GPU; CPU self-test otherwise)
gpu-check:
	./scripts/gpu-check.sh

## bench: the benchmark suite on generated 1M and 10M-row tables in bench-data/ (about
## 10 minutes the first time); BENCH_FLAGS=-quick for 200k/1M rows (~1.5 minutes)
bench:
	$(GO) run ./cmd/duckinfer-bench $(BENCH_FLAGS)

## sqltest: run the SQL regression files alone (with the fixture tasks they use)
sqltest:
	$(GO) run ./cmd/sqltest -models testdata/tasks -models testdata/torch -models testdata/hf/models sql/*.test

vet:
	$(GO) vet ./...
	@# gofmt -l . and not a file list from git: outside a git checkout (an archive, a
	@# checkout git refuses) an empty list made gofmt read stdin and pass, or wait.
	@test -z "$$(gofmt -l .)" || { echo "gofmt needed:"; gofmt -l .; exit 1; }

clean:
	rm -rf bin
