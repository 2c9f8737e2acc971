package models

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	ort "github.com/yalue/onnxruntime_go"
)

// The OrtApi slots that ortstrings.go calls match the header onnxruntime_go ships (the
// version in go.mod): a wrong slot would call another function.
func TestORTStringSlots(t *testing.T) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/yalue/onnxruntime_go").Output()
	if err != nil {
		t.Fatalf("go list -m github.com/yalue/onnxruntime_go: %v", err)
	}
	h, err := os.ReadFile(filepath.Join(strings.TrimSpace(string(out)), "onnxruntime_c_api.h"))
	if err != nil {
		t.Fatal(err)
	}
	s := string(h)
	i := strings.Index(s, "struct OrtApi {")
	if i < 0 {
		t.Fatal("onnxruntime_c_api.h: struct OrtApi not found")
	}
	body := s[i+len("struct OrtApi {"):]
	body = body[:strings.Index(body, "\n};")]
	body = regexp.MustCompile(`(?s)/\*.*?\*/`).ReplaceAllString(body, "")
	body = regexp.MustCompile(`//[^\n]*`).ReplaceAllString(body, "")
	var members []string
	for _, m := range strings.Split(body, ";") {
		if m = strings.TrimSpace(m); m != "" {
			members = append(members, m)
		}
	}
	slot := func(re string) int {
		r := regexp.MustCompile(re)
		for k, m := range members {
			if r.MatchString(m) {
				return k
			}
		}
		return -1
	}
	for _, c := range []struct {
		name string
		re   string
		want int
	}{
		{"GetErrorMessage", `[(*]\s*GetErrorMessage\s*[,)]`, 2},
		{"GetResizedStringTensorElementBuffer", `[(*]\s*GetResizedStringTensorElementBuffer\s*[,)]`, 252},
		{"ReleaseStatus", `ORT_CLASS_RELEASE\(\s*Status\s*\)`, 93},
	} {
		if got := slot(c.re); got != c.want {
			t.Errorf("OrtApi.%s is slot %d in onnxruntime_c_api.h, ortstrings.go calls slot %d: fix the enum there", c.name, got, c.want)
		}
	}
}

// String tensors filled from one packed buffer hold exactly the strings given
// (read back through onnxruntime_go), for a fresh tensor, a kept one refilled, and
// a tail batch of another size; the adapter is reached (it fails here, loudly, if an
// onnxruntime_go upgrade changes ValueInternalData).
func TestORTStringFill(t *testing.T) {
	if _, err := InitRuntime(FlavorCPU); err != nil {
		t.Fatal(err)
	}
	if stringAPI() == nil {
		t.Fatal("the OrtApi of the loaded library was not found (ortstrings.go); string tensors fall back to ort's SetContents")
	}
	st, err := ort.NewStringTensor(ort.NewShape(2))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Destroy()
	if _, ok := ortValueOf(st); !ok {
		t.Fatal("ortValueOf cannot read onnxruntime_go's ValueInternalData.ortValue: its layout changed (see ortstrings.go)")
	}

	vals := make([]string, 300)
	for i := range vals {
		vals[i] = fmt.Sprintf("text %d: %s", i, strings.Repeat("é", i%40))
	}
	vals[3], vals[7] = "", "a\x00b" // empty; a NUL byte is kept, like any other
	d := stringInput{}.NewData(InputSpec{}, nil).(*stringData)
	d.vals = vals
	check := func(lo, hi int, wantKept bool) {
		t.Helper()
		v, err := d.Tensor(lo, hi)
		if err != nil {
			t.Fatal(err)
		}
		defer v.Destroy()
		got := tensorStrings(t, v)
		if _, kept := v.(keptTensor); kept != wantKept {
			t.Errorf("rows [%d,%d): kept tensor %v, want %v", lo, hi, kept, wantKept)
		}
		for i, s := range got {
			want := vals[lo+i]
			if s != want {
				t.Fatalf("rows [%d,%d) element %d = %q, want %q", lo, hi, i, s, want)
			}
		}
		if len(got) != hi-lo {
			t.Fatalf("rows [%d,%d): %d strings", lo, hi, len(got))
		}
	}
	check(0, 256, true)    // fresh, then kept
	check(44, 300, true)   // the kept tensor refilled with other strings
	check(256, 300, false) // a tail: fresh, the caller destroys it
	check(0, 256, true)    // the kept tensor is still the full-size one
}

// BenchmarkStringTensor builds a 256-row string tensor of review-like texts: our fill
// (one cgo call, bytes copied straight into ORT's strings) into a kept tensor, next to
// onnxruntime_go's NewStringTensor + SetContents (a C string per row).
func BenchmarkStringTensor(b *testing.B) {
	if _, err := InitRuntime(FlavorCPU); err != nil {
		b.Skip(err)
	}
	vals := make([]string, 256)
	for i := range vals {
		vals[i] = fmt.Sprintf("The battery lasts all day and the screen is bright, would buy again #%d", i)
	}
	b.Run("fill_kept", func(b *testing.B) {
		d := stringInput{}.NewData(InputSpec{}, nil).(*stringData)
		d.vals = vals
		b.ReportAllocs()
		for b.Loop() {
			v, err := d.Tensor(0, len(vals))
			if err != nil {
				b.Fatal(err)
			}
			v.Destroy()
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(vals)), "ns/row")
	})
	b.Run("ort_SetContents", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			st, err := ort.NewStringTensor(ort.NewShape(int64(len(vals))))
			if err != nil {
				b.Fatal(err)
			}
			if err := st.SetContents(vals); err != nil {
				b.Fatal(err)
			}
			st.Destroy()
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(vals)), "ns/row")
	})
}

// A string input's held tensor is freed by a cleanup once its InputData is
// unreachable. A caller may drop in once it is passed to Predict (Predict reads it
// only before the model call), so Predict itself must keep it alive until ORT is done
// with the tensor: here a collection just before the call must not free it.
func TestPredictKeepsHeldInputAlive(t *testing.T) {
	_, s := sentiment(t)
	var collected, freedBeforeRun atomic.Bool
	testHookBeforeRun = func() {
		for range 30 {
			runtime.GC()
			time.Sleep(time.Millisecond)
			if collected.Load() {
				break
			}
		}
		freedBeforeRun.Store(collected.Load())
	}
	defer func() { testHookBeforeRun = nil }()
	out, err := predictDroppingInputs(t, s, &collected)
	if freedBeforeRun.Load() {
		t.Fatalf("the string input (and with it its held tensor) was collected before the model call (Predict then got: %v)", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	if got := out.(*ClassData).Class; len(got) != 2 {
		t.Fatalf("classes %v", got)
	}
}

// predictDroppingInputs runs Predict over inputs that nothing but the call refers to.
func predictDroppingInputs(t *testing.T, s *Session, collected *atomic.Bool) (OutputData, error) {
	in, out := loadTexts(t, s.task, "I love it, works great", "awful, broke in a day")
	runtime.AddCleanup(in[0].(*stringData), func(c *atomic.Bool) { c.Store(true) }, collected)
	return out, s.Predict(context.Background(), in, 0, 2, out)
}

// Without the direct fill (ortstrings.go), the fallback refuses a value with a NUL
// byte instead of letting onnxruntime_go's C strings cut it there; other values it
// fills whole.
func TestStringFallbackRefusesNUL(t *testing.T) {
	if _, err := InitRuntime(FlavorCPU); err != nil {
		t.Fatal(err)
	}
	stringAPI()
	ortAPI.Lock()
	saved := ortAPI.api
	ortAPI.api = nil
	ready := ortAPI.ready.Swap(nil)
	ortAPI.Unlock()
	defer func() {
		ortAPI.Lock()
		ortAPI.api = saved
		ortAPI.ready.Store(ready)
		ortAPI.Unlock()
	}()
	d := stringInput{}.NewData(InputSpec{}, nil).(*stringData)
	d.vals = []string{"fine", "good\x00awful awful awful"}
	if _, err := d.Tensor(0, 2); err == nil || !strings.Contains(err.Error(), "NUL byte at byte 4") {
		t.Fatalf("got %v, want a refusal naming the NUL byte", err)
	}
	v, err := d.Tensor(0, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Destroy()
	if got := tensorStrings(t, v); len(got) != 1 || got[0] != "fine" {
		t.Fatalf("fallback filled %q, want [fine]", got)
	}
}

// tensorStrings reads back a string tensor that stringData.Tensor returned.
func tensorStrings(t *testing.T, v ort.Value) []string {
	t.Helper()
	var got []string
	var err error
	switch x := v.(type) {
	case keptTensor:
		got, err = x.GetContents()
	case *ort.StringTensor:
		got, err = x.GetContents()
	default:
		t.Fatalf("Tensor returned %T", v)
	}
	if err != nil {
		t.Fatal(err)
	}
	return got
}
