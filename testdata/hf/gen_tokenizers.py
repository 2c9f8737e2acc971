#!/usr/bin/env python3
"""Step 1 of the Hugging Face fixtures: writes a tokenizer.json per tokenizer family,
with vocabularies built from the UCI sentences (lib/data/sentiment, `make setup`).

Not run by CI; run by hand, then `node testdata/hf/golden.js` (which re-saves each file
through Hugging Face's own tokenizers, so the committed files are in the form that
library writes) and `/usr/bin/python3 testdata/hf/gen_models.py`:

    /usr/bin/python3 testdata/hf/gen_tokenizers.py

The vocabularies are frequency lists, not trained by Hugging Face's trainers (the Node
binding does not expose them); what matters here is that the files are real
tokenizer.json files that Hugging Face's tokenizers load and run.
"""
import collections
import json
import math
import os
import re
import unicodedata

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def corpus():
    out = []
    for d in ["amazon", "imdb", "yelp"]:
        with open(os.path.join(ROOT, "lib", "data", "sentiment", d + ".json")) as f:
            out += [r["text"] for r in json.load(f) if r["text"]]
    return out


# A few words of other scripts, so that the hard cases reach real pieces too.
EXTRA = ["日本語", "中文", "東京", "привет", "мир", "хорошо", "café", "naïve", "über",
         "ünïcödé", "http", "https", "www", "com", "😀"]


def bert_words(text):
    text = unicodedata.normalize("NFD", text.lower())
    text = "".join(c for c in text if unicodedata.category(c) != "Mn")
    return re.findall(r"\w+|[^\w\s]", text)


def wordpiece(sentences):
    words = collections.Counter(w for s in sentences + EXTRA for w in bert_words(s))
    chars = sorted({c for w in words for c in w})
    suffixes = collections.Counter()
    for w, n in words.items():
        for k in (2, 3, 4):
            if len(w) > k + 1:
                suffixes[w[-k:]] += n
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    vocab += chars + ["##" + c for c in chars]
    vocab += [s for s, _ in suffixes.most_common(300) if "##" + s not in vocab and s not in vocab]
    vocab = vocab[:5 + 2 * len(chars)] + ["##" + s for s in vocab[5 + 2 * len(chars):]]
    vocab += [w for w, _ in words.most_common(1400) if w not in vocab and len(w) > 1]
    vocab += [w for w in EXTRA if w not in vocab]
    special = [{"id": i, "content": t, "single_word": False, "lstrip": False, "rstrip": False,
                "normalized": False, "special": True} for i, t in enumerate(vocab[:5])]
    return {
        "version": "1.0", "truncation": None, "padding": None, "added_tokens": special,
        "normalizer": {"type": "BertNormalizer", "clean_text": True, "handle_chinese_chars": True,
                       "strip_accents": None, "lowercase": True},
        "pre_tokenizer": {"type": "BertPreTokenizer"},
        "post_processor": {"type": "TemplateProcessing",
                           "single": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}},
                                      {"Sequence": {"id": "A", "type_id": 0}},
                                      {"SpecialToken": {"id": "[SEP]", "type_id": 0}}],
                           "pair": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}},
                                    {"Sequence": {"id": "A", "type_id": 0}},
                                    {"SpecialToken": {"id": "[SEP]", "type_id": 0}},
                                    {"Sequence": {"id": "B", "type_id": 1}},
                                    {"SpecialToken": {"id": "[SEP]", "type_id": 1}}],
                           "special_tokens": {"[CLS]": {"id": "[CLS]", "ids": [2], "tokens": ["[CLS]"]},
                                              "[SEP]": {"id": "[SEP]", "ids": [3], "tokens": ["[SEP]"]}}},
        "decoder": {"type": "WordPiece", "prefix": "##", "cleanup": True},
        "model": {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##",
                  "max_input_chars_per_word": 100, "vocab": {t: i for i, t in enumerate(vocab)}},
    }


def bytes_to_unicode():
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, map(chr, cs)))


# GPT-2's pre-tokenizer, as Python's re approximates it (enough for a vocabulary).
GPT2_WORDS = r" ?[^\W\d_]+| ?\d+| ?[^\s\w]+|\s+"


def learn_merges(sentences, words_re, merges_wanted):
    """Byte-level BPE merges by pair frequency over the words words_re cuts; returns the
    byte characters then the merged tokens, the merges, and the words with counts."""
    b2u = bytes_to_unicode()
    words = collections.Counter()
    for s in sentences + EXTRA:
        for w in re.findall(words_re, s):
            words["".join(b2u[b] for b in w.encode())] += 1
    splits = {w: list(w) for w in words}
    merges = []
    vocab = [b2u[b] for b in range(256)]
    for _ in range(merges_wanted):
        pairs = collections.Counter()
        for w, n in words.items():
            p = splits[w]
            for a, b in zip(p, p[1:]):
                pairs[a, b] += n
        if not pairs:
            break
        (a, b), n = max(pairs.items(), key=lambda kv: (kv[1], kv[0]))
        if n < 2:
            break
        merges.append(a + " " + b)
        vocab.append(a + b)
        for w in words:
            p, i, out = splits[w], 0, []
            while i < len(p):
                if i + 1 < len(p) and p[i] == a and p[i + 1] == b:
                    out.append(a + b)
                    i += 2
                else:
                    out.append(p[i])
                    i += 1
            splits[w] = out
    return vocab, merges, words


def bpe(sentences, merges_wanted=1200):
    pieces, merges, _ = learn_merges(sentences, GPT2_WORDS, merges_wanted)
    vocab = ["<s>", "<pad>", "</s>", "<unk>"] + pieces
    vocab.append("<mask>")
    special = [{"id": vocab.index(t), "content": t, "single_word": False, "lstrip": t == "<mask>",
                "rstrip": False, "normalized": False, "special": True}
               for t in ["<s>", "<pad>", "</s>", "<unk>", "<mask>"]]
    return {
        "version": "1.0", "truncation": None, "padding": None, "added_tokens": special,
        "normalizer": None,
        "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True},
        "post_processor": {"type": "RobertaProcessing", "sep": ["</s>", 2], "cls": ["<s>", 0],
                           "trim_offsets": True, "add_prefix_space": False},
        "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
        "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": "",
                  "end_of_word_suffix": "", "fuse_unk": False, "byte_fallback": False,
                  "ignore_merges": False, "vocab": {t: i for i, t in enumerate(vocab)}, "merges": merges},
    }


def unigram(sentences, size=1500):
    """Pieces by frequency (whole words with the ▁ marker, their prefixes and suffixes,
    every character) scored by log frequency, as a SentencePiece unigram model scores."""
    counts = collections.Counter()
    for s in sentences + EXTRA:
        s = unicodedata.normalize("NFKC", s)
        for w in s.split():
            w = "▁" + w
            counts[w] += 1
            for k in range(1, min(len(w), 8) + 1):
                counts[w[:k]] += 1
                counts[w[-k:]] += 1
    chars = {c for p in counts for c in p}
    pieces = [p for p, _ in counts.most_common(size)]
    pieces += sorted(c for c in chars if c not in pieces)
    total = sum(counts[p] for p in pieces)
    vocab = [["<s>", 0.0], ["<pad>", 0.0], ["</s>", 0.0], ["<unk>", 0.0]]
    vocab += [[p, round(math.log(max(counts[p], 1) / total), 6)] for p in pieces]
    vocab.append(["<mask>", 0.0])
    special = [{"id": i, "content": t, "single_word": False, "lstrip": False, "rstrip": False,
                "normalized": False, "special": True} for i, t in enumerate(["<s>", "<pad>", "</s>", "<unk>"])]
    special.append({"id": len(vocab) - 1, "content": "<mask>", "single_word": False, "lstrip": True,
                    "rstrip": False, "normalized": False, "special": True})
    return {
        "version": "1.0", "truncation": None, "padding": None, "added_tokens": special,
        "normalizer": {"type": "Sequence", "normalizers": [
            {"type": "NFKC"},
            {"type": "Replace", "pattern": {"Regex": " {2,}"}, "content": " "}]},
        "pre_tokenizer": {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "always", "split": True},
        "post_processor": {"type": "TemplateProcessing",
                           "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}},
                                      {"Sequence": {"id": "A", "type_id": 0}},
                                      {"SpecialToken": {"id": "</s>", "type_id": 0}}],
                           "pair": [{"SpecialToken": {"id": "<s>", "type_id": 0}},
                                    {"Sequence": {"id": "A", "type_id": 0}},
                                    {"SpecialToken": {"id": "</s>", "type_id": 0}},
                                    {"SpecialToken": {"id": "</s>", "type_id": 0}},
                                    {"Sequence": {"id": "B", "type_id": 0}},
                                    {"SpecialToken": {"id": "</s>", "type_id": 0}}],
                           "special_tokens": {"<s>": {"id": "<s>", "ids": [0], "tokens": ["<s>"]},
                                              "</s>": {"id": "</s>", "ids": [2], "tokens": ["</s>"]}}},
        "decoder": {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "always", "split": True},
        "model": {"type": "Unigram", "unk_id": 3, "vocab": vocab, "byte_fallback": False},
    }


# The pre-tokenizer regular expressions of Llama-3 and Qwen2 (their tokenizer.json), and
# what Python's re makes of them for a vocabulary (\w for \p{L}\p{N}).
LLAMA3_SPLIT = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}"
                r"| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+")
QWEN2_SPLIT = LLAMA3_SPLIT.replace(r"\p{N}{1,3}", r"\p{N}")
LLAMA3_WORDS = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\w]?[^\W\d_]+|\d{1,3}"
                r"| ?[^\s\w]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+")
QWEN2_WORDS = LLAMA3_WORDS.replace(r"\d{1,3}", r"\d")


def apply_merges(word, merges):
    """The BPE model's tokens for word without ignore_merges: lowest rank first."""
    rank = {tuple(m.split(" ")): i for i, m in enumerate(merges)}
    p = list(word)
    while len(p) > 1:
        best = min(range(len(p) - 1), key=lambda i: rank.get((p[i], p[i + 1]), len(rank)))
        if (p[best], p[best + 1]) not in rank:
            break
        p[best:best + 2] = [p[best] + p[best + 1]]
    return p


def modern_bpe(sentences, split_re, words_re, specials, ignore_merges, merges_wanted=1500):
    """A Llama-3 / Qwen2 layout: a Split (their regex, Isolated) then ByteLevel without
    its own regex, a byte-level BPE, the special tokens after the vocabulary as
    added tokens. With ignore_merges, frequent words the merges do not reach are in the
    vocabulary too (as in Llama-3's), so a word looked up whole gets other ids."""
    vocab, merges, words = learn_merges(sentences, words_re, merges_wanted)
    if ignore_merges:
        have = set(vocab)
        whole = [w for w, _ in words.most_common() if len(w) > 2 and w not in have and len(apply_merges(w, merges)) > 1]
        vocab += whole[:150]
    special = [{"id": len(vocab) + i, "content": t, "single_word": False, "lstrip": False, "rstrip": False,
                "normalized": False, "special": True} for i, t in enumerate(specials)]
    return {
        "version": "1.0", "truncation": None, "padding": None, "added_tokens": special,
        "normalizer": None,
        "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
            {"type": "Split", "pattern": {"Regex": split_re}, "behavior": "Isolated", "invert": False},
            {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": False}]},
        "post_processor": None,
        "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
        "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": None,
                  "end_of_word_suffix": None, "fuse_unk": False, "byte_fallback": False,
                  "ignore_merges": ignore_merges, "vocab": {t: i for i, t in enumerate(vocab)}, "merges": merges},
    }


def llama3(sentences):
    tok = modern_bpe(sentences, LLAMA3_SPLIT, LLAMA3_WORDS, ["<|begin_of_text|>", "<|end_of_text|>",
                     "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"], True)
    bos = {"id": "<|begin_of_text|>", "ids": [tok["added_tokens"][0]["id"]], "tokens": ["<|begin_of_text|>"]}
    tok["post_processor"] = {"type": "Sequence", "processors": [
        {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": False, "use_regex": True},
        {"type": "TemplateProcessing",
         "single": [{"SpecialToken": {"id": "<|begin_of_text|>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
         "pair": [{"SpecialToken": {"id": "<|begin_of_text|>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                  {"SpecialToken": {"id": "<|begin_of_text|>", "type_id": 1}}, {"Sequence": {"id": "B", "type_id": 1}}],
         "special_tokens": {"<|begin_of_text|>": bos}}]}
    return tok


def qwen2(sentences):
    tok = modern_bpe(sentences, QWEN2_SPLIT, QWEN2_WORDS, ["<|endoftext|>", "<|im_start|>", "<|im_end|>"], False)
    tok["normalizer"] = {"type": "NFC"}
    tok["pre_tokenizer"]["pretokenizers"][1]["trim_offsets"] = False
    tok["post_processor"] = {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False, "use_regex": False}
    tok["decoder"] = {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False, "use_regex": False}
    return tok


def main():
    s = corpus()
    for name, tok in [("wordpiece", wordpiece(s)), ("bpe", bpe(s)), ("unigram", unigram(s)),
                      ("llama3", llama3(s)), ("qwen2", qwen2(s))]:
        os.makedirs(os.path.join(HERE, "tokenizers"), exist_ok=True)
        with open(os.path.join(HERE, "tokenizers", name + ".json"), "w") as f:
            json.dump(tok, f, ensure_ascii=False)
        print(name, "vocab", len(tok["model"]["vocab"]))


if __name__ == "__main__":
    main()
