package tokenizer

import (
	"encoding/json"
	"strings"
	"unicode/utf8"
)

// wordPiece is BERT's model: the longest vocabulary piece at the start of the word,
// then the longest continuation piece ("##" + piece) from there on, and so on; a word
// with a part no piece matches, or longer than max_input_chars_per_word, is [UNK].
type wordPiece struct {
	vocab    map[string]int32
	cont     map[string]int32 // continuation pieces, keyed without their prefix
	unk      int32            // -1: unk_token is not in the vocabulary
	unkName  string           // unk_token, for the error of a word that needs it when missing
	maxChars int
}

func parseWordPiece(raw json.RawMessage) (model, error) {
	c := struct {
		UnkToken string           `json:"unk_token"`
		Prefix   *string          `json:"continuing_subword_prefix"`
		MaxChars int              `json:"max_input_chars_per_word"`
		Vocab    map[string]int32 `json:"vocab"`
	}{UnkToken: "[UNK]", MaxChars: 100}
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, err
	}
	prefix := "##"
	if c.Prefix != nil {
		prefix = *c.Prefix
	}
	m := &wordPiece{vocab: c.Vocab, cont: map[string]int32{}, maxChars: c.MaxChars, unk: -1, unkName: c.UnkToken}
	for k, id := range c.Vocab {
		if rest, ok := strings.CutPrefix(k, prefix); ok {
			m.cont[rest] = id
		}
	}
	// The reference loads a file whose unk_token is missing and fails only the texts
	// that need it.
	if unk, ok := c.Vocab[c.UnkToken]; ok {
		m.unk = unk
	}
	return m, nil
}

func (m *wordPiece) vocabulary() map[string]int32 { return copyVocab(m.vocab) }

func (m *wordPiece) tokenize(dst []int32, w string) ([]int32, error) {
	if len(w) > m.maxChars && utf8.RuneCountInString(w) > m.maxChars {
		return m.appendUnk(dst)
	}
	mark := len(dst)
	for start := 0; start < len(w); {
		table := m.vocab
		if start > 0 {
			table = m.cont
		}
		end := len(w)
		for end > start {
			if id, ok := table[w[start:end]]; ok {
				dst = append(dst, id)
				break
			}
			_, size := utf8.DecodeLastRuneInString(w[start:end])
			end -= size
		}
		if end == start {
			return m.appendUnk(dst[:mark])
		}
		start = end
	}
	return dst, nil
}

func (m *wordPiece) appendUnk(dst []int32) ([]int32, error) {
	if m.unk < 0 {
		return dst, missingUnk("WordPiece", m.unkName)
	}
	return append(dst, m.unk), nil
}
