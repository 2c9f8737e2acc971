package core

import (
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/duckinfer/duckinfer/internal/models"
)

// Pins a task name with '@' (a version, as in Hugging Face's name@rev) read as the
// internal TaskRef: it failed as "changed while the query ran; rerun the query", which
// no rerun cures, instead of as an unknown task named in full.
func TestLookupTaskRef(t *testing.T) {
	reg, err := models.NewRegistry()
	if err != nil {
		t.Fatal(err)
	}
	e := &Env{Registry: reg}
	task, err := e.Lookup("sentiment")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"sentiment@v2", "sentiment@", "sentiment@" + strconv.FormatUint(task.Serial(), 10), "sentiment@99999", "nosuch@1", "sentiment" + refSep + "v2", "sentiment" + refSep + "01"} {
		_, err := e.Lookup(name)
		if err == nil || errors.Is(err, models.ErrTaskChanged) || !errors.Is(err, models.ErrUnknownTask) || !strings.Contains(err.Error(), strconv.Quote(name)) {
			t.Errorf("Lookup(%q): %v; want an unknown task error naming %q", name, err, name)
		}
	}
	if got, err := e.Lookup(TaskRef(task)); got != task || err != nil {
		t.Errorf("Lookup(TaskRef) = %v, %v; want the task", got, err)
	}
	stale := "sentiment" + refSep + strconv.FormatUint(task.Serial()+1000, 10)
	if _, err := e.Lookup(stale); !errors.Is(err, models.ErrTaskChanged) {
		t.Errorf("Lookup(%q): %v; want ErrTaskChanged", stale, err)
	}
}
