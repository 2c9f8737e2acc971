package hosttest

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"strconv"
	"sync/atomic"
)

// Connector is a database/sql connector whose connections are connections in the
// host, so sql.OpenDB(h.Connector()) hands the host to code written for *sql.DB.
type Connector struct {
	h    *Host
	next atomic.Int64
}

// Connector returns a database/sql connector over the host.
func (h *Host) Connector() *Connector { return &Connector{h: h} }

func (c *Connector) Connect(context.Context) (driver.Conn, error) {
	return &conn{h: c.h, id: "c" + strconv.FormatInt(c.next.Add(1), 10)}, nil
}

func (c *Connector) Driver() driver.Driver { return drv{} }

type drv struct{}

func (drv) Open(string) (driver.Conn, error) {
	return nil, errors.New("hosttest: use sql.OpenDB(host.Connector())")
}

type conn struct {
	h  *Host
	id string
}

func (c *conn) Prepare(q string) (driver.Stmt, error) {
	return nil, errors.New("hosttest: prepared statements are not supported; run SQL text")
}
func (c *conn) Close() error { return c.h.CloseConn(c.id) }
func (c *conn) Begin() (driver.Tx, error) {
	return nil, errors.New("hosttest: use BEGIN/COMMIT statements")
}

func (c *conn) run(ctx context.Context, q string, args []driver.NamedValue) (Result, error) {
	if len(args) > 0 {
		return Result{}, errors.New("hosttest: query arguments are not supported")
	}
	done := make(chan struct{})
	defer close(done)
	go func() {
		select {
		case <-ctx.Done():
			_ = c.h.Interrupt(c.id)
		case <-done:
		}
	}()
	r, err := c.h.Query(c.id, q)
	if err != nil {
		return r, err
	}
	if !r.OK {
		return r, errors.New(r.Error)
	}
	return r, nil
}

func (c *conn) ExecContext(ctx context.Context, q string, args []driver.NamedValue) (driver.Result, error) {
	if _, err := c.run(ctx, q, args); err != nil {
		return nil, err
	}
	return driver.RowsAffected(0), nil
}

func (c *conn) QueryContext(ctx context.Context, q string, args []driver.NamedValue) (driver.Rows, error) {
	r, err := c.run(ctx, q, args)
	if err != nil {
		return nil, err
	}
	return &rows{r: r}, nil
}

type rows struct {
	r Result
	i int
}

func (r *rows) Columns() []string { return r.r.Columns }
func (r *rows) Close() error      { return nil }

// ColumnTypeDatabaseTypeName gives DuckDB's type name, as the sqllogictest runner
// needs for BOOLEAN and numeric comparisons.
func (r *rows) ColumnTypeDatabaseTypeName(i int) string { return r.r.Types[i] }

func (r *rows) Next(dest []driver.Value) error {
	if r.i >= len(r.r.Rows) {
		return io.EOF
	}
	for j, v := range r.r.Rows[r.i] {
		if v == nil {
			dest[j] = nil
			continue
		}
		switch r.r.Types[j] {
		case "BOOLEAN":
			dest[j] = *v == "true"
		case "DOUBLE", "FLOAT":
			f, err := strconv.ParseFloat(*v, 64)
			if err != nil {
				return fmt.Errorf("hosttest: %s value %q: %w", r.r.Types[j], *v, err)
			}
			dest[j] = f
		default:
			dest[j] = *v
		}
	}
	r.i++
	return nil
}
