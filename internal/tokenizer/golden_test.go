package tokenizer

import (
	"bufio"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

var families = []string{"wordpiece", "bpe", "unigram", "llama3", "qwen2"}

// padTokens is each family's padding token, as golden.js pads with it.
var padTokens = map[string]string{"wordpiece": "[PAD]", "bpe": "<pad>", "unigram": "<pad>", "llama3": "<|end_of_text|>", "qwen2": "<|endoftext|>"}

func hfDir() string { return filepath.Join("..", "..", "testdata", "hf") }

func loadTokenizer(t testing.TB, family string) *Tokenizer {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(hfDir(), "tokenizers", family+".json"))
	if err != nil {
		t.Fatal(err)
	}
	tok, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// readJSONL reads a gzipped file of JSON values, one per line, into out (a pointer to
// a slice).
func readJSONL[T any](t testing.TB, name string) []T {
	t.Helper()
	f, err := os.Open(filepath.Join(hfDir(), "golden", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	z, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	var out []T
	sc := bufio.NewScanner(z)
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		var v T
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		out = append(out, v)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func corpus(t testing.TB) []string { return readJSONL[string](t, "corpus.jsonl.gz") }

func encode(tok *Tokenizer, text string, maxLen int) Encoding {
	var e Encoding
	tok.Encode(&e, text, maxLen)
	return e
}

// TestGoldenIDs compares every id of every corpus text (the UCI sentences, the hard
// cases, a long text), untruncated and truncated to 16, with Hugging Face's tokenizers
// (testdata/hf/golden.js): the type ids of a single text are all 0 there.
func TestGoldenIDs(t *testing.T) {
	texts := corpus(t)
	for _, fam := range families {
		t.Run(fam, func(t *testing.T) {
			tok := loadTokenizer(t, fam)
			want := readJSONL[struct{ IDs, T16 []int32 }](t, fam+".jsonl.gz")
			if len(want) != len(texts) {
				t.Fatalf("%d golden rows for %d texts", len(want), len(texts))
			}
			bad := 0
			for i, text := range texts {
				for _, c := range []struct {
					max  int
					want []int32
				}{{0, want[i].IDs}, {16, want[i].T16}} {
					got := encode(tok, text, c.max)
					if !slices.Equal(got.IDs, c.want) || len(got.TypeIDs) != len(got.IDs) || slices.ContainsFunc(got.TypeIDs, func(x int32) bool { return x != 0 }) {
						if bad++; bad <= 10 {
							t.Errorf("text %d %q max %d:\n got %v\nwant %v", i, text, c.max, got.IDs, c.want)
						}
					}
				}
			}
			t.Logf("%s: %d of %d texts exact (untruncated and at 16)", fam, len(texts)*2-bad, len(texts)*2)
		})
	}
}

// TestGoldenBatches compares padded batches: 8 texts at a time, truncated to 64 and
// padded to the batch's longest, ids, type ids and attention masks, with Pad.
func TestGoldenBatches(t *testing.T) {
	texts := corpus(t)
	for _, fam := range families {
		t.Run(fam, func(t *testing.T) {
			tok := loadTokenizer(t, fam)
			pad := padTokens[fam]
			padID, ok := tok.TokenID(pad)
			if !ok {
				t.Fatalf("no %s", pad)
			}
			batches := readJSONL[struct {
				IDs           [][]int32 `json:"ids"`
				TypeIDs       [][]int32 `json:"type_ids"`
				AttentionMask [][]int32 `json:"attention_mask"`
			}](t, fam+"-batches.jsonl.gz")
			bad := 0
			for b, want := range batches {
				var encs []Encoding
				for i := b * 8; i < min(b*8+8, len(texts)); i++ {
					encs = append(encs, encode(tok, texts[i], 64))
				}
				ids, types, mask, width := Pad(encs, int64(padID))
				for r := range encs {
					row := func(x []int64) []int32 {
						out := make([]int32, width)
						for j := range width {
							out[j] = int32(x[r*width+j])
						}
						return out
					}
					if !slices.Equal(row(ids), want.IDs[r]) || !slices.Equal(row(types), want.TypeIDs[r]) || !slices.Equal(row(mask), want.AttentionMask[r]) {
						if bad++; bad <= 5 {
							t.Errorf("batch %d row %d:\n got %v %v\nwant %v %v", b, r, row(ids), row(mask), want.IDs[r], want.AttentionMask[r])
						}
					}
				}
			}
			if bad > 0 {
				t.Errorf("%d rows differ", bad)
			}
			t.Logf("%s: %d of %d padded rows exact (ids, type ids, attention mask; max_length 64)", fam, len(texts)-bad, len(texts))
		})
	}
}

func ExampleTokenizer_Encode() {
	data, _ := os.ReadFile("../../testdata/hf/tokenizers/wordpiece.json")
	tok, _ := Parse(data)
	var e Encoding
	tok.Encode(&e, "Great phone!", 0)
	fmt.Println(len(e.IDs) > 2, e.IDs[0], e.IDs[len(e.IDs)-1])
	// Output: true 2 3
}

// One Tokenizer serves many goroutines (ml_predict's worker threads) with the same ids.
func TestEncodeConcurrent(t *testing.T) {
	texts := corpus(t)[:400]
	for _, fam := range families {
		tok := loadTokenizer(t, fam)
		want := make([][]int32, len(texts))
		for i, s := range texts {
			want[i] = encode(tok, s, 0).IDs
		}
		done := make(chan error, 4)
		for g := range 4 {
			go func() {
				for i := range texts {
					j := (i + g*97) % len(texts)
					if got := encode(tok, texts[j], 0).IDs; !slices.Equal(got, want[j]) {
						done <- fmt.Errorf("%s text %d: %v, want %v", fam, j, got, want[j])
						return
					}
				}
				done <- nil
			}()
		}
		for range 4 {
			if err := <-done; err != nil {
				t.Error(err)
			}
		}
	}
}
