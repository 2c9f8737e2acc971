package hosttest

import (
	"fmt"
	"testing"
)

// Pins: the extension kept a partition index for every OS thread that ever ran a query
// (partitions.Threads), so a host whose threads come and go grew it forever. The C host
// runs each connection on its own thread, which ends when the connection closes; with
// threads=1 that thread is the only one that runs ml_infer.
func TestExtensionForgetsEndedThreads(t *testing.T) {
	h := startC(t, ":memory:", map[string]string{"threads": "1"})
	defer closeHost(t, h)
	const conns = 200
	for i := range conns {
		conn := fmt.Sprintf("t%d", i)
		mustQuery(t, h, conn, "SELECT predicted_class FROM ml_predict('sentiment', 'SELECT ''I loved it'' AS text')")
		if err := h.CloseConn(conn); err != nil {
			t.Fatal(err)
		}
	}
	if got := count(t, h, "a", "SELECT partitions FROM ml_stats()"); got >= conns/2 {
		t.Errorf("after %d threads that ran a query and ended, ml_stats() counts %d partitions; want the ended threads' indices reused", conns, got)
	}
}
