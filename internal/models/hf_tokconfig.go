package models

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/duckinfer/duckinfer/internal/tokenizer"
)

// bertNormalizerClasses are the fast tokenizer classes (tokenizer_class without
// "Fast") that rebuild tokenizer.json's BertNormalizer from tokenizer_config.json's
// do_lower_case (default true), strip_accents (default null) and, where the value is
// true, tokenize_chinese_chars (default true) whenever the normalizer differs:
// BertTokenizerFast.__init__ and the classes copied from it. MPNet and RoFormer
// compare lowercase and strip_accents only.
var bertNormalizerClasses = map[string]bool{
	"BertTokenizer": true, "DistilBertTokenizer": true, "ElectraTokenizer": true,
	"FunnelTokenizer": true, "LayoutLMTokenizer": true, "LxmertTokenizer": true,
	"MobileBertTokenizer": true, "SqueezeBertTokenizer": true, "ConvBertTokenizer": true,
	"RetriBertTokenizer": true, "RealmTokenizer": true, "DPRContextEncoderTokenizer": true,
	"DPRQuestionEncoderTokenizer": true, "DPRReaderTokenizer": true,
	"MPNetTokenizer": false, "RoFormerTokenizer": false,
}

// autoTokenizerClasses is AutoTokenizer's class (TOKENIZER_MAPPING_NAMES, without
// "Fast") for a config.json model_type, where tokenizer_config.json names none and
// the class matters here; other model types get PreTrainedTokenizerFast.
var autoTokenizerClasses = map[string]string{
	"bert": "BertTokenizer", "megatron-bert": "BertTokenizer", "ernie": "BertTokenizer",
	"nezha": "BertTokenizer", "qdqbert": "BertTokenizer", "visual_bert": "BertTokenizer",
	"align": "BertTokenizer", "chinese_clip": "BertTokenizer", "flava": "BertTokenizer",
	"vilt": "BertTokenizer", "git": "BertTokenizer", "tvp": "BertTokenizer", "blip": "BertTokenizer",
	"distilbert": "DistilBertTokenizer", "electra": "ElectraTokenizer", "funnel": "FunnelTokenizer",
	"layoutlm": "LayoutLMTokenizer", "lxmert": "LxmertTokenizer", "mobilebert": "MobileBertTokenizer",
	"squeezebert": "SqueezeBertTokenizer", "convbert": "ConvBertTokenizer", "retribert": "RetriBertTokenizer",
	"realm": "RealmTokenizer", "dpr": "DPRQuestionEncoderTokenizer", "mpnet": "MPNetTokenizer",
	"roformer":   "RoFormerTokenizer",
	"blenderbot": "BlenderbotTokenizer", "layoutlmv3": "LayoutLMv3Tokenizer", "lilt": "LayoutLMv3Tokenizer",
	"llama": "LlamaTokenizer", "code_llama": "CodeLlamaTokenizer", "t5": "T5Tokenizer",
}

// prefixSpaceDefaults are the classes whose add_prefix_space default is not false:
// true, or "" for none (None: transformers then leaves the pre-tokenizer alone).
// PreTrainedTokenizerFast.__init__ sets a top-level ByteLevel pre-tokenizer's
// add_prefix_space to the class's value for every other class too, default false.
var prefixSpaceDefaults = map[string]string{
	"BlenderbotTokenizer": "true", "LayoutLMv3Tokenizer": "true",
	"LlamaTokenizer": "", "CodeLlamaTokenizer": "", "T5Tokenizer": "",
}

// hfTokenizerConfig applies to tok what transformers' fast tokenizer applies over
// tokenizer.json at load from the folder's tokenizer_config.json (or, without one, the
// class defaults): the BertNormalizer settings, ByteLevel's add_prefix_space, and the
// added_tokens_decoder and special tokens tokenizer.json lacks, then the special tokens
// of Llama-style classes (hfSpecialTokens). It says what it changed ("" for nothing),
// for the task's fingerprint.
func hfTokenizerConfig(folder string, tok *tokenizer.Tokenizer) (string, error) {
	tc := map[string]json.RawMessage{}
	data, _, err := readRegular(filepath.Join(folder, "tokenizer_config.json"), "tokenizer_config.json", maxConfigBytes)
	if err == nil {
		if json.Unmarshal(data, &tc) != nil {
			return "", nil // unreadable: leave tokenizer.json as it is
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	var class string
	json.Unmarshal(tc["tokenizer_class"], &class)
	class = strings.TrimSuffix(class, "Fast")
	if class == "" {
		var hc struct {
			ModelType string `json:"model_type"`
		}
		if data, _, err := readRegular(filepath.Join(folder, "config.json"), "config.json", maxConfigBytes); err == nil {
			json.Unmarshal(data, &hc)
		}
		class = autoTokenizerClasses[hc.ModelType]
	}
	var changes []string
	added, err := hfAddedTokens(tc, tok)
	if err != nil {
		return "", err
	}
	if added != "" {
		changes = append(changes, added)
	}
	if withChinese, ok := bertNormalizerClasses[class]; ok {
		if lower, strip, chinese, ok := tok.BertNormalizer(); ok {
			wantLower, wantStrip, wantChinese := boolKey(tc, "do_lower_case", true), optBoolKey(tc, "strip_accents"), boolKey(tc, "tokenize_chinese_chars", true)
			if !withChinese {
				wantChinese = chinese
			}
			if lower != wantLower || !sameOptBool(strip, wantStrip) || chinese != wantChinese {
				tok.SetBertNormalizer(wantLower, wantStrip, wantChinese)
				changes = append(changes, fmt.Sprintf("BertNormalizer lowercase=%v strip_accents=%s handle_chinese_chars=%v", wantLower, optBoolString(wantStrip), wantChinese))
			}
		}
	}
	if have, ok := tok.ByteLevelPrefixSpace(); ok {
		want, set := false, true
		if raw, ok := tc["add_prefix_space"]; ok {
			// null, like a class default of None, leaves the pre-tokenizer alone.
			set = json.Unmarshal(raw, &want) == nil && string(raw) != "null"
		} else if d, ok := prefixSpaceDefaults[class]; ok {
			want, set = d == "true", d != ""
		}
		if set && want != have {
			tok.SetByteLevelPrefixSpace(want)
			changes = append(changes, fmt.Sprintf("ByteLevel add_prefix_space=%v", want))
		}
	}
	// Last, as in transformers' __init__: Llama-style classes rebuild the special
	// tokens over the tokens added above.
	desc, err := hfSpecialTokens(tc, tok)
	if err != nil {
		return "", err
	}
	if len(changes) > 0 {
		desc += "\x00" + strings.Join(changes, "; ")
	}
	return desc, nil
}

// specialTokenKeys are tokenizer_config.json's special tokens, in the order of
// transformers' SPECIAL_TOKENS_ATTRIBUTES.
var specialTokenKeys = []string{"bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token"}

// hfAddedTokens adds to tok, as PreTrainedTokenizerFast.__init__ does, the tokens of
// tokenizer_config.json's added_tokens_decoder (by index) that tokenizer.json lacks or
// holds with other flags, then the special tokens (bos_token ...,
// additional_special_tokens) that are none of its added tokens.
func hfAddedTokens(tc map[string]json.RawMessage, tok *tokenizer.Tokenizer) (string, error) {
	type entry struct {
		Content    string `json:"content"`
		SingleWord bool   `json:"single_word"`
		LStrip     bool   `json:"lstrip"`
		RStrip     bool   `json:"rstrip"`
		Normalized *bool  `json:"normalized"`
		Special    bool   `json:"special"`
	}
	var decoder map[string]entry
	if raw, ok := tc["added_tokens_decoder"]; ok && string(raw) != "null" {
		if err := json.Unmarshal(raw, &decoder); err != nil {
			return "", fmt.Errorf("tokenizer_config.json: added_tokens_decoder: %w; it must map ids to added tokens ({\"content\": ...}) as transformers writes it", err)
		}
	}
	special := map[string]bool{}
	var specials []tokenizer.AddedToken
	addSpecial := func(raw json.RawMessage) {
		name := specialTokenName(raw, "")
		if name == "" || special[name] {
			return
		}
		special[name] = true
		// A string is an AddedToken of default flags; an object (AddedToken's
		// serialized form, {"content": "<mask>", "lstrip": true, ...}) keeps its own,
		// as transformers' convert_added_tokens builds it. Special tokens are matched
		// in the raw text unless "normalized" says otherwise.
		a := tokenizer.AddedToken{Content: name, Special: true}
		var e entry
		if json.Unmarshal(raw, &e) == nil && e.Content == name {
			a.SingleWord, a.LStrip, a.RStrip = e.SingleWord, e.LStrip, e.RStrip
			if e.Normalized != nil {
				a.Normalized = *e.Normalized
			}
		}
		specials = append(specials, a)
	}
	for _, k := range specialTokenKeys {
		if raw, ok := tc[k]; ok {
			addSpecial(raw)
		}
	}
	if raw, ok := tc["additional_special_tokens"]; ok {
		var list []json.RawMessage
		json.Unmarshal(raw, &list)
		for _, r := range list {
			addSpecial(r)
		}
	}
	_, byIndex, bad := byIntKey(decoder)
	if bad != "" {
		return "", fmt.Errorf("tokenizer_config.json: added_tokens_decoder key %q is not a token id; fix or remove it", bad)
	}
	var toAdd []tokenizer.AddedToken
	listed := map[string]bool{}
	for _, e := range byIndex {
		sp := e.Special || special[e.Content]
		// AddedToken's default: special tokens are matched in the raw text.
		norm := !sp
		if e.Normalized != nil {
			norm = *e.Normalized
		}
		toAdd = append(toAdd, tokenizer.AddedToken{Content: e.Content, SingleWord: e.SingleWord, LStrip: e.LStrip, RStrip: e.RStrip, Normalized: norm, Special: sp})
		listed[e.Content] = true
	}
	for _, a := range specials {
		if !listed[a.Content] && !tok.IsAdded(a.Content) {
			toAdd = append(toAdd, a)
		}
	}
	if len(toAdd) == 0 {
		return "", nil
	}
	ids, changed := tok.AddTokens(toAdd)
	if !changed {
		return "", nil
	}
	var desc []string
	for i, a := range toAdd {
		desc = append(desc, fmt.Sprintf("%q=%d%+v", a.Content, ids[i], a))
	}
	return "added " + strings.Join(desc, " "), nil
}

func boolKey(tc map[string]json.RawMessage, key string, def bool) bool {
	var v bool
	if raw, ok := tc[key]; ok && json.Unmarshal(raw, &v) == nil && string(raw) != "null" {
		return v
	}
	return def
}

func optBoolKey(tc map[string]json.RawMessage, key string) *bool {
	var v bool
	if raw, ok := tc[key]; ok && json.Unmarshal(raw, &v) == nil && string(raw) != "null" {
		return &v
	}
	return nil
}

func sameOptBool(a, b *bool) bool {
	return (a == nil) == (b == nil) && (a == nil || *a == *b)
}

func optBoolString(p *bool) string {
	if p == nil {
		return "null"
	}
	return strconv.FormatBool(*p)
}
