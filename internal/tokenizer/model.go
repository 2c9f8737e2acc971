package tokenizer

import (
	"encoding/json"
	"errors"
	"fmt"
)

// model turns one word into ids. It fails only on a word that needs an unk_token the
// vocabulary lacks, as the reference does.
type model interface {
	tokenize(dst []int32, word string) ([]int32, error)
	vocabulary() map[string]int32 // a fresh copy
}

var modelTypes = map[string]func(json.RawMessage) (model, error){
	"WordPiece": parseWordPiece,
	"BPE":       parseBPE,
	"Unigram":   parseUnigram,
}

func parseModel(raw json.RawMessage) (model, error) {
	typ, err := typeOf(raw)
	if err != nil {
		return nil, err
	}
	if typ == "" {
		// Older files leave the model's type out; the fields tell.
		var probe map[string]json.RawMessage
		if json.Unmarshal(raw, &probe) == nil {
			switch {
			case probe["merges"] != nil:
				typ = "BPE"
			case probe["continuing_subword_prefix"] != nil && probe["max_input_chars_per_word"] != nil:
				typ = "WordPiece"
			case probe["unk_id"] != nil:
				typ = "Unigram"
			}
		}
	}
	parse, ok := modelTypes[typ]
	if !ok {
		return nil, unsupported("model", typ, names(modelTypes))
	}
	return parse(raw)
}

func copyVocab(v map[string]int32) map[string]int32 {
	out := make(map[string]int32, len(v))
	for k, id := range v {
		out[k] = id
	}
	return out
}

// ErrMissingUnk is wrapped by Encode's error for a text that needs the model's
// unk_token when the vocabulary lacks it: the reference loads such a tokenizer.json
// and fails those texts only.
var ErrMissingUnk = errors.New("unk_token missing from the vocabulary")

func missingUnk(what, tok string) error {
	return fmt.Errorf("%w: the text has a word or character the %s vocabulary cannot cover, and its unk_token %q is not in the vocabulary; add %q to the model's vocab in tokenizer.json, or remove such characters from the text", ErrMissingUnk, what, tok, tok)
}

// byteTokens is byte_fallback's <0xXX> token of each byte in vocab, -1 where the
// vocabulary has none: looked up once at load, not per byte of every unknown piece.
func byteTokens(vocab map[string]int32) [256]int32 {
	var ids [256]int32
	for b := range ids {
		id, ok := vocab[fmt.Sprintf("<0x%02X>", b)]
		if !ok {
			id = -1
		}
		ids[b] = id
	}
	return ids
}
