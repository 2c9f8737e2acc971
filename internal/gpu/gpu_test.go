package gpu

import (
	"fmt"
	"os"
	"testing"
)

func TestSimulated(t *testing.T) {
	for _, n := range []int{0, 1, 4, 8} {
		t.Run(fmt.Sprint(n, "gpus"), func(t *testing.T) { checkSimulated(t, n) })
	}
}

func checkSimulated(t *testing.T, n int) {
	{
		inv := Simulated(n)
		if len(inv.GPUs) != n {
			t.Fatalf("Simulated(%d): %d GPUs", n, len(inv.GPUs))
		}
		for i, d := range inv.GPUs {
			if d.Index != i {
				t.Errorf("Simulated(%d): GPU %d has index %d", n, i, d.Index)
			}
		}
		if (n == 0) != (inv.Reason != "") {
			t.Errorf("Simulated(%d): reason %q", n, inv.Reason)
		}
	}
}

// On a machine without a driver discovery must report no GPUs and say why; with a
// driver (the GPU check machine) it must find at least one device.
func TestDiscover(t *testing.T) {
	inv := Discover()
	_, err := os.Stat("/dev/nvidia0")
	hasDev := err == nil
	if hasDev && len(inv.GPUs) == 0 {
		t.Fatalf("/dev/nvidia0 exists but NVML found no GPU: %s", inv.Reason)
	}
	if len(inv.GPUs) == 0 && inv.Reason == "" {
		t.Fatal("no GPUs and no reason given")
	}
	t.Logf("inventory: %+v", inv)
}
