package extension

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/duckinfer/duckinfer/internal/gpu"
	"github.com/duckinfer/duckinfer/internal/models"
)

// installGPUStandIn makes the GPU build look installed (a stand-in file, never loaded)
// in a per-test XDG_DATA_HOME.
func installGPUStandIn(t *testing.T) {
	t.Helper()
	t.Setenv("XDG_DATA_HOME", t.TempDir())
	gpuDir := models.UserLibraryDir(models.FlavorGPU)
	if err := os.MkdirAll(gpuDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(gpuDir, "libonnxruntime.so.1"), []byte("stand-in"), 0o644); err != nil {
		t.Fatal(err)
	}
	if !models.HasLibrary(models.FlavorGPU) {
		t.Fatal("setup: the GPU files are not seen")
	}
}

// Pins: a connector opened after the process loaded the CPU ONNX Runtime planned CUDA
// (the GPU files being installed and a GPU seen), and every query failed.
func TestAutoAfterCPURuntimeLoaded(t *testing.T) {
	if _, err := models.InitRuntime(models.FlavorCPU); err != nil {
		t.Skip(err)
	}
	if info, _ := models.Runtime(); info.Flavor != models.FlavorCPU {
		t.Skip("the GPU runtime is loaded")
	}
	installGPUStandIn(t)
	db, _ := open(t, WithInventory(gpu.Simulated(1)), WithCPUSlots(2))
	var dev, rt, note string
	if err := db.QueryRow(`SELECT device, runtime, note FROM ml_devices()`).Scan(&dev, &rt, &note); err != nil {
		t.Fatal(err)
	}
	exec(t, db, `CREATE TABLE fl AS SELECT 5.1 AS sepal_length, 3.5 AS sepal_width, 1.4 AS petal_length, 0.2 AS petal_width`)
	var got string
	err := db.QueryRow(`SELECT predicted_class FROM ml_predict('iris', 'fl')`).Scan(&got)
	if err != nil || got != "setosa" || dev != "cpu" {
		t.Fatalf("device 'auto' with the CPU runtime loaded: ml_devices says %q (%s); the query gave %q, %v", dev, rt, got, err)
	}
	if !strings.Contains(note, "auto chose CPU") || !strings.Contains(note, "already loaded the CPU build") || !strings.Contains(rt, "(cpu)") {
		t.Fatalf("ml_devices note %q, runtime %q: want auto chose CPU because the CPU build is loaded", note, rt)
	}
	_, err = db.Exec(`SELECT * FROM ml_predict('iris', 'fl', device := 'cuda')`)
	if err == nil || !strings.Contains(err.Error(), "already loaded the CPU build") || strings.Contains(err.Error(), "make setup-gpu") {
		t.Fatalf("device := 'cuda' with the CPU runtime loaded: %v", err)
	}
}

// Pins: with the GPU build installed, a connector opened WithDevice("cpu") refused
// device := 'cuda' saying the CPU build is installed and to run make setup-gpu.
func TestCudaRefusalNamesWithDevice(t *testing.T) {
	installGPUStandIn(t)
	db, c := open(t, WithInventory(gpu.Simulated(1)), WithDevice("cpu"))
	// Whatever this process has loaded, the connector's own choice is the reason.
	c.env.Loaded = func() (models.RuntimeInfo, bool) { return models.RuntimeInfo{}, false }
	exec(t, db, `CREATE TABLE fl AS SELECT 5.1 AS sepal_length, 3.5 AS sepal_width, 1.4 AS petal_length, 0.2 AS petal_width`)
	_, err := db.Exec(`SELECT * FROM ml_predict('iris', 'fl', device := 'cuda')`)
	if err == nil {
		t.Fatal("device := 'cuda' ran on a connector that loads the CPU build")
	}
	if msg := err.Error(); strings.Contains(msg, "installed is the CPU build") || strings.Contains(msg, "make setup-gpu") || !strings.Contains(msg, `WithDevice("cpu")`) {
		t.Fatalf("the GPU build is installed and WithDevice(\"cpu\") chose the CPU one, yet: %v", err)
	}
}
