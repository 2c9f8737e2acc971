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

// The class writer on its own, behind a stand-in for DuckDB: each row's label (inlined,
// or copied into the heap once per call and shared by later rows) and confidence; NULL
// rows, and rows whose label index is out of range, are NULL in the struct and both
// fields.
func TestWriteClasses(t *testing.T) {
	long, short := "négatif — a label well past twelve bytes", "pös"
	labels := []string{long, short, "another label longer than 12"}
	rows := []int32{0, 1, -1, 2, 3, 4, 5, -1}
	cls := []int32{0, 1, 0, 1, 7, -1} // model rows 4 and 5: out of range
	conf := []float32{0.25, 1, 0.5, 0.123456, 0.9, 0.1}
	got, assigns := duckvec.WriteClasses(rows, cls, conf, labels)
	nul := duckvec.ClassRow{StructNull: true, LabelNull: true, ConfNull: true}
	want := []duckvec.ClassRow{
		{Label: long, Confidence: "0.250000"}, {Label: short, Confidence: "1.000000"}, nul,
		{Label: long, Confidence: "0.500000"}, {Label: short, Confidence: "0.123456"}, nul, nul, nul,
	}
	for r := range rows {
		if got[r] != want[r] {
			t.Errorf("row %d: %+v, want %+v", r, got[r], want[r])
		}
	}
	if assigns != 1 {
		t.Errorf("the long label was copied %d times, want once (later rows share it)", assigns)
	}
}
