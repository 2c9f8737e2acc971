// Package tokenizer reads a Hugging Face tokenizer.json and turns text into the token
// ids the model was trained with, exactly as Hugging Face's own (Rust) tokenizers do:
// WordPiece (BERT, DistilBERT), byte-level BPE (RoBERTa, GPT-2, and Llama-3 and Qwen2
// with their Split pre-tokenizer) and Unigram (XLM-R, T5 style, with Metaspace), their
// normalizers, pre-tokenizers, added (special) tokens, post-processor templates and
// truncation. Golden files made with the reference implementation
// (testdata/hf/golden.js) prove the ids.
//
// It must not know about models, sessions or SQL: it takes a string and returns ids.
// A component it does not implement is an error at Parse that names the component and
// lists the supported ones, never a silent approximation.
package tokenizer
