package tokenizer

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// Pins the quadratic BPE merge: a long run of letters (a base64 blob, a pasted hash)
// is one word, and rescanning every pair after each merge took over 10 s for 40,000
// letters, whatever max_length says (truncation comes after tokenization).
func TestBPELongWordIsNotQuadratic(t *testing.T) {
	// 160,000 letters: about 30 ms in n log n here, about 200 s in n² (16 times the
	// 12-16 s that 40,000 took). The limit is far from both, so a loaded machine does
	// not fail the test and a quadratic merge cannot pass it.
	const n, limit = 160_000, 20 * time.Second
	word := strings.Repeat("abcdefghij", n/10)
	for _, fam := range []string{"bpe", "llama3", "qwen2"} {
		t.Run(fam, func(t *testing.T) {
			tok := loadTokenizer(t, fam)
			done := make(chan error, 1)
			go func() {
				var e Encoding
				done <- tok.Encode(&e, word, 512)
			}()
			select {
			case err := <-done:
				if err != nil {
					t.Fatal(err)
				}
			case <-time.After(limit):
				// The encoding is left behind: a slow merge fails the test instead of
				// stalling it.
				t.Fatalf("encoding one %d-letter word (max_length 512) still runs after %v", n, limit)
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
