package capi

import "testing"

// A constant that fails to fold is reported in DuckDB's words, not as the JSON the C
// API serialises its error data to.
func TestDuckDBError(t *testing.T) {
	for _, c := range []struct{ raw, want string }{
		{`{"exception_type":"Conversion","exception_message":"Type DOUBLE with value 10000000000.0 can't be cast because the value is out of range for the destination type INT32","error_subtype":"x"}`,
			"Conversion Error: Type DOUBLE with value 10000000000.0 can't be cast because the value is out of range for the destination type INT32"},
		{`{"exception_type":"Invalid Input","exception_message":"bad"}`, "Invalid Input Error: bad"},
		{`{"exception_message":"bad"}`, "bad"},
		{"Conversion Error: not JSON", "Conversion Error: not JSON"},
		{`{"other":"x"}`, `{"other":"x"}`},
	} {
		if got := duckdbError(c.raw); got != c.want {
			t.Errorf("duckdbError(%s) = %q, want %q", c.raw, got, c.want)
		}
	}
}
