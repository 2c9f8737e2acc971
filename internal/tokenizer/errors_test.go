package tokenizer

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// A component this package does not implement is an error naming it and listing the
// supported ones, never a silent approximation.
func TestUnsupportedComponents(t *testing.T) {
	base := `{"model": {"type": "WordPiece", "unk_token": "[UNK]", "vocab": {"[UNK]": 0, "a": 1}}`
	for _, c := range []struct{ name, json, want string }{
		{"normalizer", base + `, "normalizer": {"type": "Precompiled", "precompiled_charsmap": "AA=="}}`, `normalizer "Precompiled" is not supported (supported: BertNormalizer, Lowercase, NFC`},
		{"nested", base + `, "normalizer": {"type": "Sequence", "normalizers": [{"type": "NFKC"}, {"type": "Nmt"}]}}`, `normalizer "Nmt"`},
		{"pre_tokenizer", base + `, "pre_tokenizer": {"type": "UnicodeScripts"}}`, `pre_tokenizer "UnicodeScripts" is not supported (supported: BertPreTokenizer, ByteLevel, Digits, Metaspace, Punctuation, Sequence, Split`},
		{"model", `{"model": {"type": "WordLevel", "vocab": {}, "unk_token": "x"}}`, `model "WordLevel" is not supported (supported: BPE, Unigram, WordPiece)`},
		{"post_processor", base + `, "post_processor": {"type": "Fancy"}}`, `post_processor "Fancy" is not supported`},
		{"dropout", `{"model": {"type": "BPE", "dropout": 0.1, "vocab": {}, "merges": []}}`, `dropout 0.1`},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse([]byte(c.json))
			if err == nil || !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want ErrUnsupported containing %q", err, c.want)
			}
		})
	}
}

// strip_accents null with lowercase strips accents (as bert-base-uncased relies on);
// false keeps them.
func TestBertNormalizerStripAccentsNull(t *testing.T) {
	for _, c := range []struct{ strip, want string }{{"null", "cafe"}, {"false", "café"}, {"true", "cafe"}} {
		n, err := parseBertNormalizer([]byte(`{"type": "BertNormalizer", "lowercase": true, "strip_accents": ` + c.strip + `}`))
		if err != nil {
			t.Fatal(err)
		}
		if got := n.normalize("CAFÉ"); got != c.want {
			t.Errorf("strip_accents %s: %q, want %q", c.strip, got, c.want)
		}
	}
}

// Pins unbounded nesting: each level of a Sequence parsed its part of the file again,
// so thousands of levels took seconds to load. Like the reference (serde_json's
// limit), 127 levels load and 128 fail, at once.
func TestNestingDepthLimit(t *testing.T) {
	base := `{"model": {"type": "WordPiece", "unk_token": "[UNK]", "vocab": {"[UNK]": 0, "a": 1}}`
	// arrays is base with an ignored field nested to depth levels in all.
	arrays := func(depth int) string {
		return base + `, "x": ` + strings.Repeat("[", depth-1) + `"[{\""` + strings.Repeat("]", depth-1) + "}"
	}
	if _, err := Parse([]byte(arrays(127))); err != nil {
		t.Errorf("127 levels: %v", err)
	}
	sequences := base + `, "normalizer": ` + strings.Repeat(`{"type": "Sequence", "normalizers": [`, 2000) + `{"type": "NFC"}` + strings.Repeat("]}", 2000) + "}"
	for name, json := range map[string]string{"128 levels": arrays(128), "2000 nested Sequences": sequences} {
		done := make(chan error, 1)
		go func() {
			_, err := Parse([]byte(json))
			done <- err
		}()
		select {
		case err := <-done:
			if err == nil || !strings.Contains(err.Error(), "the reference reads at most 127") {
				t.Errorf("%s: got %v, want the nesting refused", name, err)
			}
		case <-time.After(time.Second):
			t.Errorf("%s: still parsing after 1s", name)
		}
	}
}
