package tokenizer

import (
	"encoding/json"
	"fmt"
)

// postProcessor adds the special tokens around one text's ids ([CLS] ... [SEP],
// <s> ... </s>) and sets their type ids.
type postProcessor interface {
	single(e *Encoding, ids []int32)
	added() int
}

var postProcessorTypes = map[string]func(json.RawMessage, map[string]int32) (postProcessor, error){
	"TemplateProcessing": parseTemplate,
	"BertProcessing":     parseClsSep,
	"RobertaProcessing":  parseClsSep,
	"ByteLevel":          func(json.RawMessage, map[string]int32) (postProcessor, error) { return nil, nil },
}

func parsePostProcessor(raw json.RawMessage, vocab map[string]int32) (postProcessor, error) {
	if isNull(raw) {
		return nil, nil
	}
	typ, err := typeOf(raw)
	if err != nil {
		return nil, err
	}
	parse, ok := postProcessorTypes[typ]
	if !ok {
		return nil, unsupported("post_processor", typ, names(postProcessorTypes))
	}
	return parse(raw, vocab)
}

// template is a single-text template: each part is a run of special ids or the text.
type template struct {
	parts []templatePart
	n     int // special ids in all
}

type templatePart struct {
	ids    []int32 // nil: the text itself
	typeID int32
}

func (t *template) added() int { return t.n }

func (t *template) single(e *Encoding, ids []int32) {
	for _, p := range t.parts {
		src := p.ids
		if src == nil {
			src = ids
		}
		e.IDs = append(e.IDs, src...)
		for range src {
			e.TypeIDs = append(e.TypeIDs, p.typeID)
		}
	}
}

// SetSpecialTokens replaces the post-processor with one that puts prefix before a
// text's ids and suffix after them, every id of type 0: what transformers' Llama-style
// fast tokenizers build from tokenizer_config.json's add_bos_token and add_eos_token
// in place of tokenizer.json's. Call it before the tokenizer is shared.
func (t *Tokenizer) SetSpecialTokens(prefix, suffix []int32) {
	tp := &template{n: len(prefix) + len(suffix)}
	if len(prefix) > 0 {
		tp.parts = append(tp.parts, templatePart{ids: prefix})
	}
	tp.parts = append(tp.parts, templatePart{})
	if len(suffix) > 0 {
		tp.parts = append(tp.parts, templatePart{ids: suffix})
	}
	t.post = tp
}

func parseTemplate(raw json.RawMessage, _ map[string]int32) (postProcessor, error) {
	var c struct {
		Single []struct {
			SpecialToken *struct {
				ID     string `json:"id"`
				TypeID int32  `json:"type_id"`
			} `json:"SpecialToken"`
			Sequence *struct {
				ID     string `json:"id"`
				TypeID int32  `json:"type_id"`
			} `json:"Sequence"`
		} `json:"single"`
		SpecialTokens map[string]struct {
			IDs []int32 `json:"ids"`
		} `json:"special_tokens"`
	}
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, err
	}
	t := &template{}
	seq := false
	for _, p := range c.Single {
		switch {
		case p.SpecialToken != nil:
			st, ok := c.SpecialTokens[p.SpecialToken.ID]
			if !ok {
				return nil, fmt.Errorf("TemplateProcessing uses special token %q, which its special_tokens do not list", p.SpecialToken.ID)
			}
			t.parts = append(t.parts, templatePart{ids: append([]int32{}, st.IDs...), typeID: p.SpecialToken.TypeID})
			t.n += len(st.IDs)
		case p.Sequence != nil:
			t.parts = append(t.parts, templatePart{typeID: p.Sequence.TypeID})
			seq = true
		}
	}
	if !seq {
		return nil, fmt.Errorf("TemplateProcessing's single template has no $A (the text)")
	}
	return t, nil
}

// parseClsSep reads BertProcessing and RobertaProcessing: cls + text + sep.
func parseClsSep(raw json.RawMessage, _ map[string]int32) (postProcessor, error) {
	var c struct {
		Sep [2]json.RawMessage `json:"sep"`
		Cls [2]json.RawMessage `json:"cls"`
	}
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, err
	}
	var sep, cls int32
	if err := json.Unmarshal(c.Sep[1], &sep); err != nil {
		return nil, fmt.Errorf("sep: %w", err)
	}
	if err := json.Unmarshal(c.Cls[1], &cls); err != nil {
		return nil, fmt.Errorf("cls: %w", err)
	}
	return &template{parts: []templatePart{{ids: []int32{cls}}, {}, {ids: []int32{sep}}}, n: 2}, nil
}

// postSequence runs processors in turn; only one of them may add tokens (as in the
// files Hugging Face writes: ByteLevel for offsets, then a template).
func parsePostSequence(raw json.RawMessage, vocab map[string]int32) (postProcessor, error) {
	var c struct {
		Processors []json.RawMessage `json:"processors"`
	}
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, err
	}
	var out postProcessor
	for _, r := range c.Processors {
		p, err := parsePostProcessor(r, vocab)
		if err != nil {
			return nil, err
		}
		if p == nil {
			continue
		}
		if out != nil {
			return nil, fmt.Errorf("%w: a Sequence post_processor with two processors that add tokens", ErrUnsupported)
		}
		out = p
	}
	return out, nil
}

// Sequence refers back to the table, so it joins it at init.
func init() { postProcessorTypes["Sequence"] = parsePostSequence }
