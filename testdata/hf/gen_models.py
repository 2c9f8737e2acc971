#!/usr/bin/env python3
"""Step 3 of the Hugging Face fixtures: tiny transformer models in Hugging Face folder
layouts, exported with torch.onnx.export, and PyTorch's own outputs for them.

Not run by CI; run by hand (Debian 12: apt-get install -y python3-torch python3-onnx)
after gen_tokenizers.py and golden.js, whose token ids it reads:

    /usr/bin/python3 testdata/hf/gen_models.py

With names as arguments (e.g. llama_sentiment qwen_nopad) it writes only those folders.

Writes testdata/hf/models/<name>/ with config.json, tokenizer.json (a copy of
tokenizers/<family>.json), sometimes tokenizer_config.json, the model (onnx/model.onnx,
as transformers.js lays it out, or model.onnx, as Optimum does) and expected.json:
the texts (the hard cases, 40 UCI sentences and the long text) and PyTorch's outputs for
each text run alone, unpadded (labels, confidences and every probability for classifiers,
null for a text of no tokens; mean- and CLS-pooled, L2-normalised embeddings for
embedders). The decoder classifiers (Llama-3 and Qwen2 style) pool the last token.
"""
import gzip
import json
import math
import os
import shutil
import sys

import torch
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
MAX_LEN = 128


def jsonl(name):
    with gzip.open(os.path.join(HERE, "golden", name), "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f]


class Layer(nn.Module):
    def __init__(self, hidden, heads, inter):
        super().__init__()
        self.heads = heads
        self.q, self.k, self.v = nn.Linear(hidden, hidden), nn.Linear(hidden, hidden), nn.Linear(hidden, hidden)
        self.o = nn.Linear(hidden, hidden)
        self.ln1, self.ln2 = nn.LayerNorm(hidden, eps=1e-12), nn.LayerNorm(hidden, eps=1e-12)
        self.ff = nn.Sequential(nn.Linear(hidden, inter), nn.GELU(), nn.Linear(inter, hidden))

    def forward(self, x, bias):
        n, s, h = x.shape
        d = h // self.heads

        def split(t):
            return t.view(n, s, self.heads, d).transpose(1, 2)

        att = torch.matmul(split(self.q(x)), split(self.k(x)).transpose(-1, -2)) / math.sqrt(d) + bias
        ctx = torch.matmul(att.softmax(-1), split(self.v(x))).transpose(1, 2).reshape(n, s, h)
        x = self.ln1(x + self.o(ctx))
        return self.ln2(x + self.ff(x))


class Encoder(nn.Module):
    """BERT's encoder (roberta=True: RoBERTa's position ids, counted from the padding
    id over non-padding tokens, and no token types)."""

    def __init__(self, vocab, pad, roberta=False, hidden=32, layers=2, heads=2, inter=64):
        super().__init__()
        self.pad, self.roberta = pad, roberta
        self.word = nn.Embedding(vocab, hidden, padding_idx=pad)
        self.pos = nn.Embedding(MAX_LEN + 2, hidden)
        self.typ = None if roberta else nn.Embedding(2, hidden)
        self.ln = nn.LayerNorm(hidden, eps=1e-12)
        self.layers = nn.ModuleList([Layer(hidden, heads, inter) for _ in range(layers)])

    def forward(self, input_ids, attention_mask, token_type_ids=None):
        if self.roberta:
            m = input_ids.ne(self.pad).long()
            pos = torch.cumsum(m, 1) * m + self.pad
        else:
            pos = torch.cumsum(torch.ones_like(input_ids), 1) - 1
        x = self.word(input_ids) + self.pos(pos)
        if self.typ is not None:
            x = x + self.typ(token_type_ids)
        x = self.ln(x)
        bias = (1.0 - attention_mask[:, None, None, :].float()) * -10000.0
        for layer in self.layers:
            x = layer(x, bias)
        return x


class Classifier(nn.Module):
    def __init__(self, enc, labels):
        super().__init__()
        self.enc = enc
        self.head = nn.Sequential(nn.Linear(32, 32), nn.Tanh(), nn.Linear(32, labels))

    def forward(self, *args):
        return self.head(self.enc(*args)[:, 0])


class Embedder(nn.Module):
    def __init__(self, enc):
        super().__init__()
        self.enc = enc

    def forward(self, *args):
        return self.enc(*args)


class RMSNorm(nn.Module):
    def __init__(self, hidden, eps=1e-6):
        super().__init__()
        self.weight, self.eps = nn.Parameter(torch.ones(hidden)), eps

    def forward(self, x):
        return self.weight * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps))


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), -1)


class DecoderLayer(nn.Module):
    """A Llama decoder layer (qkv_bias: Qwen2's, whose q, k and v projections have
    biases): pre-RMSNorm causal self-attention with rotary positions, then a SwiGLU MLP."""

    def __init__(self, hidden, heads, inter, qkv_bias):
        super().__init__()
        self.heads = heads
        self.q, self.k, self.v = (nn.Linear(hidden, hidden, bias=qkv_bias) for _ in range(3))
        self.o = nn.Linear(hidden, hidden, bias=False)
        self.gate, self.up = nn.Linear(hidden, inter, bias=False), nn.Linear(hidden, inter, bias=False)
        self.down = nn.Linear(inter, hidden, bias=False)
        self.norm1, self.norm2 = RMSNorm(hidden), RMSNorm(hidden)

    def forward(self, x, cos, sin, bias):
        n, s, h = x.shape
        d = h // self.heads

        def split(t):
            return t.view(n, s, self.heads, d).transpose(1, 2)

        y = self.norm1(x)
        q, k = split(self.q(y)), split(self.k(y))
        q, k = q * cos + rotate_half(q) * sin, k * cos + rotate_half(k) * sin
        att = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(d) + bias
        ctx = torch.matmul(att.softmax(-1), split(self.v(y))).transpose(1, 2).reshape(n, s, h)
        x = x + self.o(ctx)
        y = self.norm2(x)
        return x + self.down(nn.functional.silu(self.gate(y)) * self.up(y))


class Decoder(nn.Module):
    """Llama's (and Qwen2's) decoder stack: token embedding, causal layers with RoPE,
    a final RMSNorm. Without position_ids the positions are 0..seq_len-1, as
    transformers makes them without a cache."""

    def __init__(self, vocab, qkv_bias=False, theta=10000.0, hidden=32, layers=2, heads=2, inter=64):
        super().__init__()
        self.embed = nn.Embedding(vocab, hidden)
        self.layers = nn.ModuleList([DecoderLayer(hidden, heads, inter, qkv_bias) for _ in range(layers)])
        self.norm = RMSNorm(hidden)
        d = hidden // heads
        self.register_buffer("inv_freq", 1.0 / theta ** (torch.arange(0, d, 2).float() / d), persistent=False)

    def forward(self, input_ids, attention_mask, position_ids=None):
        n, s = input_ids.shape
        if position_ids is None:
            position_ids = torch.arange(s).unsqueeze(0).expand(n, s)
        freqs = position_ids[:, :, None].float() * self.inv_freq
        emb = torch.cat((freqs, freqs), -1)[:, None]
        cos, sin = emb.cos(), emb.sin()
        causal = torch.ones(s, s, dtype=torch.bool).tril()
        allowed = causal[None, None] & attention_mask[:, None, None, :].bool()
        bias = (1.0 - allowed.float()) * -1e9
        x = self.embed(input_ids)
        for layer in self.layers:
            x = layer(x, cos, sin, bias)
        return self.norm(x)


class DecoderClassifier(nn.Module):
    """LlamaForSequenceClassification / Qwen2ForSequenceClassification: a score head
    without bias on every position, pooled at the last token. With pad (config's
    pad_token_id) that is transformers' (>= 4.47) last non-padding token, so left- and
    right-padded batches both work; without, transformers takes the last position (and
    refuses batches > 1), which an ONNX export traces as just that."""

    def __init__(self, dec, labels, pad, hidden=32):
        super().__init__()
        self.dec, self.pad = dec, pad
        self.score = nn.Linear(hidden, labels, bias=False)

    def forward(self, input_ids, attention_mask, position_ids=None):
        logits = self.score(self.dec(input_ids, attention_mask, position_ids))
        if self.pad is None:
            return logits[:, -1]
        non_pad = (input_ids != self.pad).int()
        token_indices = torch.arange(input_ids.shape[-1], dtype=torch.int32)
        last = (token_indices * non_pad).argmax(-1)
        return logits[torch.arange(input_ids.shape[0]), last]


def train_decoder(model, rows, labels, pad, epochs=3):
    """Trains with right-padded batches, pooled at each row's last real token (what the
    exported model does with pad, whatever its export rule)."""
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    for epoch in range(epochs):
        g = torch.Generator().manual_seed(epoch)
        order = torch.randperm(len(rows), generator=g).tolist()
        for i in range(0, len(order), 32):
            batch = [rows[j][:64] for j in order[i:i + 32]]
            width = max(len(b) for b in batch)
            ids = torch.tensor([b + [pad] * (width - len(b)) for b in batch])
            mask = torch.tensor([[1] * len(b) + [0] * (width - len(b)) for b in batch])
            y = torch.tensor([labels[j] for j in order[i:i + 32]])
            logits = model.score(model.dec(ids, mask))
            pooled = logits[torch.arange(len(batch)), mask.sum(-1) - 1]
            loss = nn.functional.cross_entropy(pooled, y)
            opt.zero_grad()
            loss.backward()
            opt.step()


def truncate(ids, suffix=True):
    """Hugging Face's truncation to MAX_LEN: a trailing special token ([SEP], </s>) is
    kept; decoder tokenizers (suffix=False) add none, so the first MAX_LEN ids stay."""
    if len(ids) <= MAX_LEN:
        return ids
    return ids[:MAX_LEN - 1] + ids[-1:] if suffix else ids[:MAX_LEN]


def train(model, rows, labels, epochs=6):
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    for epoch in range(epochs):
        g = torch.Generator().manual_seed(epoch)
        order = torch.randperm(len(rows), generator=g).tolist()
        for i in range(0, len(order), 32):
            batch = [rows[j][:64] for j in order[i:i + 32]]
            width = max(len(b) for b in batch)
            ids = torch.tensor([b + [0] * (width - len(b)) for b in batch])
            mask = torch.tensor([[1] * len(b) + [0] * (width - len(b)) for b in batch])
            y = torch.tensor([labels[j] for j in order[i:i + 32]])
            loss = nn.functional.cross_entropy(model(ids, mask, torch.zeros_like(ids)), y)
            opt.zero_grad()
            loss.backward()
            opt.step()


def export(model, folder, path, input_names, output_name, vocab):
    model.eval()
    ids = torch.tensor([[2, 10, 11, 3], [2, 12, 3, 0]])
    args = (ids, torch.tensor([[1, 1, 1, 1], [1, 1, 1, 0]]))
    if "token_type_ids" in input_names:
        args += (torch.zeros_like(ids),)
    if "position_ids" in input_names:
        args += (torch.arange(4).expand(2, 4),)
    axes = {n: {0: "batch", 1: "sequence"} for n in input_names}
    axes[output_name] = {0: "batch", 1: "sequence"} if output_name == "last_hidden_state" else {0: "batch"}
    out = os.path.join(folder, path)
    os.makedirs(os.path.dirname(out), exist_ok=True)
    torch.onnx.export(model, args, out, input_names=input_names, output_names=[output_name],
                      dynamic_axes=axes, opset_version=14)


def run(model, ids, with_types, with_positions=False):
    ids_t = torch.tensor([ids])
    args = (ids_t, torch.ones_like(ids_t))
    if with_types:
        args += (torch.zeros_like(ids_t),)
    if with_positions:
        args += (torch.arange(len(ids)).unsqueeze(0),)
    with torch.no_grad():
        return model(*args)[0]


def fixture(name, family, model, config, path, input_names, output_name, tok_config=None, texts=None, ids=None):
    folder = os.path.join(HERE, "models", name)
    shutil.rmtree(folder, ignore_errors=True)
    os.makedirs(folder)
    shutil.copy(os.path.join(HERE, "tokenizers", family + ".json"), os.path.join(folder, "tokenizer.json"))
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
        f.write("\n")
    if tok_config:
        with open(os.path.join(folder, "tokenizer_config.json"), "w") as f:
            json.dump(tok_config, f, indent=2)
            f.write("\n")
    export(model, folder, path, input_names, output_name, config["vocab_size"])
    exp = {"texts": texts}
    with_types, with_positions = "token_type_ids" in input_names, "position_ids" in input_names
    suffix = not isinstance(model, DecoderClassifier)
    if output_name == "logits":
        id2label = config["id2label"]
        multi = config.get("problem_type") == "multi_label_classification"
        exp.update(predicted_class=[], confidence=[], probabilities=[])
        for row in ids:
            if not row:
                # No tokens (an empty text, with a tokenizer that adds none): PyTorch
                # has no answer to give.
                for k in ("predicted_class", "confidence", "probabilities"):
                    exp[k].append(None)
                continue
            logits = run(model, truncate(row, suffix), with_types, with_positions)
            p = torch.sigmoid(logits) if multi else torch.softmax(logits, -1)
            best = int(torch.argmax(logits))
            exp["predicted_class"].append(id2label[str(best)])
            exp["confidence"].append(float(p[best]))
            exp["probabilities"].append([float(x) for x in p])
    else:
        exp.update(mean=[], cls=[], mean_raw=[])
        for row in ids:
            h = run(model, truncate(row), with_types)
            mean = h.mean(0)
            exp["mean_raw"].append([float(x) for x in mean])
            exp["mean"].append([float(x) for x in mean / mean.norm()])
            exp["cls"].append([float(x) for x in h[0] / h[0].norm()])
    with open(os.path.join(folder, "expected.json"), "w") as f:
        json.dump(exp, f, ensure_ascii=False)
        f.write("\n")
    print(name, os.path.getsize(os.path.join(folder, path)), "bytes")


def main(only):
    corpus = jsonl("corpus.jsonl.gz")
    n_uci = 3000
    # The fixtures were made with the first 27 hard cases and the long text (the last);
    # hard cases added since (for other families) leave them as they are.
    pick = list(range(n_uci, n_uci + 27)) + [len(corpus) - 1] + list(range(0, n_uci, 75))
    texts = [corpus[i] for i in pick]
    labels = []
    for d in ["amazon", "imdb", "yelp"]:
        with open(os.path.join(ROOT, "lib", "data", "sentiment", d + ".json")) as f:
            labels += [r["class"] for r in json.load(f) if r["text"]]

    if not only:
        encoders(texts, pick, labels, n_uci)
    decoders(texts, pick, labels, n_uci, only)


def encoders(texts, pick, labels, n_uci):
    wp = [r["ids"] for r in jsonl("wordpiece.jsonl.gz")]
    vocab = json.load(open(os.path.join(HERE, "tokenizers", "wordpiece.json")))["model"]["vocab"]
    torch.manual_seed(0)
    clf = Classifier(Encoder(len(vocab), pad=0), 2)
    train(clf, wp[:n_uci], labels)
    bert = {"model_type": "bert", "vocab_size": len(vocab), "hidden_size": 32, "num_hidden_layers": 2,
            "max_position_embeddings": MAX_LEN, "pad_token_id": 0, "type_vocab_size": 2}
    fixture("bert_sentiment", "wordpiece", clf,
            dict(bert, architectures=["BertForSequenceClassification"], id2label={"0": "negative", "1": "positive"},
                 label2id={"negative": 0, "positive": 1}),
            "model.onnx", ["input_ids", "attention_mask", "token_type_ids"], "logits",
            tok_config={"model_max_length": MAX_LEN, "do_lower_case": True}, texts=texts, ids=[wp[i] for i in pick])
    fixture("bert_embed", "wordpiece", Embedder(clf.enc), dict(bert, architectures=["BertModel"]),
            "onnx/model.onnx", ["input_ids", "attention_mask", "token_type_ids"], "last_hidden_state",
            texts=texts, ids=[wp[i] for i in pick])

    bp = [r["ids"] for r in jsonl("bpe.jsonl.gz")]
    bvocab = json.load(open(os.path.join(HERE, "tokenizers", "bpe.json")))["model"]["vocab"]
    torch.manual_seed(1)
    rob = Classifier(Encoder(len(bvocab), pad=1, roberta=True), 3)
    fixture("roberta_topics", "bpe", rob,
            {"model_type": "roberta", "architectures": ["RobertaForSequenceClassification"], "vocab_size": len(bvocab),
             "hidden_size": 32, "max_position_embeddings": MAX_LEN + 2, "pad_token_id": 1,
             "problem_type": "multi_label_classification",
             "id2label": {"0": "service", "1": "food", "2": "price"}, "label2id": {"service": 0, "food": 1, "price": 2}},
            "onnx/model.onnx", ["input_ids", "attention_mask"], "logits",
            tok_config={"model_max_length": MAX_LEN}, texts=texts, ids=[bp[i] for i in pick])

    ug = [r["ids"] for r in jsonl("unigram.jsonl.gz")]
    uvocab = json.load(open(os.path.join(HERE, "tokenizers", "unigram.json")))["model"]["vocab"]
    torch.manual_seed(2)
    xlmr = Embedder(Encoder(len(uvocab), pad=1, roberta=True))
    fixture("xlmr_embed", "unigram", xlmr,
            {"model_type": "xlm-roberta", "architectures": ["XLMRobertaModel"], "vocab_size": len(uvocab),
             "hidden_size": 32, "max_position_embeddings": MAX_LEN + 2, "pad_token_id": 1},
            "model.onnx", ["input_ids", "attention_mask"], "last_hidden_state",
            tok_config={"model_max_length": MAX_LEN}, texts=texts, ids=[ug[i] for i in pick])


def decoders(texts, pick, labels, n_uci, only):
    """Llama-3 and Qwen2 style sequence classifiers, pooled at the last token."""
    sentiment = {"id2label": {"0": "negative", "1": "positive"}, "label2id": {"negative": 0, "positive": 1}}
    if not only or "llama_sentiment" in only:
        # A fine-tuned Llama-3 classifier: the tokenizer has no padding token, so
        # pad_token_id is set to <|end_of_text|> (as fine-tuning scripts do). Its
        # tokenizer_config.json asks for left padding, as Llama tokenizers often do.
        ll = [r["ids"] for r in jsonl("llama3.jsonl.gz")]
        tok = json.load(open(os.path.join(HERE, "tokenizers", "llama3.json")))
        vocab = len(tok["model"]["vocab"]) + len(tok["added_tokens"])
        pad = next(a["id"] for a in tok["added_tokens"] if a["content"] == "<|end_of_text|>")
        torch.manual_seed(3)
        clf = DecoderClassifier(Decoder(vocab), 2, pad)
        train_decoder(clf, ll[:n_uci], labels, pad)
        fixture("llama_sentiment", "llama3", clf,
                dict({"model_type": "llama", "architectures": ["LlamaForSequenceClassification"], "vocab_size": vocab,
                      "hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 2, "intermediate_size": 64,
                      "max_position_embeddings": 131072, "rope_theta": 10000.0, "rms_norm_eps": 1e-6,
                      "bos_token_id": ll[0][0], "eos_token_id": pad, "pad_token_id": pad}, **sentiment),
                "onnx/model.onnx", ["input_ids", "attention_mask"], "logits",
                tok_config={"model_max_length": MAX_LEN, "padding_side": "left"}, texts=texts, ids=[ll[i] for i in pick])
    if not only or "qwen_nopad" in only:
        # A Qwen2 classifier whose config.json has no pad_token_id (as Qwen2's own
        # configs have none): transformers pools the last position, and so does the
        # export. It takes position_ids too.
        qw = [r["ids"] for r in jsonl("qwen2.jsonl.gz")]
        tok = json.load(open(os.path.join(HERE, "tokenizers", "qwen2.json")))
        vocab = len(tok["model"]["vocab"]) + len(tok["added_tokens"])
        eot = next(a["id"] for a in tok["added_tokens"] if a["content"] == "<|endoftext|>")
        torch.manual_seed(4)
        clf = DecoderClassifier(Decoder(vocab, qkv_bias=True, theta=1000000.0), 2, None)
        train_decoder(clf, qw[:n_uci], labels, eot)
        fixture("qwen_nopad", "qwen2", clf,
                dict({"model_type": "qwen2", "architectures": ["Qwen2ForSequenceClassification"], "vocab_size": vocab,
                      "hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 2, "intermediate_size": 64,
                      "max_position_embeddings": MAX_LEN, "rope_theta": 1000000.0, "rms_norm_eps": 1e-6,
                      "eos_token_id": eot}, **sentiment),
                "model.onnx", ["input_ids", "attention_mask", "position_ids"], "logits",
                texts=texts, ids=[qw[i] for i in pick])


if __name__ == "__main__":
    main(sys.argv[1:])
