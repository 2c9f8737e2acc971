package models

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"unicode"

	ort "github.com/yalue/onnxruntime_go"

	"github.com/duckinfer/duckinfer/internal/tokenizer"
)

// textInput tokenizes one VARCHAR column with the task's tokenizer.json: each row
// becomes token ids (special tokens added, truncated to max_length), and a batch
// becomes the int64 tensors [rows, longest] the model declares — input_ids,
// attention_mask, token_type_ids, position_ids — padded on the right.
type textInput struct{}

// textFeeds are the model inputs a text input can fill, besides its own input_ids.
var textFeeds = map[string]bool{"input_ids": true, "attention_mask": true, "token_type_ids": true, "position_ids": true}

func (textInput) Validate(spec InputSpec) error {
	if len(spec.Columns) != 1 {
		return fmt.Errorf(`type "text" takes exactly one column, got %d`, len(spec.Columns))
	}
	if !textFeeds[spec.Name] {
		return fmt.Errorf(`a "text" input is named after the model's token ids input, "input_ids", not %q`, spec.Name)
	}
	return nil
}

func (textInput) CheckModel(spec InputSpec, info ort.InputOutputInfo) error {
	if info.DataType != ort.TensorElementDataTypeInt64 {
		return fmt.Errorf("model input %q holds %s, but a text input feeds int64 token ids; re-export the model with int64 inputs", spec.Name, elemName(info.DataType))
	}
	return nil
}

// NewData is only reached without a task (Task.NewInputs gives text inputs their
// tokenizer); such data cannot tokenize.
func (textInput) NewData(InputSpec, []int64) InputData { return &TextData{} }

// TextData is a chunk's tokenized text rows.
type TextData struct {
	tok    *tokenizer.Tokenizer
	maxLen int
	side   tokenizer.Side // the end a text longer than maxLen loses
	padID  int64
	// posStart is the first token's position id: 0 for most models, padding_idx + 1
	// for those whose positions count from the padding id (positionOffset).
	posStart int64
	st       stPrep   // what SentenceTransformer.encode does to each text first
	feeds    []string // model inputs, input_ids first
	chunk    bool     // PaddingChunk: every batch padded to the chunk's longest
	// noPad: padding would change a row's result — the model takes no attention_mask,
	// so it cannot tell padding from text, or the task says PaddingNone (a decoder
	// classifier that pools the last position): each batch holds rows of one token
	// count only, and is never padded.
	noPad bool

	vals  []string // borrowed from the binding, for previews
	enc   tokenizer.Encoding
	start []int32 // per row: its tokens are enc[start : start+n]
	n     []int32
}

func (t *Task) newTextData(feeds []string) *TextData {
	side := tokenizer.TruncateRight
	if t.Config.Truncation == TruncationLeft {
		side = tokenizer.TruncateLeft
	}
	return &TextData{tok: t.tok, maxLen: t.Config.MaxLength, side: side, padID: t.padID, posStart: int64(t.posStart), st: t.st, feeds: feeds, chunk: t.Config.Padding == PaddingChunk,
		noPad: !slices.Contains(feeds, "attention_mask") || t.Config.Padding == PaddingNone}
}

// SetMaxLength overrides the task's max_length for this data (ml_predict's max_length).
func (d *TextData) SetMaxLength(n int) { d.maxLen = n }

func (d *TextData) Load(cols []Column, n int, valid []bool, bad func(int, error)) error {
	if d.tok == nil {
		return fmt.Errorf("%w: this text input has no tokenizer", ErrInput)
	}
	d.vals = grow(d.vals, n)
	if err := cols[0].Strings(d.vals, valid); err != nil {
		return err
	}
	d.enc.IDs, d.enc.TypeIDs = d.enc.IDs[:0], d.enc.TypeIDs[:0]
	d.start, d.n = grow(d.start, n), grow(d.n, n)
	for r := range n {
		at := len(d.enc.IDs)
		// A text the tokenizer cannot encode (as the reference cannot: its unk_token
		// is missing) fails its row only. The errors name no row: r may index a chunk's
		// distinct values, and the core names the chunk row.
		if valid[r] {
			text := d.vals[r]
			if d.st.on {
				text = d.st.apply(text)
			}
			if err := d.tok.EncodeTruncated(&d.enc, text, d.maxLen, d.side); err != nil {
				valid[r] = false
				bad(r, &ValueError{Input: previewText(d.vals[r]), Err: fmt.Errorf("%w: the text cannot be tokenized: %w", ErrInput, err), RowFree: true, Remedy: textRemedy})
			} else if len(d.enc.IDs) == at {
				// An empty text under a tokenizer that adds no special tokens (Llama-3,
				// Qwen2): the model would read one padding position and answer anyway.
				valid[r] = false
				bad(r, &ValueError{Input: previewText(d.vals[r]), Err: fmt.Errorf("%w: the text gives no tokens (this tokenizer adds none of its own), so the model has nothing to read; leave such texts out (WHERE text <> '')", ErrInput), RowFree: true, Remedy: textRemedy})
			}
		}
		d.start[r], d.n[r] = int32(at), int32(len(d.enc.IDs)-at)
	}
	return nil
}

// textRemedy is what to do about a text that fails its row.
const textRemedy = "filter such rows out"

func (d *TextData) Compact(rows []int) {
	for b, r := range rows {
		d.vals[b], d.start[b], d.n[b] = d.vals[r], d.start[r], d.n[r]
	}
	d.vals, d.start, d.n = d.vals[:len(rows)], d.start[:len(rows)], d.n[:len(rows)]
}

// SortByLength orders the rows by token count (stable) unless the task pads to the
// chunk's longest (and may pad its rows at all), and returns the permutation:
// new row b was row perm[b]. The core reorders its row map by it, so results still
// reach their rows.
func (d *TextData) SortByLength() []int {
	if d.chunk && !d.noPad {
		return nil
	}
	perm := make([]int, len(d.n))
	for i := range perm {
		perm[i] = i
	}
	sort.SliceStable(perm, func(i, j int) bool { return d.n[perm[i]] < d.n[perm[j]] })
	vals, start, n := make([]string, len(perm)), make([]int32, len(perm)), make([]int32, len(perm))
	for b, r := range perm {
		vals[b], start[b], n[b] = d.vals[r], d.start[r], d.n[r]
	}
	copy(d.vals, vals)
	copy(d.start, start)
	copy(d.n, n)
	return perm
}

// BatchEnd is where the batch starting at row lo ends: after at most rows rows, and,
// when rows are sorted by length, before the first row more than twice as long as the
// batch's first (counted from 8 tokens), so no batch pads its short rows to a far
// longer one's length. A chunk's longest rows thus go to smaller batches of their own.
// For a model without an attention mask, or under PaddingNone, the batch ends where
// the token count changes: padding would change its rows' results.
func (d *TextData) BatchEnd(lo, rows int) int {
	hi := min(lo+rows, len(d.n))
	if d.noPad {
		for end := lo + 1; end < hi; end++ {
			if d.n[end] != d.n[lo] {
				return end
			}
		}
		return hi
	}
	if d.chunk {
		return hi
	}
	limit := 2 * max(d.n[lo], 8)
	for end := lo + 1; end < hi; end++ {
		if d.n[end] > limit {
			return end
		}
	}
	return hi
}

// Len is row i's token count (its attention mask's ones).
func (d *TextData) Len(i int) int { return int(d.n[i]) }

// width is the padded length of batch [lo, hi).
func (d *TextData) width(lo, hi int) int {
	if d.chunk && !d.noPad {
		lo, hi = 0, len(d.n)
	}
	w := 1 // an empty sequence is still one padding position wide
	for i := lo; i < hi; i++ {
		w = max(w, int(d.n[i]))
	}
	return w
}

func (d *TextData) Tensor(lo, hi int) (ort.Value, error) {
	vs, err := d.Tensors(lo, hi)
	if err != nil {
		return nil, err
	}
	for _, v := range vs[1:] {
		v.Destroy()
	}
	return vs[0], nil
}

// Tensors builds one [rows, width] int64 tensor per fed model input, in feeds order.
func (d *TextData) Tensors(lo, hi int) ([]ort.Value, error) {
	w := d.width(lo, hi)
	rows := hi - lo
	out := make([]ort.Value, 0, len(d.feeds))
	for _, name := range d.feeds {
		buf := make([]int64, rows*w)
		for b := range rows {
			i := lo + b
			row := buf[b*w : (b+1)*w]
			toks := d.enc.IDs[d.start[i] : d.start[i]+d.n[i]]
			switch name {
			case "input_ids":
				for j, id := range toks {
					row[j] = int64(id)
				}
				for j := len(toks); j < w; j++ {
					row[j] = d.padID
				}
			case "attention_mask":
				for j := range toks {
					row[j] = 1
				}
			case "token_type_ids":
				for j, id := range d.enc.TypeIDs[d.start[i] : d.start[i]+d.n[i]] {
					row[j] = int64(id)
				}
			case "position_ids":
				if d.posStart == 0 {
					// transformers' arange (BERT and most others), padding included.
					for j := range row {
						row[j] = int64(j)
					}
					break
				}
				// create_position_ids_from_input_ids (RoBERTa and its kin):
				// padding_idx + cumsum(mask) * mask, that is padding_idx + 1, + 2...
				// for the tokens and padding_idx at padding.
				for j := range row {
					row[j] = d.posStart - 1
				}
				for j := range toks {
					row[j] = d.posStart + int64(j)
				}
			}
		}
		v, err := ort.NewTensor(ort.NewShape(int64(rows), int64(w)), buf)
		if err != nil {
			for _, o := range out {
				o.Destroy()
			}
			return nil, fmt.Errorf("%w: %v", ErrRuntime, err)
		}
		out = append(out, v)
	}
	return out, nil
}

func (d *TextData) Preview(i int) string { return previewText(d.vals[i]) }

// stPrep is what SentenceTransformer.encode does to a text before the tokenizer sees
// it (on: a sentence-transformers folder): the default prompt put before it, then
// Transformer.tokenize's str.strip(), and str.lower() with do_lower_case. Python's
// whitespace for strip() includes the separators U+001C..U+001F, which Go's
// unicode.IsSpace does not.
type stPrep struct {
	on, lower bool
	prompt    string
}

func (p stPrep) apply(s string) string {
	if p.prompt != "" {
		s = p.prompt + s
	}
	s = strings.TrimFunc(s, func(r rune) bool { return unicode.IsSpace(r) || r >= 0x1c && r <= 0x1f })
	if p.lower {
		s = pyLower(s)
	}
	return s
}

// pyLower is Python's str.lower(): each character's full lowercase (tokenizer.Lower,
// U+0130 included), and a capital sigma ending a word (a cased letter before it, none
// after, case-ignorable characters skipped both ways: Unicode's Final_Sigma) lowers to
// 'ς' where the per-character mapping gives 'σ'.
func pyLower(s string) string {
	if strings.ContainsRune(s, 'Σ') {
		rs := []rune(s)
		for i, r := range rs {
			// ς is cased as Σ is: the neighbours' context is unchanged.
			if r == 'Σ' && finalSigma(rs, i) {
				rs[i] = 'ς'
			}
		}
		s = string(rs)
	}
	return tokenizer.Lower(s)
}

// finalSigma reports whether rs[i] is in Unicode's Final_Sigma context, as CPython
// tests it: a cased character before it and no cased character after it, skipping
// case-ignorable characters both ways.
func finalSigma(rs []rune, i int) bool {
	j := i - 1
	for j >= 0 && caseIgnorable(rs[j]) {
		j--
	}
	if j < 0 || !cased(rs[j]) {
		return false
	}
	j = i + 1
	for j < len(rs) && caseIgnorable(rs[j]) {
		j++
	}
	return j == len(rs) || !cased(rs[j])
}

// cased is Unicode's Cased property: lowercase, uppercase or titlecase letters, and
// the Other_Lowercase and Other_Uppercase characters.
func cased(r rune) bool {
	return unicode.IsLower(r) || unicode.IsUpper(r) || unicode.IsTitle(r) ||
		unicode.Is(unicode.Other_Lowercase, r) || unicode.Is(unicode.Other_Uppercase, r)
}

// caseIgnorable is Unicode's Case_Ignorable property: nonspacing and enclosing marks,
// format characters, modifier letters and symbols, and the word-break MidLetter,
// MidNumLet and Single_Quote characters.
func caseIgnorable(r rune) bool {
	switch r {
	case '\'', '.', ':', '\u00b7', '\u0387', '\u055f', '\u05f4', '\u2018', '\u2019', '\u2024', '\u2027', '\ufe13', '\ufe52', '\ufe55', '\uff07', '\uff0e', '\uff1a':
		return true
	}
	return unicode.In(r, unicode.Mn, unicode.Me, unicode.Cf, unicode.Lm, unicode.Sk)
}
