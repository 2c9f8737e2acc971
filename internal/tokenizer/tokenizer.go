package tokenizer

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"unicode/utf8"
)

// ErrUnsupported is wrapped by every error about a tokenizer.json component this
// package does not implement.
var ErrUnsupported = errors.New("unsupported tokenizer component")

// Tokenizer is a loaded tokenizer.json. It is safe for concurrent use.
type Tokenizer struct {
	normalizer normalizer   // nil: none
	pre        preTokenizer // nil: the whole normalized text is one word
	model      model
	post       postProcessor // nil: no special tokens
	added      addedVocab
	addedList  []addedToken     // what added was built from, to rebuild it (config.go)
	vocab      map[string]int32 // the model's vocabulary plus the added tokens
	lead       bool             // the pre-tokenizer reads lead (Metaspace "first")

	scratch sync.Pool // *scratch
}

type scratch struct {
	words []string
	segs  []segment
	inner []segment
	ids   []int32
}

// Encoding is one text's tokens: IDs and TypeIDs have the same length; the attention
// mask of an unpadded encoding is all ones.
type Encoding struct {
	IDs     []int32
	TypeIDs []int32
}

// Parse reads a tokenizer.json.
func Parse(data []byte) (*Tokenizer, error) {
	if err := checkDepth(data); err != nil {
		return nil, err
	}
	var f struct {
		AddedTokens   []addedToken    `json:"added_tokens"`
		Normalizer    json.RawMessage `json:"normalizer"`
		PreTokenizer  json.RawMessage `json:"pre_tokenizer"`
		Model         json.RawMessage `json:"model"`
		PostProcessor json.RawMessage `json:"post_processor"`
	}
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("tokenizer.json: %w; is it a Hugging Face tokenizer file?", err)
	}
	t := &Tokenizer{}
	var err error
	if t.normalizer, err = parseNormalizer(f.Normalizer); err != nil {
		return nil, fmt.Errorf("tokenizer.json: normalizer: %w", err)
	}
	if t.pre, err = parsePreTokenizer(f.PreTokenizer); err != nil {
		return nil, fmt.Errorf("tokenizer.json: pre_tokenizer: %w", err)
	}
	t.lead = t.pre != nil && usesLead(t.pre)
	if len(f.Model) == 0 || string(f.Model) == "null" {
		return nil, fmt.Errorf("tokenizer.json: no \"model\"; the file must hold a WordPiece, BPE or Unigram model")
	}
	if t.model, err = parseModel(f.Model); err != nil {
		return nil, fmt.Errorf("tokenizer.json: model: %w", err)
	}
	t.vocab = t.model.vocabulary()
	for _, a := range f.AddedTokens {
		if _, ok := t.vocab[a.Content]; !ok {
			t.vocab[a.Content] = a.ID
		}
	}
	t.addedList = f.AddedTokens
	t.added = newAddedVocab(f.AddedTokens, t.normalizer)
	if t.post, err = parsePostProcessor(f.PostProcessor, t.vocab); err != nil {
		return nil, fmt.Errorf("tokenizer.json: post_processor: %w", err)
	}
	return t, nil
}

// maxDepth is serde_json's recursion limit, which the reference's reader of
// tokenizer.json keeps: arrays and objects nested this deep fail to load there.
const maxDepth = 128

// checkDepth refuses data nested maxDepth deep before it is parsed: each level of a
// Sequence normalizer or pre-tokenizer parses its part of the file again, so thousands
// of levels took seconds.
func checkDepth(data []byte) error {
	depth, inString := 0, false
	for i := 0; i < len(data); i++ {
		switch c := data[i]; {
		case inString && c == '\\':
			i++ // the escaped character, a quote included
		case inString:
			inString = c != '"'
		case c == '"':
			inString = true
		case c == '[' || c == '{':
			if depth++; depth >= maxDepth {
				return fmt.Errorf("tokenizer.json: arrays and objects nested %d levels deep at byte %d, where the reference reads at most %d (serde_json's limit); flatten the nested \"Sequence\" normalizers or pre-tokenizers into one list", depth, i, maxDepth-1)
			}
		case c == ']' || c == '}':
			depth--
		}
	}
	return nil
}

// TokenID is the id of a token (model vocabulary or added token).
func (t *Tokenizer) TokenID(tok string) (int32, bool) {
	id, ok := t.vocab[tok]
	return id, ok
}

// VocabSize is the largest id plus one.
func (t *Tokenizer) VocabSize() int {
	n := 0
	for _, id := range t.vocab {
		n = max(n, int(id)+1)
	}
	return n
}

// SpecialTokens is the number of tokens the post-processor adds to one text.
func (t *Tokenizer) SpecialTokens() int {
	if t.post == nil {
		return 0
	}
	return t.post.added()
}

// Side is the end a text too long for its max length loses tokens from:
// tokenizer_config.json's truncation_side.
type Side uint8

const (
	// TruncateRight keeps a text's first tokens (transformers' default).
	TruncateRight Side = iota
	// TruncateLeft keeps its last tokens.
	TruncateLeft
)

// Encode tokenizes text with special tokens, truncated to maxLen tokens in all
// (special tokens included, as Hugging Face's truncation counts them; 0: no limit)
// by dropping its last tokens, and appends the result to e. It fails, appending
// nothing, on a text the reference cannot encode either: one that needs an unk_token
// missing from the vocabulary.
func (t *Tokenizer) Encode(e *Encoding, text string, maxLen int) error {
	return t.EncodeTruncated(e, text, maxLen, TruncateRight)
}

// EncodeTruncated is Encode dropping a too long text's tokens from the given side.
func (t *Tokenizer) EncodeTruncated(e *Encoding, text string, maxLen int, side Side) error {
	s, _ := t.scratch.Get().(*scratch)
	if s == nil {
		s = &scratch{}
	}
	ids, err := t.tokens(s, text)
	if err != nil {
		s.ids = ids[:0]
		t.scratch.Put(s)
		return err
	}
	if maxLen > 0 {
		// Hugging Face truncates the sequence to what is left after the special tokens.
		keep := max(maxLen-t.SpecialTokens(), 0)
		if len(ids) > keep {
			if side == TruncateLeft {
				// Moved to the front: the scratch buffer keeps its start.
				ids = ids[:copy(ids, ids[len(ids)-keep:])]
			} else {
				ids = ids[:keep]
			}
		}
	}
	if t.post == nil {
		e.IDs = append(e.IDs, ids...)
		for range ids {
			e.TypeIDs = append(e.TypeIDs, 0)
		}
	} else {
		t.post.single(e, ids)
	}
	s.ids = ids[:0]
	t.scratch.Put(s)
	return nil
}

// tokens returns the model's ids for text, without special tokens; the slice is s.ids.
func (t *Tokenizer) tokens(s *scratch, text string) ([]int32, error) {
	ids := s.ids[:0]
	s.segs = t.added.split(s.segs[:0], text, false)
	for i, seg := range s.segs {
		if seg.id >= 0 {
			ids = append(ids, seg.id)
			continue
		}
		// lead: how much of the normalized text starts the input (see normalizeLead);
		// only the first segment can, and only Metaspace's "first" scheme asks.
		norm, lead := seg.text, 0
		if t.lead && i == 0 && norm != "" {
			_, lead = utf8.DecodeRuneInString(norm)
		}
		if t.normalizer != nil {
			if lead > 0 {
				norm, lead = t.normalizer.normalizeLead(norm, lead)
			} else {
				norm = t.normalizer.normalize(norm)
			}
		}
		// Tokens marked "normalized" are found in the normalized text.
		s.inner = t.added.split(s.inner[:0], norm, true)
		for _, in := range s.inner {
			if in.id >= 0 {
				ids = append(ids, in.id)
				continue
			}
			s.words = s.words[:0]
			if t.pre != nil {
				off, _ := offsetIn(norm, in.text) // 0 for a text that is not a part of norm
				s.words = t.pre.split(s.words, in.text, max(lead-off, 0))
			} else if in.text != "" {
				s.words = append(s.words, in.text)
			}
			for _, w := range s.words {
				if w != "" {
					var err error
					if ids, err = t.model.tokenize(ids, w); err != nil {
						s.ids = ids
						return ids, err
					}
				}
			}
		}
	}
	s.ids = ids
	return ids, nil
}

// names lists the keys of m, sorted, for "use one of" messages.
func names[V any](m map[string]V) string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return strings.Join(out, ", ")
}

// typeOf reads the "type" field of a component.
func typeOf(raw json.RawMessage) (string, error) {
	var c struct {
		Type string `json:"type"`
	}
	if err := json.Unmarshal(raw, &c); err != nil {
		return "", err
	}
	return c.Type, nil
}

func isNull(raw json.RawMessage) bool {
	s := strings.TrimSpace(string(raw))
	return s == "" || s == "null"
}

func unsupported(what, typ string, supported string) error {
	return fmt.Errorf("%w: %s %q is not supported (supported: %s); re-export the tokenizer with a supported %s or open an issue", ErrUnsupported, what, typ, supported, what)
}
