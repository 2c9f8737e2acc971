package tokenizer

import (
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
)

// Pins the quadratic BPE merge: a long run of letters (a base64 blob, a pasted hash)
// is one word, and rescanning every pair after each merge took over 10 s for 40,000
// letters, whatever max_length says (truncation comes after tokenization).
func TestBPELongWordIsNotQuadratic(t *testing.T) {
	for _, fam := range []string{"bpe", "llama3", "qwen2"} {
		t.Run(fam, func(t *testing.T) {
			tok := loadTokenizer(t, fam)
			// encode is the best of four encodings of an n-letter word after one to
			// warm up, each given limit: one still running then is left behind, so a
			// slow merge fails the test instead of stalling it.
			encode := func(n int, limit time.Duration) time.Duration {
				word := strings.Repeat("abcdefghij", n/10)
				best := limit
				for i := range 5 {
					runtime.GC() // not a collection of the last run's garbage in this one
					done := make(chan error, 1)
					start := time.Now()
					go func() {
						var e Encoding
						done <- tok.Encode(&e, word, 512)
					}()
					select {
					case err := <-done:
						if err != nil {
							t.Fatal(err)
						}
						if i > 0 {
							best = min(best, time.Since(start))
						}
					case <-time.After(limit):
						t.Fatalf("encoding one %d-letter word (max_length 512) still runs after %v", n, limit)
					}
				}
				return best
			}
			short := encode(40_000, 2*time.Second)
			// n log n: four times the letters take a little over four times as long;
			// n² would take sixteen.
			if long := encode(160_000, 16*time.Second); long >= max(8*short, 20*time.Millisecond) {
				t.Errorf("160,000 letters took %v, 40,000 took %v: over 8 times as long for 4 times the letters", long, short)
			}
		})
	}
}

// Pins: a merge listed twice kept its first rank; the reference keeps its last.
// With merges "a b", "b c", "a b", tokenizers 0.23.2 encodes "abc" as [a, bc] (0, 4):
// the pair (a, b) ranks after (b, c).
func TestBPEDuplicateMergeTakesLastRank(t *testing.T) {
	tok, err := Parse([]byte(`{"version":"1.0","added_tokens":[],"normalizer":null,"pre_tokenizer":null,"post_processor":null,
		"model":{"type":"BPE","dropout":null,"unk_token":null,"fuse_unk":false,"byte_fallback":false,
		"vocab":{"a":0,"b":1,"c":2,"ab":3,"bc":4},"merges":["a b","b c","a b"]}}`))
	if err != nil {
		t.Fatal(err)
	}
	var e Encoding
	if err := tok.Encode(&e, "abc", 0); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(e.IDs, []int32{0, 4}) {
		t.Fatalf("ids %v, the reference [0 4]", e.IDs)
	}
}
