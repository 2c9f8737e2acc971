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
		// A pair listed twice takes its last rank, as the reference's merge map (a
		// HashMap collected in file order) keeps it.
		m.merges[[2]int32{ia, ib}] = merge{rank: int32(rank), id: id}
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
	if len(syms) >= smallWord {
		return m.mergeAll(dst, syms), nil
	}
	// A short word rescans its pairs after each merge: quadratic, but for the short
	// words of ordinary text faster than the queue, and it merges the same pairs.
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

// smallWord is the symbol count from which a word is merged by mergeAll.
const smallWord = 16

// symbol is one symbol of a word being merged: a node of a doubly linked list over
// the word's initial symbols. A merge keeps the left symbol and removes the right one.
type symbol struct {
	id         int32 // -1: merged into the symbol before it
	prev, next int32 // -1: none
}

// candidate is a pair that could be merged: the symbol at pos with its next one.
type candidate struct {
	rank, pos, id int32
}

// before orders the queue as the reference's Word::merge_all does: the lowest rank
// first, the leftmost position among equal ranks.
func (c candidate) before(o candidate) bool {
	return c.rank < o.rank || c.rank == o.rank && c.pos < o.pos
}

// mergeAll merges syms as tokenize's loop does, in n log n rather than n² (a long run of
// letters, a base64 blob, is one word): the candidate pairs wait in a min-heap, and an
// entry whose pair a later merge changed is skipped when it comes up, as in the
// reference's Word::merge_all. It appends the merged word's ids to dst.
func (m *bpe) mergeAll(dst []int32, syms []int32) []int32 {
	var symBuf [64]symbol
	var heapBuf [64]candidate
	word, queue := symBuf[:0], heapBuf[:0]
	if len(syms) > len(symBuf) {
		word, queue = make([]symbol, 0, len(syms)), make([]candidate, 0, len(syms))
	}
	for i, id := range syms {
		word = append(word, symbol{id: id, prev: int32(i) - 1, next: int32(i) + 1})
	}
	word[len(word)-1].next = -1
	push := func(c candidate) {
		queue = append(queue, c)
		for i := len(queue) - 1; i > 0; {
			up := (i - 1) / 2
			if !queue[i].before(queue[up]) {
				break
			}
			queue[i], queue[up] = queue[up], queue[i]
			i = up
		}
	}
	pop := func() candidate {
		top := queue[0]
		last := len(queue) - 1
		queue[0] = queue[last]
		queue = queue[:last]
		for i := 0; ; {
			least, l, r := i, 2*i+1, 2*i+2
			if l < last && queue[l].before(queue[least]) {
				least = l
			}
			if r < last && queue[r].before(queue[least]) {
				least = r
			}
			if least == i {
				break
			}
			queue[i], queue[least] = queue[least], queue[i]
			i = least
		}
		return top
	}
	for i := 0; i+1 < len(word); i++ {
		if mg, ok := m.merges[[2]int32{word[i].id, word[i+1].id}]; ok {
			push(candidate{rank: mg.rank, pos: int32(i), id: mg.id})
		}
	}
	for len(queue) > 0 {
		top := pop()
		cur := &word[top.pos]
		if cur.id < 0 || cur.next < 0 {
			continue // merged away, or now the last symbol
		}
		right := word[cur.next]
		// A stale entry: the pair at pos changed since it was queued. Like the
		// reference, compare the merge the pair now has by its result.
		if mg, ok := m.merges[[2]int32{cur.id, right.id}]; !ok || mg.id != top.id {
			continue
		}
		cur.id = top.id
		word[cur.next].id = -1
		cur.next = right.next
		if right.next >= 0 {
			word[right.next].prev = top.pos
		}
		if cur.prev >= 0 {
			if mg, ok := m.merges[[2]int32{word[cur.prev].id, cur.id}]; ok {
				push(candidate{rank: mg.rank, pos: cur.prev, id: mg.id})
			}
		}
		if cur.next >= 0 {
			if mg, ok := m.merges[[2]int32{cur.id, word[cur.next].id}]; ok {
				push(candidate{rank: mg.rank, pos: top.pos, id: mg.id})
			}
		}
	}
	for i := int32(0); i >= 0; i = word[i].next {
		dst = append(dst, word[i].id)
	}
	return dst
}

func (m *bpe) hasBytes(s string) bool {
	for i := 0; i < len(s); i++ {
		if m.bytes[s[i]] < 0 {
			return false
		}
	}
	return true
}
