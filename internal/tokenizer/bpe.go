package tokenizer

import (
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"
)

// bpe is the BPE model: a word starts as its characters, and the adjacent pair with
// the lowest merge rank (the leftmost among equals) is merged until no pair has one.
type bpe struct {
	vocab        map[string]int32
	merges       map[[2]int32]merge
	unk          int32      // -1: none
	unkMissing   string     // unk_token when the vocabulary lacks it: a word needing it fails
	bytes        [256]int32 // byte_fallback's <0xXX> tokens by byte, -1 where missing
	prefix       string
	suffix       string
	fuseUnk      bool
	byteFallback bool
	ignoreMerges bool
}

type merge struct{ rank, id int32 }

func parseBPE(raw json.RawMessage) (model, error) {
	var c struct {
		Dropout      *float64          `json:"dropout"`
		UnkToken     *string           `json:"unk_token"`
		Prefix       *string           `json:"continuing_subword_prefix"`
		Suffix       *string           `json:"end_of_word_suffix"`
		FuseUnk      bool              `json:"fuse_unk"`
		ByteFallback bool              `json:"byte_fallback"`
		IgnoreMerges bool              `json:"ignore_merges"`
		Vocab        map[string]int32  `json:"vocab"`
		Merges       []json.RawMessage `json:"merges"`
	}
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, err
	}
	if c.Dropout != nil && *c.Dropout > 0 {
		return nil, fmt.Errorf("%w: BPE dropout %g (random merges) is not supported for inference; set \"dropout\" to null", ErrUnsupported, *c.Dropout)
	}
	m := &bpe{vocab: c.Vocab, merges: make(map[[2]int32]merge, len(c.Merges)), unk: -1,
		fuseUnk: c.FuseUnk, byteFallback: c.ByteFallback, ignoreMerges: c.IgnoreMerges}
	if c.Prefix != nil {
		m.prefix = *c.Prefix
	}
	if c.Suffix != nil {
		m.suffix = *c.Suffix
	}
	if c.UnkToken != nil {
		if id, ok := c.Vocab[*c.UnkToken]; ok {
			m.unk = id
		} else {
			m.unkMissing = *c.UnkToken
		}
	}
	m.bytes = byteTokens(c.Vocab)
	for rank, r := range c.Merges {
		// Merges are "a b" strings (older files) or ["a", "b"] pairs.
		var a, b string
		var pair []string
		var s string
		if err := json.Unmarshal(r, &pair); err == nil && len(pair) == 2 {
			a, b = pair[0], pair[1]
		} else if err := json.Unmarshal(r, &s); err == nil {
			var ok bool
			if a, b, ok = strings.Cut(s, " "); !ok {
				return nil, fmt.Errorf("merge %d %q is not two tokens separated by a space", rank, s)
			}
		} else {
			return nil, fmt.Errorf("merge %d (%s) is neither \"a b\" nor [\"a\", \"b\"]", rank, r)
		}
		ia, oka := c.Vocab[a]
		ib, okb := c.Vocab[b]
		id, okm := c.Vocab[a+strings.TrimPrefix(b, m.prefix)]
		if !oka || !okb || !okm {
			return nil, fmt.Errorf("merge %d (%q, %q) uses a token that is not in the vocabulary", rank, a, b)
		}
		if _, dup := m.merges[[2]int32{ia, ib}]; !dup {
			m.merges[[2]int32{ia, ib}] = merge{rank: int32(rank), id: id}
		}
	}
	return m, nil
}

func (m *bpe) vocabulary() map[string]int32 { return copyVocab(m.vocab) }

func (m *bpe) tokenize(dst []int32, w string) ([]int32, error) {
	if m.ignoreMerges {
		if id, ok := m.vocab[w]; ok {
			return append(dst, id), nil
		}
	}
	var buf [64]int32
	syms := buf[:0]
	// An unknown character's unk is pending, as in the reference: it is emitted before
	// the next vocabulary piece or at the end of the word, so the byte-fallback tokens
	// of characters in between come first, and fuse_unk fuses across them.
	pending := false
	for i := 0; i < len(w); {
		_, size := utf8.DecodeRuneInString(w[i:])
		piece := w[i : i+size]
		if i > 0 && m.prefix != "" {
			piece = m.prefix + piece
		}
		if i+size == len(w) && m.suffix != "" {
			piece += m.suffix
		}
		id, ok := m.vocab[piece]
		switch {
		case ok:
			if pending {
				syms = append(syms, m.unk)
				pending = false
			}
			syms = append(syms, id)
		case m.byteFallback && m.hasBytes(w[i:i+size]):
			for _, b := range []byte(w[i : i+size]) {
				syms = append(syms, m.bytes[b])
			}
		case m.unk >= 0:
			if pending && !m.fuseUnk {
				syms = append(syms, m.unk)
			}
			pending = true
		case m.unkMissing != "":
			return dst, missingUnk("BPE", m.unkMissing)
		}
		i += size
	}
	if pending {
		syms = append(syms, m.unk)
	}
	for len(syms) > 1 {
		best, at := merge{rank: -1}, -1
		for j := 0; j+1 < len(syms); j++ {
			if mg, ok := m.merges[[2]int32{syms[j], syms[j+1]}]; ok && (at < 0 || mg.rank < best.rank) {
				best, at = mg, j
			}
		}
		if at < 0 {
			break
		}
		syms[at] = best.id
		syms = append(syms[:at+1], syms[at+2:]...)
	}
	return append(dst, syms...), nil
}

func (m *bpe) hasBytes(s string) bool {
	for i := 0; i < len(s); i++ {
		if m.bytes[s[i]] < 0 {
			return false
		}
	}
	return true
}
