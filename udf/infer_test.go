package udf

import (
	"math"
	"testing"
)

func TestAppendConfidence(t *testing.T) {
	cases := map[float32]string{
		0: "0.000000", 1: "1.000000", 0.75: "0.750000", 0.9990387: "0.999039", 0.5000004: "0.500000",
		0.9999996: "1.000000", 1.5: "1.000000", -0.1: "0.000000", float32(math.NaN()): "0.000000", 1e-7: "0.000000",
	}
	for p, want := range cases {
		got := string(appendConfidence(nil, p))
		if got != want || len(got) != ConfidenceWidth {
			t.Errorf("appendConfidence(%v) = %q, want %q", p, got, want)
		}
	}
}

func TestInputSQL(t *testing.T) {
	for in, want := range map[string]string{
		"events": "FROM events", `"my table"`: `FROM "my table"`, "main.events": "FROM main.events",
		"SELECT 1": "SELECT 1", "  from t": "  from t", "WITH x AS (SELECT 1) FROM x": "WITH x AS (SELECT 1) FROM x",
		"(SELECT 1)": "(SELECT 1)", "values (1)": "values (1)", "selection": "FROM selection",
	} {
		got, err := InputSQL(in)
		if err != nil || got != want {
			t.Errorf("InputSQL(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []any{nil, "", "   ", int32(4)} {
		if _, err := InputSQL(in); err == nil {
			t.Errorf("InputSQL(%#v): no error", in)
		}
	}
}

func FuzzInputSQL(f *testing.F) {
	for _, s := range []string{"events", "SELECT 1", "selection", " (FROM t)", "", "WITH", "withdrawals"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got, err := InputSQL(in)
		if err != nil {
			return
		}
		// Either the input is passed through as a query or read as a name; never altered otherwise.
		if got != in && got != "FROM "+in {
			t.Fatalf("InputSQL(%q) = %q", in, got)
		}
	})
}
