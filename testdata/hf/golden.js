// Step 2 of the Hugging Face fixtures: token ids from Hugging Face's own tokenizers (the
// Rust library, through its Node binding, npm package `tokenizers`), the reference the
// Go tokenizer (internal/tokenizer) must match id for id. Not run by CI; run by hand
// after gen_tokenizers.py:
//
//     (cd testdata/hf && npm ci && node golden.js)
//
// Corpus: the 3,000 UCI sentences (lib/data/sentiment, `make setup`), then the hard
// cases in hardcases.json, then one long text. Writes, per tokenizer in tokenizers/:
//   golden/<family>.jsonl.gz, one JSON object per corpus text:
//     ids: the encoding with special tokens, no truncation; its type ids are all 0 and
//          its attention mask all 1 (checked here, so the file need not repeat them)
//     t16: the ids truncated to max_length 16 (special tokens included)
//   golden/<family>-batches.jsonl.gz, one object per batch of 8 consecutive texts,
//     encoded together with truncation to 64 and padding to the batch's longest:
//     ids, type_ids and attention_mask per row.
// corpus.jsonl.gz holds the texts, one JSON string per line.
const fs = require('fs');
const path = require('path');
const zlib = require('zlib');
const { Tokenizer } = require('tokenizers');

const root = path.resolve(__dirname, '..', '..');
const texts = [];
for (const d of ['amazon', 'imdb', 'yelp']) {
  const rows = JSON.parse(fs.readFileSync(path.join(root, 'lib', 'data', 'sentiment', d + '.json'), 'utf8'));
  for (const r of rows) if (r.text) texts.push(r.text);
}
texts.push(...JSON.parse(fs.readFileSync(path.join(__dirname, 'hardcases.json'), 'utf8')));
texts.push(texts.slice(0, 40).join(' '));

const gz = (file, lines) => fs.writeFileSync(path.join(__dirname, file), zlib.gzipSync(lines.join('\n') + '\n', { level: 9 }));
fs.mkdirSync(path.join(__dirname, 'golden'), { recursive: true });
gz('golden/corpus.jsonl.gz', texts.map((t) => JSON.stringify(t)));

// The padding token of each family (Llama-3 has none of its own: its end of text, as
// exports commonly set).
const pads = { wordpiece: '[PAD]', bpe: '<pad>', unigram: '<pad>', llama3: '<|end_of_text|>', qwen2: '<|endoftext|>' };

(async () => {
  for (const family of Object.keys(pads)) {
    const file = path.join(__dirname, 'tokenizers', family + '.json');
    const tok = Tokenizer.fromFile(file);
    tok.save(file, false); // the form Hugging Face's library writes
    const padId = tok.tokenToId(pads[family]);
    const rows = [];
    for (const t of texts) {
      tok.disableTruncation();
      tok.disablePadding();
      const e = await tok.encode(t);
      if (e.getTypeIds().some((x) => x !== 0) || e.getAttentionMask().some((x) => x !== 1)) {
        throw new Error('unexpected type ids or mask for ' + JSON.stringify(t));
      }
      tok.setTruncation(16);
      const e16 = await tok.encode(t);
      rows.push(JSON.stringify({ ids: e.getIds(), t16: e16.getIds() }));
    }
    gz(`golden/${family}.jsonl.gz`, rows);
    const batches = [];
    tok.setTruncation(64);
    tok.setPadding({ padId, padToken: pads[family] });
    for (let i = 0; i < texts.length; i += 8) {
      const es = await tok.encodeBatch(texts.slice(i, i + 8));
      batches.push(JSON.stringify({
        ids: es.map((e) => e.getIds()),
        type_ids: es.map((e) => e.getTypeIds()),
        attention_mask: es.map((e) => e.getAttentionMask()),
      }));
    }
    gz(`golden/${family}-batches.jsonl.gz`, batches);
    console.log(family, texts.length, 'texts,', batches.length, 'batches');
  }
})();
