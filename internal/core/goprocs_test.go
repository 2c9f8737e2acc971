package core

import (
	"runtime"
	"testing"
)

func TestGoProcsHeadroom(t *testing.T) {
	orig := runtime.GOMAXPROCS(0)
	t.Cleanup(func() { runtime.GOMAXPROCS(orig) })
	cases := []struct {
		name          string
		env           string
		set, duck     int
		wantWas, want int
	}{
		{"as many Ps as DuckDB threads: one more", "", 2, 2, 2, 3},
		{"fewer Ps than DuckDB threads: threads+1", "", 2, 8, 2, 9},
		{"already a spare P: unchanged", "", 5, 4, 5, 5},
		{"GOMAXPROCS in the environment: unchanged", "2", 2, 2, 2, 2},
		{"unknown thread count: unchanged", "", 2, 0, 2, 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv(GoProcsEnv, c.env)
			runtime.GOMAXPROCS(c.set)
			was, now := GoProcsHeadroom(c.duck)
			if was != c.wantWas || now != c.want || runtime.GOMAXPROCS(0) != c.want {
				t.Fatalf("GoProcsHeadroom(%d) from %d = (%d, %d), GOMAXPROCS now %d; want (%d, %d)",
					c.duck, c.set, was, now, runtime.GOMAXPROCS(0), c.wantWas, c.want)
			}
		})
	}
}
