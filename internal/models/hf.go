package models

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/duckinfer/duckinfer/internal/tokenizer"
)

// A Hugging Face folder — config.json, tokenizer.json and the ONNX model at
// onnx/model.onnx (transformers.js) or model.onnx (Optimum) — is a task without a
// task.json: hfConfig writes the task.json it stands for, and a task.json beside it
// overrides any of its fields. The kind comes from config.json:
//   - a classifier when "architectures" ends in ForSequenceClassification, or, with no
//     architectures, when id2label holds labels other than the defaults LABEL_0...;
//     it reads the output "logits", softmax over the labels, or sigmoid under
//     problem_type multi_label_classification or with a single label (as transformers'
//     text-classification pipeline does). Without id2label the labels are transformers'
//     defaults, LABEL_0 to LABEL_{k-1}, k from num_labels (else 2);
//   - a regressor ("kind": "regress", reading "logits" raw) under problem_type
//     regression, as transformers' pipeline applies no function to it;
//   - otherwise an embedder, reading the model's own sentence_embedding, else
//     last_hidden_state or token_embeddings (see embedOutputs). A sentence-transformers
//     folder (modules.json) gives it the pooling of its Pooling module and normalize
//     from whether it lists a Normalize module (hfSentenceTransformers); any other
//     module it lists (Dense, ...) refuses pooling token vectors (stUnapplied); its
//     texts get config_sentence_transformers.json's default prompt (hfReadSTConfig).
// A decoder classifier (lastTokenPooling: any but the known encoders) pools the last non-padding token, which
// transformers finds by config.json's pad_token_id; without one it takes the last
// position, and so does an ONNX export of it: padding such a model's rows would pool a
// padding token, so its task says PaddingNone (batches of rows of one token count).
// The text column is "text"; max_length is tokenizer_config.json's model_max_length,
// else config.json's max_position_embeddings (less the positions RoBERTa-style models
// reserve: theirs start after the padding id); truncation is "left" where
// tokenizer_config.json's truncation_side says so.

// hfFiles are the files whose change makes a new snapshot of a Hugging Face task. The
// two model places are among them because which one exists decides the model
// (hfModelPath): one added or removed later is a new version.
// The sentence-transformers files are those of the usual layout (the Pooling module in
// 1_Pooling), and every name of the Transformer module's config.
var hfFiles = append([]string{"config.json", "tokenizer.json", "tokenizer_config.json", "task.json", "onnx/model.onnx", "model.onnx",
	"modules.json", "1_Pooling/config.json", "config_sentence_transformers.json"}, stConfigNames...)

// isHFFolder reports whether folder holds config.json, tokenizer.json and a model.
func isHFFolder(folder string) bool {
	for _, f := range []string{"config.json", "tokenizer.json"} {
		if fi, err := os.Stat(filepath.Join(folder, f)); err != nil || !fi.Mode().IsRegular() {
			return false
		}
	}
	return hfModelPath(folder) != ""
}

func hfModelPath(folder string) string {
	for _, m := range []string{"onnx/model.onnx", "model.onnx"} {
		if fi, err := os.Stat(filepath.Join(folder, m)); err == nil && fi.Mode().IsRegular() {
			return m
		}
	}
	return ""
}

var defaultLabel = regexp.MustCompile(`^LABEL_[0-9]+$`)

// hfModel is what hfConfig knows of a folder's model beside its task.json.
type hfModel struct {
	// positions is the most tokens the model's position embeddings take (0: unknown,
	// or not the folder's model).
	positions int
	// posStart is the first token's position id (positionOffset; 0: 0, 1, 2...).
	posStart int
	// poolingImplicit: the pooling came from the sentence-transformers Pooling module,
	// not from the user, so the model's own sentence_embedding may stand for it.
	poolingImplicit bool
	// st: a sentence-transformers embedder's texts, as SentenceTransformer.encode
	// prepares them before tokenizing.
	st stPrep
	// stUnapplied names the modules of modules.json that SentenceTransformer.encode
	// applies and duckinfer's pooling of token vectors does not (a Dense projection,
	// a LayerNorm, ...): "" when none, or when task.json names the output to read.
	stUnapplied string
}

// hfConfig returns the task.json a Hugging Face folder stands for, with override (the
// folder's own task.json, or nil) laid over it field by field, and what it knows of
// the model beside it.
func hfConfig(folder string, override []byte) ([]byte, hfModel, error) {
	var none hfModel
	data, _, err := readRegular(filepath.Join(folder, "config.json"), "config.json", maxConfigBytes)
	if err != nil {
		return nil, none, err
	}
	var hc struct {
		Architectures []string          `json:"architectures"`
		ModelType     string            `json:"model_type"`
		ID2Label      map[string]string `json:"id2label"`
		NumLabels     int               `json:"num_labels"`
		OldNumLabels  int               `json:"_num_labels"` // what older transformers wrote
		ProblemType   string            `json:"problem_type"`
		MaxPositions  int               `json:"max_position_embeddings"`
		PositionType  string            `json:"position_embedding_type"`
		PadTokenID    *int64            `json:"pad_token_id"`
	}
	if err := json.Unmarshal(data, &hc); err != nil {
		return nil, none, fmt.Errorf("%s/config.json: %v; is it a Hugging Face model config?", folder, err)
	}
	doc := map[string]any{
		"model":     hfModelPath(folder),
		"inputs":    []map[string]any{{"name": "input_ids", "columns": []string{"text"}, "type": string(InputText)}},
		"tokenizer": "tokenizer.json",
	}
	what := hc.ModelType
	if len(hc.Architectures) > 0 {
		what = hc.Architectures[0]
	}
	if hc.PadTokenID != nil {
		doc["pad_id"] = *hc.PadTokenID
	}
	limit := hfPositionLimit(hc.ModelType, hc.PositionType, hc.MaxPositions, hc.PadTokenID)
	posStart := positionOffset(hc.ModelType, hc.PadTokenID)
	var prep stPrep
	var stUnapplied string
	st, err := hfReadSTConfig(folder)
	if err != nil {
		return nil, none, err
	}
	n, side := hfMaxLength(folder, st, hc.ModelType, hc.MaxPositions, hc.PadTokenID)
	if n > 0 {
		doc["max_length"] = n
	}
	if side == TruncationLeft {
		doc["truncation"] = side
	}
	var poolingErr error // a pooling duckinfer cannot do, unless task.json names the output
	if isHFClassifier(hc.Architectures, hc.ID2Label) {
		labels, err := labelsInOrder(hc.ID2Label)
		if len(hc.ID2Label) == 0 {
			labels, err = defaultLabels(cmp.Or(hc.NumLabels, hc.OldNumLabels, 2))
		}
		if err != nil {
			return nil, none, fmt.Errorf("%s/config.json: %v", folder, err)
		}
		doc["kind"], doc["output"], doc["labels"], doc["scores"] = OutputClassify, "logits", labels, ScoresLogits
		// transformers' text-classification pipeline: a sigmoid per label for
		// multi-label models and for a single label (a score or reranker head), where
		// a softmax would always be 1; a softmax otherwise.
		if hc.ProblemType == "multi_label_classification" || len(labels) == 1 {
			doc["scores"] = ScoresSigmoid
		}
		doc["description"] = fmt.Sprintf("Hugging Face %s (text classifier: %s)", what, strings.Join(labels, ", "))
		if hc.ProblemType == "regression" {
			// transformers' pipeline applies no function to a regression head: its
			// logits are the predictions, one per label.
			doc["kind"], doc["output"] = OutputRegress, "logits"
			delete(doc, "labels")
			delete(doc, "scores")
			doc["description"] = fmt.Sprintf("Hugging Face %s (text regression: %s)", what, strings.Join(labels, ", "))
		}
		if hc.PadTokenID == nil && lastTokenPooling(hc.Architectures, hc.ModelType) {
			doc["padding"] = PaddingNone
		}
	} else {
		doc["kind"] = OutputEmbed
		doc["description"] = fmt.Sprintf("Hugging Face %s (text embedder)", what)
		mods, err := hfSentenceTransformers(folder)
		stUnapplied = mods.unapplied
		if errors.Is(err, errPoolingMode) {
			poolingErr, err = err, nil
		}
		if err != nil {
			return nil, none, err
		}
		if mods.pooling != "" {
			doc["pooling"] = mods.pooling
		}
		if mods.normalize != nil { // modules.json is there
			prep = stPrep{on: true, lower: st.doLowerCase, prompt: st.prompt}
			doc["normalize"] = *mods.normalize
			if st.prompt != "" && mods.excludePrompt && poolingErr == nil {
				poolingErr = fmt.Errorf("%w: %s/config_sentence_transformers.json puts the prompt %q before every text (default_prompt_name), and the Pooling module leaves the prompt's tokens out of the pooled vector (include_prompt: false), which duckinfer does not do; if the model has its own pooled output, set \"output\" in a task.json beside it, else export one that has", errPoolingMode, folder, st.prompt)
			}
		}
	}
	generatedKind := doc["kind"]
	_, poolingImplicit := doc["pooling"]
	if override != nil {
		var over map[string]json.RawMessage
		dec := json.NewDecoder(bytes.NewReader(override))
		if err := dec.Decode(&over); err != nil {
			return nil, none, fmt.Errorf("task.json: %w", err)
		}
		if rest := bytes.TrimLeft(override[dec.InputOffset():], " \t\r\n"); len(rest) > 0 {
			return nil, none, fmt.Errorf("task.json: trailing data after the JSON object at byte %d (%.20q); remove everything after the closing brace", dec.InputOffset(), rest)
		}
		if err := repeatedKey(override); err != nil {
			return nil, none, fmt.Errorf("task.json: %w", err)
		}
		// ParseConfig matches keys in any case: in one case here, the user's
		// "Max_Length" replaces the generated max_length instead of standing beside
		// it (and perhaps losing to it).
		folded := make(map[string]json.RawMessage, len(over))
		for k, v := range over {
			folded[foldKey(k)] = v
			doc[foldKey(k)] = v
		}
		if _, set := folded["pooling"]; set {
			poolingImplicit = false
		}
		if _, set := folded["output"]; set {
			poolingErr, stUnapplied = nil, ""
		}
		// "kind": "embed" over a classifier (or regressor) folder replaces the
		// classify reading whole: its labels, scores, output and description came
		// from id2label, not from the user, and an embedder finds its own output.
		var kind string
		if raw, set := folded["kind"]; set && json.Unmarshal(raw, &kind) == nil && kind == string(OutputEmbed) && generatedKind != OutputEmbed {
			for _, k := range []string{"labels", "scores", "output"} {
				if _, set := folded[k]; !set {
					delete(doc, k)
				}
			}
			if _, set := folded["description"]; !set {
				doc["description"] = fmt.Sprintf("Hugging Face %s (text embedder)", what)
			}
		}
		// config.json's positions describe the folder's own model only.
		if _, set := folded["model"]; set {
			limit, posStart = 0, 0
		}
		// A task.json whose inputs take no text is a task of its own beside the
		// Hugging Face files: the tokenizer fields do not apply to it.
		if in, ok := folded["inputs"]; ok && !bytes.Contains(in, []byte(`"`+string(InputText)+`"`)) {
			for _, k := range []string{"tokenizer", "max_length", "pad_id", "padding", "truncation"} {
				if _, set := folded[k]; !set {
					delete(doc, k)
				}
			}
		}
	}
	if poolingErr != nil {
		return nil, none, poolingErr
	}
	b, err := json.Marshal(doc)
	return b, hfModel{positions: limit, posStart: posStart, poolingImplicit: poolingImplicit, st: prep, stUnapplied: stUnapplied}, err
}

// stModules is what a sentence-transformers folder's modules.json says of the vector
// SentenceTransformer.encode returns.
type stModules struct {
	pooling string // the Pooling module's mode ("" without one)
	// normalize: a Normalize module is listed; nil when the folder has no modules.json.
	normalize *bool
	// unapplied names the modules duckinfer does not apply (hfModel.stUnapplied).
	unapplied string
	// excludePrompt: the Pooling module leaves a prompt's tokens out (include_prompt
	// false).
	excludePrompt bool
}

// hfSentenceTransformers reads a sentence-transformers folder's modules.json. A
// pooling mode other than cls or mean is an error (errPoolingMode, beside the rest):
// duckinfer would return other vectors than sentence-transformers.
func hfSentenceTransformers(folder string) (stModules, error) {
	var mods stModules
	data, _, err := readRegular(filepath.Join(folder, "modules.json"), "modules.json", maxConfigBytes)
	if errors.Is(err, fs.ErrNotExist) {
		return mods, nil
	}
	if err != nil {
		return mods, err
	}
	var modules []struct {
		Path string `json:"path"`
		Type string `json:"type"`
	}
	if err := json.Unmarshal(data, &modules); err != nil {
		return mods, fmt.Errorf("%s/modules.json: %v; is it a sentence-transformers modules list?", folder, err)
	}
	normalize := false
	var poolingErr error
	var unapplied []string
	for i, m := range modules {
		// "sentence_transformers.models.Pooling"; older versions wrote the
		// submodule too (sentence_transformers.models.Pooling.Pooling).
		switch typ := m.Type[strings.LastIndex(m.Type, ".")+1:]; {
		case typ == "Normalize":
			normalize = true
		case typ == "Pooling":
			mods.pooling, mods.excludePrompt, poolingErr = hfPoolingMode(folder, m.Path)
		case typ == "Transformer" && i == 0:
			// The model itself: its token vectors are the ONNX model's output.
		case typ == "Dropout":
			// Nothing in eval mode, where encode runs.
		default:
			unapplied = append(unapplied, fmt.Sprintf("%s (%q)", typ, m.Path))
		}
	}
	mods.normalize, mods.unapplied = &normalize, strings.Join(unapplied, ", ")
	return mods, poolingErr
}

// hfPoolingMode is the pooling a sentence-transformers Pooling module's config.json
// (in folder/dir) names, "cls" or "mean", and whether it leaves a prompt's tokens out
// (include_prompt: false).
func hfPoolingMode(folder, dir string) (string, bool, error) {
	name := filepath.Join(dir, "config.json")
	data, _, err := readRegular(filepath.Join(folder, name), name, maxConfigBytes)
	if err != nil {
		return "", false, fmt.Errorf("%s/modules.json lists a Pooling module in %q: %w; restore its config.json from the model's repository", folder, dir, err)
	}
	var modes map[string]any
	if err := json.Unmarshal(data, &modes); err != nil {
		return "", false, fmt.Errorf("%s/%s: %v; is it a sentence-transformers Pooling config?", folder, filepath.ToSlash(name), err)
	}
	mode, err := hfPoolingModeOf(modes, folder, name)
	return mode, modes["include_prompt"] == false, err
}

// hfPoolingModeOf resolves a Pooling config.json's modes as Pooling.__init__ takes
// them as keyword arguments: pooling_mode_mean_tokens defaults to true and the other
// flags to false, and a "pooling_mode" string sets every flag itself.
func hfPoolingModeOf(modes map[string]any, folder, name string) (string, error) {
	flags := map[string]bool{"pooling_mode_mean_tokens": true}
	for k, v := range modes {
		if strings.HasPrefix(k, "pooling_mode_") {
			flags[k] = v == true
		}
	}
	if m, ok := modes["pooling_mode"].(string); ok {
		key := map[string]string{"cls": "pooling_mode_cls_token", "max": "pooling_mode_max_tokens", "mean": "pooling_mode_mean_tokens",
			"mean_sqrt_len_tokens": "pooling_mode_mean_sqrt_len_tokens", "weightedmean": "pooling_mode_weightedmean_tokens", "lasttoken": "pooling_mode_lasttoken"}[strings.ToLower(m)]
		if key == "" {
			return "", fmt.Errorf("%s/%s: pooling_mode %q is not one sentence-transformers knows; use \"cls\" or \"mean\"", folder, filepath.ToSlash(name), m)
		}
		clear(flags)
		flags[key] = true
	}
	var on []string
	for k, v := range flags {
		if v {
			on = append(on, k)
		}
	}
	sort.Strings(on)
	switch {
	case len(on) == 1 && on[0] == "pooling_mode_cls_token":
		return PoolingCLS, nil
	case len(on) == 1 && on[0] == "pooling_mode_mean_tokens":
		return PoolingMean, nil
	case len(on) == 0:
		return "", fmt.Errorf("%s/%s sets no pooling_mode_*; set pooling_mode_mean_tokens or pooling_mode_cls_token to true", folder, filepath.ToSlash(name))
	}
	return "", fmt.Errorf("%w: %s/%s asks for %s, but duckinfer pools token vectors only by the first token (pooling_mode_cls_token) or the attention-masked mean (pooling_mode_mean_tokens); if the model has its own pooled output (Optimum's sentence_embedding), set \"output\": \"sentence_embedding\" in a task.json beside it, else export one that has", errPoolingMode, folder, filepath.ToSlash(name), strings.Join(on, " + "))
}

func isHFClassifier(arch []string, id2label map[string]string) bool {
	for _, a := range arch {
		if strings.HasSuffix(a, "ForSequenceClassification") {
			return true
		}
	}
	if len(arch) > 0 || len(id2label) < 2 {
		return false
	}
	for _, l := range id2label {
		if !defaultLabel.MatchString(l) {
			return true
		}
	}
	return false
}

// firstTokenModels are the model types whose ForSequenceClassification reads the first
// token (or all of them through the attention mask): transformers' encoders, which the
// attention mask shields from padding. Any other classifier without a pad_token_id may
// be a decoder (Llama, Qwen2, Mistral, GPT-2, and every new one) that pools the last
// position, so it is never padded: slower for an encoder left out here, never wrong.
// Keys are model_type without "_" and "-", which is also the architecture's class name
// before ForSequenceClassification, lower-cased.
var firstTokenModels = func() map[string]bool {
	m := map[string]bool{}
	for _, t := range strings.Fields(`bert roberta xlm-roberta xlm-roberta-xl distilbert albert electra
		deberta deberta-v2 mpnet camembert xlm flaubert ernie ernie_m nezha megatron-bert mobilebert
		squeezebert funnel longformer big_bird convbert canine layoutlm roformer data2vec-text xmod
		luke nystromformer yoso ibert modernbert rembert markuplm esm mra fnet lilt roc_bert`) {
		m[modelKey(t)] = true
	}
	return m
}()

func modelKey(s string) string {
	return strings.ToLower(strings.NewReplacer("_", "", "-", "").Replace(s))
}

// lastTokenPooling reports whether a classifier config.json may name a decoder whose
// classifier pools the last token: whatever is not a known encoder, by its
// architectures, else by its model_type.
func lastTokenPooling(arch []string, modelType string) bool {
	for _, a := range arch {
		if name, ok := strings.CutSuffix(a, "ForSequenceClassification"); ok {
			return !firstTokenModels[modelKey(name)]
		}
	}
	return !firstTokenModels[modelKey(modelType)]
}

// byIntKey returns m's keys read as integers, in increasing order, with their values;
// bad is a key that is not an integer ("" when every key is).
func byIntKey[V any](m map[string]V) (keys []int, vals []V, bad string) {
	type kv struct {
		k int
		v V
	}
	l := make([]kv, 0, len(m))
	for k, v := range m {
		i, err := strconv.Atoi(k)
		if err != nil {
			return nil, nil, k
		}
		l = append(l, kv{i, v})
	}
	sort.Slice(l, func(a, b int) bool { return l[a].k < l[b].k })
	for _, x := range l {
		keys, vals = append(keys, x.k), append(vals, x.v)
	}
	return keys, vals, ""
}

// labelsInOrder turns id2label ({"0": "neg", "1": "pos"}) into labels by id.
func labelsInOrder(id2label map[string]string) ([]string, error) {
	ids, labels, bad := byIntKey(id2label)
	if bad != "" {
		return nil, fmt.Errorf("id2label key %q is not a class number", bad)
	}
	for i, id := range ids {
		if id != i {
			return nil, fmt.Errorf("id2label has no class %d; its keys must be 0..%d", i, len(ids)-1)
		}
	}
	return labels, nil
}

// defaultLabels are transformers' labels for a config without id2label: LABEL_0 to
// LABEL_{k-1}.
func defaultLabels(k int) ([]string, error) {
	if k < 1 || k > maxDefaultLabels {
		return nil, fmt.Errorf("num_labels %d is no class count; give id2label, or num_labels between 1 and %d", k, maxDefaultLabels)
	}
	out := make([]string, k)
	for i := range out {
		out[i] = "LABEL_" + strconv.Itoa(i)
	}
	return out, nil
}

// maxDefaultLabels bounds num_labels, so that a stray value does not make millions of
// labels.
const maxDefaultLabels = 1 << 16

// positionOffset is how many position embeddings a model reserves before its first
// token's: models whose position ids count from the padding id (transformers'
// create_position_ids_from_input_ids: the first token is at padding_idx+1) never use
// positions 0..padding_idx. 0 for the others.
func positionOffset(modelType string, pad *int64) int {
	switch modelType {
	case "mpnet":
		// MPNetEmbeddings fixes its padding_idx at 1, whatever pad_token_id says.
		return 2
	case "roberta", "xlm-roberta", "xlm-roberta-xl", "camembert", "longformer", "data2vec-text",
		"ibert", "roberta-prelayernorm", "xmod", "luke", "markuplm", "esm":
		// padding_idx is pad_token_id (1 in all their tokenizers).
		if pad != nil && *pad >= 0 && *pad < 1<<20 {
			return int(*pad) + 1
		}
		return 2
	}
	return 0
}

// hfPositionLimit is the most tokens the model's learned absolute position
// embeddings take (0: unknown, or positions that do not bound the length, such as
// rotary or relative ones).
func hfPositionLimit(modelType, positionType string, maxPositions int, pad *int64) int {
	if maxPositions <= 0 || (positionType != "" && positionType != "absolute") {
		return 0
	}
	switch modelType {
	case "bert", "distilbert", "electra", "albert":
	default:
		if positionOffset(modelType, pad) == 0 {
			return 0
		}
	}
	return max(maxPositions-positionOffset(modelType, pad), 0)
}

// hfSTConfig is what a sentence-transformers folder says of its texts. Its
// Transformer module's config (sentence_bert_config.json, or a name older releases
// wrote: stConfigNames): where SentenceTransformer.encode truncates them (0: not said)
// and whether it lowercases them first, and its tokenizer_args' truncation_side and
// model_max_length, which override tokenizer_config.json's. Its
// config_sentence_transformers.json: the prompt put before each (its
// default_prompt_name's; "" for none).
type hfSTConfig struct {
	isST           bool // the folder has a modules.json
	maxSeqLength   int
	doLowerCase    bool
	truncationSide string
	modelMaxLength float64
	prompt         string
}

// stConfigNames are the Transformer module's config files, in the order
// Transformer.load_config looks for them: the first that exists is read.
var stConfigNames = []string{"sentence_bert_config.json", "sentence_roberta_config.json", "sentence_distilbert_config.json",
	"sentence_camembert_config.json", "sentence_albert_config.json", "sentence_xlm-roberta_config.json", "sentence_xlnet_config.json"}

// hfReadSTConfig reads it, for a folder with modules.json (zero otherwise). A default
// prompt that is not among the prompts is an error, as SentenceTransformer's load
// makes it.
func hfReadSTConfig(folder string) (hfSTConfig, error) {
	var st hfSTConfig
	if fi, err := os.Stat(filepath.Join(folder, "modules.json")); err != nil || !fi.Mode().IsRegular() {
		return st, nil
	}
	st.isST = true
	var sc struct {
		MaxSeqLength  float64 `json:"max_seq_length"`
		DoLowerCase   bool    `json:"do_lower_case"`
		TokenizerArgs struct {
			TruncationSide string  `json:"truncation_side"`
			ModelMaxLength float64 `json:"model_max_length"`
		} `json:"tokenizer_args"`
	}
	for _, name := range stConfigNames {
		data, _, err := readRegular(filepath.Join(folder, name), name, maxConfigBytes)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err == nil && json.Unmarshal(data, &sc) == nil {
			if sc.MaxSeqLength >= 1 && sc.MaxSeqLength < 1<<20 {
				st.maxSeqLength = int(sc.MaxSeqLength)
			}
			st.doLowerCase = sc.DoLowerCase
			st.truncationSide, st.modelMaxLength = sc.TokenizerArgs.TruncationSide, sc.TokenizerArgs.ModelMaxLength
		}
		break
	}
	const stName = "config_sentence_transformers.json"
	data, _, err := readRegular(filepath.Join(folder, stName), stName, maxConfigBytes)
	if errors.Is(err, fs.ErrNotExist) {
		return st, nil
	}
	if err != nil {
		return st, err
	}
	var cst struct {
		Prompts           map[string]*string `json:"prompts"`
		DefaultPromptName *string            `json:"default_prompt_name"`
	}
	if err := json.Unmarshal(data, &cst); err != nil {
		return st, fmt.Errorf("%s/%s: %v; is it a sentence-transformers config?", folder, stName, err)
	}
	if name := cst.DefaultPromptName; name != nil {
		prompt, ok := cst.Prompts[*name]
		// sentence-transformers 5 starts from {"query": "", "document": ""} and
		// lays the file's prompts over them; earlier releases refuse any missing name.
		if !ok && *name != "query" && *name != "document" {
			return st, fmt.Errorf("%s/%s: default_prompt_name %q is not among its prompts; add it to \"prompts\" or set it to null", folder, stName, *name)
		}
		if prompt != nil {
			st.prompt = *prompt
		}
	}
	return st, nil
}

// hfMaxLength is the longest input the model takes, in tokens (0: unknown), and the
// end a longer text loses (tokenizer_config.json's truncation_side; "" when unset).
// A sentence-transformers folder's is stLen, its max_seq_length, where
// SentenceTransformer.encode truncates.
func hfMaxLength(folder string, st hfSTConfig, modelType string, maxPositions int, pad *int64) (int, string) {
	var tc struct {
		ModelMaxLength float64 `json:"model_max_length"`
		TruncationSide string  `json:"truncation_side"`
	}
	if data, _, err := readRegular(filepath.Join(folder, "tokenizer_config.json"), "tokenizer_config.json", maxConfigBytes); err == nil {
		_ = json.Unmarshal(data, &tc)
	}
	// The Transformer module's tokenizer_args go to AutoTokenizer over these.
	if st.modelMaxLength != 0 {
		tc.ModelMaxLength = st.modelMaxLength
	}
	if st.truncationSide != "" {
		tc.TruncationSide = st.truncationSide
	}
	// transformers writes 1e30 for "no limit".
	modelMax := 0
	if tc.ModelMaxLength >= 1 && tc.ModelMaxLength < 1<<20 {
		modelMax = int(tc.ModelMaxLength)
	}
	switch {
	case st.maxSeqLength > 0:
		return st.maxSeqLength, tc.TruncationSide
	case st.isST && modelMax > 0 && maxPositions > 0:
		// Transformer.__init__ with max_seq_length null: the lesser of the two.
		return min(maxPositions, modelMax), tc.TruncationSide
	case modelMax > 0:
		return modelMax, tc.TruncationSide
	}
	return max(maxPositions-positionOffset(modelType, pad), 0), tc.TruncationSide
}

// loadTokenizer reads and parses the tokenizer file of a text task.
func (t *Task) loadTokenizer() error {
	name := t.Config.Tokenizer
	var data []byte
	var err error
	if t.fsys != nil {
		data, err = fs.ReadFile(t.fsys, name)
	} else {
		data, t.tokStamp, err = readRegular(filepath.Join(t.path, name), "tokenizer file", maxTokenizerBytes)
	}
	t.tokSum = sha256.Sum256(data)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return taskErrorf(ErrTaskConfig, t.Name, "%v; put the model's tokenizer.json in the task folder or fix \"tokenizer\" in task.json", err)
		}
		return taskErrorf(ErrTaskConfig, t.Name, "%v", err)
	}
	tok, err := tokenizer.Parse(data)
	if err != nil {
		return taskErrorf(ErrTaskConfig, t.Name, "%s: %v", name, err)
	}
	if t.hfStamps != nil && name == "tokenizer.json" {
		if t.tokSpecial, err = hfTokenizerConfig(t.path, tok); err != nil {
			return taskErrorf(ErrTaskConfig, t.Name, "%v", err)
		}
	}
	// Whatever file a task.json names, the texts it gets are prepared so.
	if t.st.on {
		lower := "false"
		if t.st.lower {
			lower = "str.lower" // Python's, since the final-sigma rule (pyLower)
		}
		t.tokSpecial += "\x00sentence-transformers strip, lowercase=" + lower
		if t.st.prompt != "" {
			// Only then: a folder without a prompt keeps its fingerprint.
			t.tokSpecial += fmt.Sprintf(", prompt=%q", t.st.prompt)
		}
	}
	t.tok = tok
	if m := t.Config.MaxLength; m > 0 && m <= tok.SpecialTokens() {
		return taskErrorf(ErrTaskConfig, t.Name, "\"max_length\" %d leaves no room for text beside the tokenizer's %d special tokens; raise it", m, tok.SpecialTokens())
	}
	if t.Config.PadID == nil {
		// No pad_token_id in config.json: the tokenizer's own padding token, else 0.
		var pad int64
		for _, p := range []string{"[PAD]", "<pad>", "<|endoftext|>"} {
			if id, ok := tok.TokenID(p); ok {
				pad = int64(id)
				break
			}
		}
		t.padID = pad
	} else {
		t.padID = *t.Config.PadID
	}
	return nil
}

// bosEosClasses are the tokenizer classes (tokenizer_config.json's tokenizer_class)
// whose fast tokenizer, as transformers loads it, replaces tokenizer.json's
// post-processor with [bos] text [eos] by add_bos_token (default true) and
// add_eos_token (default false): LlamaTokenizerFast.update_post_processor, which
// CodeLlama's and Gemma's copy. The values are the class's default bos and eos tokens.
var bosEosClasses = map[string][2]string{
	"LlamaTokenizer":     {"<s>", "</s>"},
	"CodeLlamaTokenizer": {"<s>", "</s>"},
	"GemmaTokenizer":     {"<bos>", "<eos>"},
}

// hfSpecialTokens gives tok the special tokens transformers would add for the folder's
// tokenizer_config.json tc (see bosEosClasses), and says which ("" when it keeps
// tokenizer.json's, as other classes do), for the task's fingerprint.
func hfSpecialTokens(tc map[string]json.RawMessage, tok *tokenizer.Tokenizer) (string, error) {
	var class string
	json.Unmarshal(tc["tokenizer_class"], &class)
	addBOS, addEOS := boolKey(tc, "add_bos_token", true), boolKey(tc, "add_eos_token", false)
	defaults, ok := bosEosClasses[strings.TrimSuffix(class, "Fast")]
	if !ok {
		return "", nil
	}
	var prefix, suffix []int32
	for _, sp := range []struct {
		add  bool
		key  string
		raw  json.RawMessage
		def  string
		dest *[]int32
	}{{addBOS, "bos_token", tc["bos_token"], defaults[0], &prefix}, {addEOS, "eos_token", tc["eos_token"], defaults[1], &suffix}} {
		if !sp.add {
			continue
		}
		name := specialTokenName(sp.raw, sp.def)
		id, ok := tok.TokenID(name)
		if !ok {
			flag := "add_" + sp.key // add_bos_token, add_eos_token
			return "", fmt.Errorf("tokenizer_config.json: %s (tokenizer_class %s) adds %s %q, which tokenizer.json's vocabulary lacks; fix %s or set %s to false",
				flag, class, sp.key, name, sp.key, flag)
		}
		*sp.dest = []int32{id}
	}
	tok.SetSpecialTokens(prefix, suffix)
	return fmt.Sprintf("%s %v %v", class, prefix, suffix), nil
}

// specialTokenName reads a tokenizer_config.json token: a string, or an AddedToken
// object ({"content": "<s>", ...}); def when absent.
func specialTokenName(raw json.RawMessage, def string) string {
	var s string
	if json.Unmarshal(raw, &s) == nil && s != "" {
		return s
	}
	var o struct {
		Content string `json:"content"`
	}
	if json.Unmarshal(raw, &o) == nil && o.Content != "" {
		return o.Content
	}
	return def
}

// maxTokenizerBytes bounds tokenizer.json (large multilingual vocabularies are ~20 MB).
const maxTokenizerBytes = 256 << 20
