package hosttest

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// Pins: each distinct SET duckinfer_models value kept its own sessions of every task
// it ran, built-in ones included, until the database closed: 43 sessions after 20
// values where one value needs 2.
// Each distinct SET duckinfer_models value gets its own registry; only the most
// recently used few keep their snapshots and sessions.
//
// Pins too: a statement let go of its sessions only when the Go collector ran, so
// a retired setting's sessions stayed loaded for as long as it did not (CI saw 10
// where 7 are due). The host runs with the collector off, so only a statement's own
// end can let them go.
func TestModelsSettingsDoNotKeepSessions(t *testing.T) {
	h := startNodeWith(t, ":memory:", map[string]string{"threads": "1"}, "GOGC=off")
	defer closeHost(t, h)
	sessions := func() int64 {
		r := mustQuery(t, h, "a", "SELECT process_sessions FROM ml_stats()")
		n, err := strconv.ParseInt(r.Value(0, 0), 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	rss := func() int64 {
		b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/statm", h.cmd.Process.Pid))
		f := strings.Fields(string(b))
		n, _ := strconv.ParseInt(f[1], 10, 64)
		return n * int64(os.Getpagesize()) >> 20
	}
	mustQuery(t, h, "a", "SELECT predicted_class FROM ml_predict('sentiment', 'SELECT ''I loved it'' AS text')")
	mustQuery(t, h, "a", "SELECT predicted_class FROM ml_predict('bert_sentiment', 'SELECT ''I loved it'' AS text')")
	base := sessions()
	rss0 := rss()
	const n = 20
	for i := range n {
		dir := filepath.Join(t.TempDir(), fmt.Sprint(i))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		mustQuery(t, h, "a", "SET duckinfer_models = '"+dir+"'")
		mustQuery(t, h, "a", "SELECT predicted_class FROM ml_predict('sentiment', 'SELECT ''I loved it'' AS text')")
		mustQuery(t, h, "a", "SELECT predicted_class FROM ml_predict('bert_sentiment', 'SELECT ''I loved it'' AS text')")
	}
	mustQuery(t, h, "a", "RESET duckinfer_models")
	mustQuery(t, h, "a", "SELECT predicted_class FROM ml_predict('sentiment', 'SELECT ''I loved it'' AS text')")
	after := sessions()
	t.Logf("host RSS %d MB -> %d MB", rss0, rss())
	t.Logf("sessions: %d after one query, %d after %d distinct settings (each with the same built-in task)", base, after, n)
	// The four most recently used settings (capi's liveEnvs) keep theirs: the last
	// three folders' two tasks, and the reset setting's 'sentiment', which ran again.
	if want := 3*base + 1; after > want {
		t.Errorf("after %d distinct SET duckinfer_models values, each running the built-in 'sentiment', %d sessions are loaded, not %d (%d with one value); abandoned settings keep theirs", n, after, want, base)
	}
}

// Pins: ml_errors() concatenated each setting's ring (in map order): 4000 rows after
// four settings.
// ml_errors() lists "the most recent 1000 failed rows", across every
// SET duckinfer_models value, in time order.
func TestErrorsListOneThousandAcrossSettings(t *testing.T) {
	h := startNode(t, ":memory:", map[string]string{"threads": "1"})
	defer closeHost(t, h)
	const settings = 4
	for i := range settings {
		dir := filepath.Join(t.TempDir(), fmt.Sprint(i))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		mustQuery(t, h, "a", "SET duckinfer_models = '"+dir+"'")
		mustQuery(t, h, "a", "SELECT count(predicted_class) FROM ml_predict('iris', 'SELECT ''nan''::DOUBLE AS sepal_length, 1.0 AS sepal_width, 1.0 AS petal_length, 1.0 AS petal_width FROM range(1500)', on_error := 'null')")
	}
	r := mustQuery(t, h, "a", "SELECT count(*) FROM ml_errors()")
	n, _ := r.Int(0, 0)
	t.Logf("ml_errors() rows after %d settings × 1500 failures: %d", settings, n)
	if n != 1000 {
		t.Errorf("ml_errors() lists %d rows; the README promises the most recent 1000", n)
	}
	// In time order.
	if r := mustQuery(t, h, "a", "SELECT count(*) FROM (SELECT time < lag(time) OVER () AS back FROM ml_errors()) WHERE back"); r.Value(0, 0) != "0" {
		t.Errorf("ml_errors() is not in time order: %s rows come before an earlier one", r.Value(0, 0))
	}
}

// A statement lets go of its sessions when DuckDB deletes its last copy of the
// ml_infer bind data, whatever the plan's shape: with the collector off, a setting's
// sessions go once it is retired after a query of each shape below (several copies of
// the bind data, one statement failing mid-way, prepared statements executed and
// deallocated), and the four live settings keep one session each.
func TestRetiredSettingFreesEveryQueryShape(t *testing.T) {
	p := func(task, src string) string {
		return "SELECT predicted_class FROM ml_predict('" + task + "', '" + src + "')"
	}
	rows := `SELECT ''a '' || i AS text FROM range(3000) t(i)`
	for _, c := range []struct{ name, query string }{
		{"union", "SELECT count(*) FROM (" + p("sentiment", rows) + " UNION ALL " + p("bert_sentiment", rows) + ")"},
		{"materialized CTE read twice", "WITH c AS MATERIALIZED (" + p("bert_sentiment", rows) + ") SELECT (SELECT count(*) FROM c) + (SELECT count(*) FROM c)"},
		{"join", "SELECT count(*) FROM (" + p("bert_sentiment", rows) + ") x JOIN (" + p("sentiment", rows) + ") y USING (predicted_class)"},
		{"IN subquery", "SELECT count(*) FROM range(10) r(i) WHERE i::VARCHAR IN (SELECT length(predicted_class)::VARCHAR FROM (" + p("bert_sentiment", rows) + "))"},
		{"fails mid-way", p("bert_sentiment", `SELECT CASE WHEN i < 2500 THEN ''t'' || i ELSE error(''boom'') END AS text FROM range(3000) t(i)`)},
		{"prepared", ""},
	} {
		for _, host := range []struct {
			name  string
			start func(testing.TB, string, map[string]string, ...string) *Host
		}{{"node", startNodeWith}, {"duckdb2", startCWith}} {
			t.Run(host.name+"/"+c.name, func(t *testing.T) {
				h := host.start(t, ":memory:", map[string]string{"threads": "4"}, "GOGC=off")
				defer closeHost(t, h)
				mustQuery(t, h, "a", "SET duckinfer_models = '"+t.TempDir()+"'")
				if c.query == "" {
					mustQuery(t, h, "a", "PREPARE p AS "+p("bert_sentiment", rows))
					mustQuery(t, h, "a", "EXECUTE p")
					mustQuery(t, h, "a", "EXECUTE p")
					mustQuery(t, h, "a", "PREPARE q AS SELECT count(*) FROM ml_predict($1, 'SELECT ''x'' AS text')")
					mustQuery(t, h, "a", "EXECUTE q('bert_sentiment')")
					mustQuery(t, h, "a", "EXECUTE q('sentiment')")
					mustQuery(t, h, "a", "DEALLOCATE p")
					mustQuery(t, h, "a", "DEALLOCATE q")
				} else if r, err := h.Query("a", c.query); err != nil {
					t.Fatal(err)
				} else if fails := strings.Contains(c.name, "fails"); r.OK == fails {
					t.Fatalf("query ok %v (%s), want ok %v", r.OK, r.Error, !fails)
				}
				// Four more settings, each running one task: the first is retired.
				for range 4 {
					mustQuery(t, h, "b", "SET duckinfer_models = '"+t.TempDir()+"'")
					mustQuery(t, h, "b", p("sentiment", `SELECT ''x'' AS text`))
				}
				if got := mustQuery(t, h, "b", "SELECT process_sessions FROM ml_stats()").Value(0, 0); got != "4" {
					t.Errorf("%s sessions loaded once the setting the query ran under is retired; want the 4 live settings' one each", got)
				}
			})
		}
	}
}
