package extension

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/duckinfer/duckinfer/internal/models"
	"github.com/duckinfer/duckinfer/internal/onnxbuild"
)

// writeScale writes task "scale": y = k·x, a new model (and so a new snapshot of the
// task) for each k.
func writeScale(t *testing.T, dir string, k float32) {
	writeTask(t, dir, "scale", &onnxbuild.Graph{
		Name:         "scale",
		Inputs:       []*onnxbuild.ValueInfo{onnxbuild.TensorValue("x", onnxbuild.Float, onnxbuild.N, onnxbuild.D(1))},
		Outputs:      []*onnxbuild.ValueInfo{onnxbuild.TensorValue("y", onnxbuild.Float, onnxbuild.N, onnxbuild.D(1))},
		Initializers: []*onnxbuild.Tensor{onnxbuild.FloatTensor("k", []int64{1}, []float32{k})},
		Nodes:        []*onnxbuild.Node{onnxbuild.NewNode("Mul", []string{"x", "k"}, []string{"y"})},
	}, `{"kind":"regress","inputs":[{"name":"x","type":"float32","columns":["a"]}],"output":"y"}`)
}

// waitSessions collects garbage until at most max sessions are open (or a deadline).
func waitSessions(max int64) int64 {
	deadline := time.Now().Add(5 * time.Second)
	for {
		runtime.GC()
		if n := models.OpenSessions(); n <= max || time.Now().After(deadline) {
			return n
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Pins: the sessions of a task's superseded versions stayed loaded until the
// connector closed, so a long-running program whose model is replaced nightly held
// one more set of sessions (memory, and GPU memory) per version.
// Once no statement is bound to a superseded version, its sessions are freed; the
// current version's stay, and a prepared statement bound to an old version keeps that
// version's sessions (and its answers) until it is closed.
func TestSupersededVersionsFreeTheirSessions(t *testing.T) {
	dir := t.TempDir()
	writeScale(t, dir, 1)
	db, _ := open(t, WithTaskDirs(dir))
	db.SetMaxOpenConns(1)
	exec(t, db, `SET threads = 1`)
	base := models.OpenSessions()
	predict := func() float64 {
		t.Helper()
		var y float64
		if err := db.QueryRow(`SELECT prediction FROM ml_predict('scale', 'SELECT 2::FLOAT AS a')`).Scan(&y); err != nil {
			t.Fatal(err)
		}
		return y
	}
	if y := predict(); y != 2 {
		t.Fatalf("k = 1: %v", y)
	}
	perVersion := models.OpenSessions() - base
	if perVersion < 1 {
		t.Fatalf("no session loaded (%d)", perVersion)
	}
	// A statement prepared on version 1 keeps it.
	held, err := db.Prepare(`SELECT prediction FROM ml_predict('scale', 'SELECT 2::FLOAT AS a')`)
	if err != nil {
		t.Fatal(err)
	}
	for k := float32(2); k <= 6; k++ {
		time.Sleep(10 * time.Millisecond) // a new modification time for the new model
		writeScale(t, dir, k)
		if y := predict(); y != 2*float64(k) {
			t.Fatalf("k = %v: %v", k, y)
		}
	}
	// The current version's sessions and the prepared statement's version's stay.
	if n := waitSessions(base + 2*perVersion); n != base+2*perVersion {
		t.Fatalf("after 6 versions, %d sessions are open (%d per version); want the current version's and the prepared statement's", n-base, perVersion)
	}
	// The statement prepared on version 1 answers by it, or fails saying to prepare it
	// again (where it needs a session not loaded yet: the file changed); never by
	// another version.
	var y float64
	if err := held.QueryRow().Scan(&y); err != nil && !strings.Contains(err.Error(), "prepare it again") || err == nil && y != 2 {
		t.Fatalf("the statement prepared on version 1: %v, %v; want 2", y, err)
	}
	held.Close()
	if n := waitSessions(base + perVersion); n > base+perVersion {
		t.Fatalf("with the prepared statement closed, %d sessions are open, want %d", n-base, perVersion)
	}
	if y := predict(); y != 12 {
		t.Fatalf("k = 6 after the frees: %v", y)
	}
}

// Pins: a removed folder's snapshot kept its sessions while its name was never asked
// for again.
// A service that deploys each model version as a new task folder (scale_v1, scale_v2,
// ...) and removes the old one frees each removed version's sessions: Lookup
// supersedes snapshots whose folders are gone when it meets a new name (and every few
// seconds), though nothing asks for the old name again.
func TestRemovedTaskFolderFreesSessions(t *testing.T) {
	dir := t.TempDir()
	db, _ := open(t, WithTaskDirs(dir))
	db.SetMaxOpenConns(1)
	exec(t, db, `SET threads = 1`)
	base := models.OpenSessions()
	const n = 10
	for k := 1; k <= n; k++ {
		name := fmt.Sprintf("scale_v%d", k)
		writeScale(t, dir, float32(k))
		if err := os.Rename(filepath.Join(dir, "scale"), filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
		if k > 1 {
			if err := os.RemoveAll(filepath.Join(dir, fmt.Sprintf("scale_v%d", k-1))); err != nil {
				t.Fatal(err)
			}
		}
		predictScale(t, db, name, float64(k))
	}
	got := waitSessions(base+2) - base
	t.Logf("%d sessions open after %d versions, each in a new folder that replaced the last", got, n)
	if got > 2 {
		t.Errorf("%d sessions are still loaded after %d task folders were each removed once its successor was deployed; want only the current one's", got, n)
	}
}

// TestRemovedTaskFolderFreesSessions with the task folders deployed as symbolic links
// into a model store that keeps every version (for rollback): removing the link
// removes the task, and its sessions go, though its target stays.
// Pins: forgetGoneLocked stat'ed the resolved path, which stays.
func TestRemovedLinkedTaskFolderFreesSessions(t *testing.T) {
	store, dir := t.TempDir(), t.TempDir()
	db, _ := open(t, WithTaskDirs(dir))
	db.SetMaxOpenConns(1)
	exec(t, db, `SET threads = 1`)
	base := models.OpenSessions()
	const n = 6
	for k := 1; k <= n; k++ {
		name := fmt.Sprintf("scale_v%d", k)
		writeScale(t, store, float32(k))
		if err := os.Rename(filepath.Join(store, "scale"), filepath.Join(store, name)); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(filepath.Join(store, name), filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
		if k > 1 {
			if err := os.Remove(filepath.Join(dir, fmt.Sprintf("scale_v%d", k-1))); err != nil {
				t.Fatal(err)
			}
		}
		predictScale(t, db, name, float64(k))
	}
	if got := waitSessions(base+2) - base; got > 2 {
		t.Errorf("%d sessions still loaded after %d linked task folders were each removed once its successor was deployed; want only the current one's", got, n)
	}
}

// predictScale checks that task name (a writeScale model) predicts 2k for a = 2.
func predictScale(t *testing.T, db *sql.DB, name string, k float64) {
	t.Helper()
	var y float64
	if err := db.QueryRow(`SELECT prediction FROM ml_predict('` + name + `', 'SELECT 2::FLOAT AS a')`).Scan(&y); err != nil {
		t.Fatal(err)
	}
	if y != 2*k {
		t.Fatalf("%s: %v, want %v", name, y, 2*k)
	}
}

// Pins: Predict's call let go of its task version's sessions only when the collector
// found it, so a program that replaced its model and then ran little Go allocation
// held every old version's sessions.
// Each Predict ends its hold when it returns: with the collector off, replacing the
// model five times leaves one version's sessions.
func TestPredictFreesReplacedVersionsWithoutCollector(t *testing.T) {
	dir := t.TempDir()
	writeScale(t, dir, 1)
	c, err := NewConnector("", WithTaskDirs(dir))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	mem := memory.NewGoAllocator()
	b := array.NewRecordBuilder(mem, arrow.NewSchema([]arrow.Field{{Name: "a", Type: arrow.PrimitiveTypes.Float32}}, nil))
	b.Field(0).(*array.Float32Builder).AppendValues([]float32{2}, nil)
	rec := b.NewRecordBatch()
	b.Release()
	defer rec.Release()
	predict := func(k float32) {
		t.Helper()
		vals, err := c.PredictValues(context.Background(), "scale", rec, RecordOptions{}, mem)
		if err != nil {
			t.Fatal(err)
		}
		defer vals.Release()
		if y := vals.(*array.Float64).Value(0); y != 2*float64(k) {
			t.Fatalf("k = %v: %v", k, y)
		}
	}
	base := models.OpenSessions()
	predict(1) // one row, one batch: nothing is lent, so one slot's session loads
	perVersion := models.OpenSessions() - base
	for k := float32(2); k <= 6; k++ {
		time.Sleep(10 * time.Millisecond) // a new modification time for the new model
		writeScale(t, dir, k)
		predict(k)
	}
	if n := models.OpenSessions() - base; n > perVersion {
		t.Errorf("after 6 versions, each run by Predict, %d sessions are open with the collector off; want the current version's %d", n, perVersion)
	}
}
