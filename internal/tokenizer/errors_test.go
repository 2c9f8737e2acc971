package tokenizer

import (
	"errors"
	"strings"
	"testing"
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
