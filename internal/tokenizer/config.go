package tokenizer

// Settings transformers' fast tokenizer classes apply over tokenizer.json at load,
// from tokenizer_config.json (internal/models decides which class applies).

// BertNormalizer reports the settings of a top-level BertNormalizer: lowercase,
// strip_accents (nil: null, following lowercase) and handle_chinese_chars; ok is
// false for any other normalizer.
func (t *Tokenizer) BertNormalizer() (lower bool, strip *bool, chinese, ok bool) {
	n, ok := t.normalizer.(bertNormalizer)
	if !ok {
		return false, nil, false, false
	}
	if !n.stripUnset {
		strip = &n.strip
	}
	return n.lower, strip, n.chinese, true
}

// SetBertNormalizer rebuilds a top-level BertNormalizer with these settings, keeping
// its clean_text, as BertTokenizerFast does from do_lower_case, strip_accents and
// tokenize_chinese_chars. It does nothing to another normalizer. Call it before the
// tokenizer is shared.
func (t *Tokenizer) SetBertNormalizer(lower bool, strip *bool, chinese bool) {
	n, ok := t.normalizer.(bertNormalizer)
	if !ok {
		return
	}
	n.lower, n.chinese, n.stripUnset, n.strip = lower, chinese, strip == nil, lower
	if strip != nil {
		n.strip = *strip
	}
	t.normalizer = n
	// Normalized added tokens are matched by their normalized content.
	t.added = newAddedVocab(t.addedList, t.normalizer)
}

// ByteLevelPrefixSpace reports a top-level ByteLevel pre-tokenizer's
// add_prefix_space; ok is false for any other pre-tokenizer.
func (t *Tokenizer) ByteLevelPrefixSpace() (v, ok bool) {
	b, ok := t.pre.(byteLevel)
	return b.addPrefixSpace, ok
}

// SetByteLevelPrefixSpace sets a top-level ByteLevel pre-tokenizer's
// add_prefix_space, as transformers' fast tokenizers do from add_prefix_space. It
// does nothing to another pre-tokenizer. Call it before the tokenizer is shared.
func (t *Tokenizer) SetByteLevelPrefixSpace(v bool) {
	if b, ok := t.pre.(byteLevel); ok {
		b.addPrefixSpace = v
		t.pre = b
	}
}

// AddedToken is a token to add on top of the vocabulary, with tokenizer.json's flags.
type AddedToken struct {
	Content                                         string
	SingleWord, LStrip, RStrip, Normalized, Special bool
}

// AddTokens adds tokens as the reference's add_tokens does (what transformers calls
// for tokenizer_config.json's added_tokens_decoder and special tokens): a token
// already added with the same flags is skipped; one whose content is known keeps its
// id and takes the new flags; a new one gets the next id after the vocabulary and the
// added tokens. It returns the ids, -1 for a skipped empty token, and whether any
// token was added or changed. Call it before the tokenizer is shared.
func (t *Tokenizer) AddTokens(tokens []AddedToken) (ids []int32, changed bool) {
	ids = make([]int32, len(tokens))
	modelSize := int32(len(t.model.vocabulary()))
	for i, a := range tokens {
		ids[i] = -1
		if a.Content == "" {
			continue
		}
		tok := addedToken{Content: a.Content, SingleWord: a.SingleWord, LStrip: a.LStrip, RStrip: a.RStrip, Normalized: a.Normalized, Special: a.Special}
		same := -1 // index in addedList of the token with this content
		for j, o := range t.addedList {
			if o.Content == a.Content {
				same = j
			}
		}
		if same >= 0 {
			tok.ID = t.addedList[same].ID
			ids[i] = tok.ID
			if o := t.addedList[same]; o == tok {
				continue
			}
			t.addedList[same] = tok
			changed = true
			continue
		}
		id, ok := t.vocab[a.Content]
		if !ok {
			// The reference's rule: after the model's vocabulary, or after the last
			// added token when that lies beyond it.
			id = modelSize
			maxID := int32(-1)
			for _, o := range t.addedList {
				maxID = max(maxID, o.ID)
			}
			if maxID >= 0 && (maxID >= modelSize || modelSize == 0) {
				id = maxID + 1
			}
			t.vocab[a.Content] = id
		}
		tok.ID = id
		ids[i] = id
		t.addedList = append(t.addedList, tok)
		changed = true
	}
	if changed {
		t.added = newAddedVocab(t.addedList, t.normalizer)
	}
	return ids, changed
}

// IsAdded reports whether content is one of the added tokens.
func (t *Tokenizer) IsAdded(content string) bool {
	for _, a := range t.addedList {
		if a.Content == content {
			return true
		}
	}
	return false
}
