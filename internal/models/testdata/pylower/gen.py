#!/usr/bin/env python3
"""Writes pairs.jsonl: [text, text.lower()] under CPython's str.lower(), which
sentence-transformers' Transformer.tokenize applies under do_lower_case. The texts mix
the characters where Python's full lowercase differs from a per-character one (capital
sigma at a word's end, U+0130) with cased, case-ignorable and other neighbours.
Run: python3 gen.py > pairs.jsonl (made with Python 3.11)."""
import json
import random

random.seed(7)
alphabet = list("ΣσςΑαΒ .:'·\u0301\u00ad-1İiIıŞş\u02b0\u2019Ǆǅ\u0345")
cases = ["ΟΔΟΣ ΚΑΙ ΣΟΦΙΑ", "İstanbul", "Σ", "ΑΣ", "ΑΣΑ", "Α.Σ", "Α.Σ.Α", "ΑΣ\u0301", "ΑΣ\u0301Α", "ǅΣ", "1Σ", "Σ1", "ΑΣ1"]
for _ in range(600):
    cases.append("".join(random.choice(alphabet) for _ in range(random.randint(1, 8))))
for c in cases:
    print(json.dumps([c, c.lower()], ensure_ascii=False))
