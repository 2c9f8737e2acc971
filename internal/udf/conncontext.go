package udf

import (
	"context"
	"database/sql/driver"
	"reflect"
	"strconv"
	"sync"
	"unsafe"

	"github.com/duckdb/duckdb-go/v2"
)

// Why this file exists: duckdb-go (v2.10506.0 and v2.20000.0) hands a scalar function's
// executor the context that was current when the function was *bound*. DuckDB binds a
// statement without parameters once, at prepare, so a prepared statement executed later
// would run with its prepare-time context: already cancelled, the wrong row counter,
// unreachable by the executing call's cancellation. The context of the call that is
// executing now is kept by duckdb-go per connection, in an unexported store keyed by
// DuckDB's connection id, which the macro hands ml_infer (sqlgen.ConnCurrent). This
// adapter reads the store by reflection, once, after checking its type;
// TestConnContextAdapter (extension) fails loudly if a duckdb-go upgrade changes that
// layout. Without the adapter, queries still run, with
// context.Background(): DuckDB's own interrupt still stops them between chunks.

// connContexts finds the context of the statement a DuckDB connection is executing.
type connContexts struct {
	once  sync.Once
	store *sync.Map // duckdb-go's contextStore.m: connection id → context.Context
}

// find remembers duckdb-go's context store, from the first connection initialised.
func (cc *connContexts) find(execer driver.ExecerContext) {
	c, ok := execer.(*duckdb.Conn)
	if !ok || c == nil {
		return
	}
	cc.once.Do(func() { cc.store = contextStoreMap(reflect.ValueOf(c).Elem().FieldByName("ctxStore")) })
}

// contextStoreMap returns the sync.Map inside duckdb-go's *contextStore, or nil.
func contextStoreMap(f reflect.Value) *sync.Map {
	if !f.IsValid() || f.Kind() != reflect.Pointer || f.IsNil() || f.Elem().Kind() != reflect.Struct {
		return nil
	}
	m := f.Elem().FieldByName("m")
	if !m.IsValid() || m.Type() != reflect.TypeOf(sync.Map{}) {
		return nil
	}
	return (*sync.Map)(unsafe.Pointer(m.UnsafeAddr()))
}

// connArg reads a connection id as the macro passes it to ml_infer and ml_predict_sql
// (sqlgen.ConnCurrent): known is false for one the binding could not tell.
func connArg(s string) (id uint64, known bool) {
	id, err := strconv.ParseUint(s, 10, 64)
	return id, err == nil
}

// current returns the context of the statement connection id is executing, or
// context.Background() when it is unknown.
func (cc *connContexts) current(id uint64, known bool) context.Context {
	if known && cc.store != nil {
		if v, ok := cc.store.Load(id); ok {
			if ctx, ok := v.(context.Context); ok && ctx != nil {
				return ctx
			}
		}
	}
	return context.Background()
}

// ConnContextsWork reports whether ml_infer can find the executing statement's
// context (at least one connection has been initialised through InitConn).
func (e *Env) ConnContextsWork() bool { return e.conns.store != nil }
