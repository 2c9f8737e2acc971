package udf

import "github.com/duckinfer/duckinfer/internal/core"

// Env is what the SQL functions of one database share: the inference core's Env, plus
// what only DuckDB needs (the per-connection contexts).
type Env struct {
	*core.Env
	conns connContexts
}

// NewEnv wraps a core Env for the SQL functions.
func NewEnv(e *core.Env) *Env { return &Env{Env: e} }
