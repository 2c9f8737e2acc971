package core

import (
	"os"
	"runtime"
)

// GoProcsEnv is the environment variable that, when set, leaves GOMAXPROCS alone.
const GoProcsEnv = "GOMAXPROCS"

// GoProcsHeadroom raises GOMAXPROCS to duckThreads+1 when it is lower and the
// environment does not set it, and returns the value before and after.
//
// Why: a DuckDB worker thread that calls into Go (ml_infer) takes a Go P for the call
// and, between calls, leaves it parked as if in a system call while it runs DuckDB's
// own C++ code. When DuckDB's threads are as many as GOMAXPROCS (the default: both one
// per core), no P is ever idle, so Go's monitor thread takes parked Ps back every
// 20 µs and the next call must find one again: on 2 cores, ml_predict over the noop
// model ran 3.3× the context switches and took ~15 % longer than with one spare P
// (README, "Performance and tuning"). One spare P keeps one always idle, which
// stops the retaking; Go code itself is never more than one goroutine per DuckDB
// thread here, so the extra P does not oversubscribe the cores.
func GoProcsHeadroom(duckThreads int) (was, now int) {
	was = runtime.GOMAXPROCS(0)
	if os.Getenv(GoProcsEnv) != "" || duckThreads < 1 || was > duckThreads {
		return was, was
	}
	runtime.GOMAXPROCS(duckThreads + 1)
	return was, duckThreads + 1
}
