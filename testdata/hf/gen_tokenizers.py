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


def bpe(sentences, merges_wanted=1200):
    b2u = bytes_to_unicode()
    words = collections.Counter()
    for s in sentences + EXTRA:
        for w in re.findall(r" ?[^\W\d_]+| ?\d+| ?[^\s\w]+|\s+", s):
            words["".join(b2u[b] for b in w.encode())] += 1
    splits = {w: list(w) for w in words}
    merges = []
    vocab = ["<s>", "<pad>", "</s>", "<unk>"] + [b2u[b] for b in range(256)]
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


def main():
    s = corpus()
    for name, tok in [("wordpiece", wordpiece(s)), ("bpe", bpe(s)), ("unigram", unigram(s))]:
        os.makedirs(os.path.join(HERE, "tokenizers"), exist_ok=True)
        with open(os.path.join(HERE, "tokenizers", name + ".json"), "w") as f:
            json.dump(tok, f, ensure_ascii=False)
        print(name, "vocab", len(tok["model"]["vocab"]))


if __name__ == "__main__":
    main()
