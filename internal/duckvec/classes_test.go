package duckvec_test

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/duckinfer/duckinfer/internal/duckvec"
	"github.com/duckinfer/duckinfer/internal/models"
)

// The C formatter the bindings write confidences with gives exactly what
// models.AppendConfidence (the Go one, checked against strconv) gives: on every point
// of the six-decimal grid, between them, at the rounding edges, and out of range.
func TestConfidenceFormats(t *testing.T) {
	var ps []float32
	for i := range 1000001 {
		ps = append(ps, float32(i)/1e6, float32(float64(i)/1e6+0.5e-6))
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 1000000 {
		ps = append(ps, rng.Float32(), math.Float32frombits(rng.Uint32()))
	}
	ps = append(ps, 0, -0, -1, 1, 1.0000001, 2, float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN()),
		math.SmallestNonzeroFloat32, math.Nextafter32(1, 0), 0.9999995, 0.0000005, 0.00000049)
	got := duckvec.Confidences(ps)
	bad := 0
	for i, p := range ps {
		if want := string(models.AppendConfidence(nil, p)); got[i] != want {
			if bad++; bad <= 10 {
				t.Errorf("C confidence of %v (bits %#x) = %q, Go gives %q", p, math.Float32bits(p), got[i], want)
			}
		}
	}
	if bad > 0 {
		t.Fatalf("%d of %d values differ", bad, len(ps))
	}
}

// duckvec_write_classes on its own: each row's label (inlined, or copied into the heap
// once per call and shared by later rows) and confidence; NULL rows, and rows whose
// label index is out of range, are left out and listed.
func TestWriteClasses(t *testing.T) {
	long, short := "négatif — a label well past twelve bytes", "pös"
	labels := []string{long, short, "another label longer than 12"}
	rows := []int32{0, 1, -1, 2, 3, 4, 5, -1}
	cls := []int32{0, 1, 0, 1, 7, -1} // model rows 4 and 5: out of range
	conf := []float32{0.25, 1, 0.5, 0.123456, 0.9, 0.1}
	label, confidence, nulls, assigns := duckvec.WriteClasses(rows, cls, conf, labels)
	wantLabel := []string{long, short, "", long, short, "", "", ""}
	wantConf := []string{"0.250000", "1.000000", "", "0.500000", "0.123456", "", "", ""}
	for r := range rows {
		if label[r] != wantLabel[r] || confidence[r] != wantConf[r] {
			t.Errorf("row %d: %q %q, want %q %q", r, label[r], confidence[r], wantLabel[r], wantConf[r])
		}
	}
	if want := []int32{2, 5, 6, 7}; !slices.Equal(nulls, want) {
		t.Errorf("NULL rows %v, want %v", nulls, want)
	}
	if assigns != 1 {
		t.Errorf("the long label was copied %d times, want once (later rows share it)", assigns)
	}
}
