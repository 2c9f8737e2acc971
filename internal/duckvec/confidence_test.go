package duckvec_test

import (
	"math"
	"math/rand/v2"
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
