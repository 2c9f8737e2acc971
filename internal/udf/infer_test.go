package udf

import (
	"testing"
)

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
