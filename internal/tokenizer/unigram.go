package tokenizer

import (
	"encoding/json"
	"fmt"
	"math"
	"unicode/utf8"
)

// unigram is the Unigram model (SentencePiece's): the split of the word into vocabulary
// pieces with the highest total score (Viterbi), a character no piece covers being an
// unknown piece scored 10 below the lowest score; adjacent unknowns fuse into one.
// The forward pass follows Hugging Face's encode_optimized step for step, so ties go
// the same way.
type unigram struct {
	vocab        map[string]int32
	scores       []float64 // by id
	unk          int32
	unkScore     float64
	maxLen       int // bytes of the longest piece
	byteFallback bool
	bytes        [256]int32 // byte_fallback's <0xXX> tokens by byte, -1 where missing
}

func parseUnigram(raw json.RawMessage) (model, error) {
	// Pieces are strings and scores numbers: each pair is decoded on its own.
	var loose struct {
		UnkID        *int                `json:"unk_id"`
		Vocab        [][]json.RawMessage `json:"vocab"`
		ByteFallback bool                `json:"byte_fallback"`
	}
	if err := json.Unmarshal(raw, &loose); err != nil {
		return nil, err
	}
	m := &unigram{vocab: make(map[string]int32, len(loose.Vocab)), scores: make([]float64, len(loose.Vocab)), byteFallback: loose.ByteFallback}
	minScore := math.Inf(1)
	for i, pair := range loose.Vocab {
		var piece string
		var score float64
		if len(pair) != 2 || json.Unmarshal(pair[0], &piece) != nil || json.Unmarshal(pair[1], &score) != nil {
			return nil, fmt.Errorf("Unigram vocab[%d] is not a [piece, score] pair", i)
		}
		m.vocab[piece] = int32(i) // a piece listed twice: the last wins, as in the reference
		m.scores[i] = score
		minScore = min(minScore, score)
		m.maxLen = max(m.maxLen, len(piece))
	}
	if loose.UnkID == nil {
		return nil, fmt.Errorf("%w: a Unigram model without unk_id", ErrUnsupported)
	}
	if *loose.UnkID < 0 || *loose.UnkID >= len(loose.Vocab) {
		return nil, fmt.Errorf("Unigram unk_id %d is outside the vocabulary (%d pieces)", *loose.UnkID, len(loose.Vocab))
	}
	m.unk = int32(*loose.UnkID)
	m.unkScore = minScore - 10
	m.bytes = byteTokens(m.vocab)
	return m, nil
}

func (m *unigram) vocabulary() map[string]int32 { return copyVocab(m.vocab) }

type bestPath struct {
	id    int32
	score float64
	start int // -1: not reached
}

func (m *unigram) tokenize(dst []int32, w string) ([]int32, error) {
	n := len(w)
	best := make([]bestPath, n+1)
	for i := range best {
		best[i].start = -1
	}
	for at := 0; at < n; {
		base := best[at].score
		_, mblen := utf8.DecodeRuneInString(w[at:])
		single := false
		// Every piece starting here, shortest first (the order of a trie's prefix search).
		for end := at + 1; end <= n && end-at <= m.maxLen; end++ {
			id, ok := m.vocab[w[at:end]]
			if !ok {
				continue
			}
			cand := m.scores[id] + base
			if t := &best[end]; t.start < 0 || cand > t.score {
				t.score, t.start, t.id = cand, at, id
			}
			if end-at == mblen {
				single = true
			}
		}
		if !single {
			cand := m.unkScore + base
			if t := &best[at+mblen]; t.start < 0 || cand > t.score {
				t.score, t.start, t.id = cand, at, m.unk
			}
		}
		at += mblen
	}
	// Walk back from the end; the pieces come out last first.
	mark := len(dst)
	for end := n; end > 0; {
		b := best[end]
		start := b.start
		if b.id == m.unk {
			// Fuse a run of unknowns into one piece.
			for start > 0 && best[start].id == m.unk {
				start = best[start].start
			}
			dst = m.appendUnknown(dst, w[start:end])
		} else {
			dst = append(dst, b.id)
		}
		end = start
	}
	for i, j := mark, len(dst)-1; i < j; i, j = i+1, j-1 {
		dst[i], dst[j] = dst[j], dst[i]
	}
	return dst, nil
}

// appendUnknown appends the id of an unknown piece: its bytes as <0xXX> tokens under
// byte_fallback (reversed, as the caller reverses the whole word), else unk.
func (m *unigram) appendUnknown(dst []int32, piece string) []int32 {
	if id, ok := m.vocab[piece]; ok {
		return append(dst, id)
	}
	if m.byteFallback {
		for i := range len(piece) {
			if m.bytes[piece[i]] < 0 {
				return append(dst, m.unk)
			}
		}
		// dst is built back to front (see tokenize): the bytes go in reverse.
		for i := len(piece) - 1; i >= 0; i-- {
			dst = append(dst, m.bytes[piece[i]])
		}
		return dst
	}
	return append(dst, m.unk)
}
