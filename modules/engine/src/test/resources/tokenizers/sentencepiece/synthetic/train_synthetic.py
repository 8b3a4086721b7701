#!/usr/bin/python3
"""Trains the small models in this folder with the SentencePiece library (Debian
python3-sentencepiece 0.1.97): run it here, `/usr/bin/python3 train_synthetic.py`.

Each model covers encoder features the real models here do not use:
  unigram_nfkc    Unigram, nmt_nfkc character map, user-defined and control pieces, no byte fallback
  unigram_suffix  Unigram, identity, treat_whitespace_as_suffix, remove_extra_whitespaces off
  unigram_unused  unigram_suffix with pieces 261, 266, 273, 277 turned UNUSED (mark_unused.py)
  bpe_rules       BPE, custom rules.tsv character map, denorm.tsv denormaliser, no dummy prefix,
                  user-defined pieces, no byte fallback
  bpe_unused      bpe_rules with pieces 9, 10, 13, 18, 38 turned UNUSED
corpus.txt holds the stories260K and LLM-jp reference texts, the two LICENSE texts and a few
lines with full-width letters, ligatures and the user-defined symbols.
"""
import subprocess
import sys

import sentencepiece as spm

COMMON = dict(input="corpus.txt", num_threads=1, hard_vocab_limit=False, minloglevel=2,
              seed_sentencepiece_size=10000)

spm.SentencePieceTrainer.train(
    model_prefix="unigram_nfkc", model_type="unigram", vocab_size=400,
    normalization_rule_name="nmt_nfkc", user_defined_symbols=["<user>", "@@", "\ufb01x"],
    control_symbols=["<ctl>"], byte_fallback=False, character_coverage=0.98, **COMMON)
spm.SentencePieceTrainer.train(
    model_prefix="unigram_suffix", model_type="unigram", vocab_size=700, character_coverage=0.98,
    normalization_rule_name="identity", remove_extra_whitespaces=False,
    treat_whitespace_as_suffix=True, byte_fallback=True, **COMMON)
spm.SentencePieceTrainer.train(
    model_prefix="bpe_rules", model_type="bpe", vocab_size=300,
    normalization_rule_tsv="rules.tsv", denormalization_rule_tsv="denorm.tsv",
    add_dummy_prefix=False, user_defined_symbols=["<user>", "@@"], byte_fallback=False,
    character_coverage=0.98, **COMMON)
for src, dst, ids in [("unigram_suffix.model", "unigram_unused.model", "261,266,273,277"),
                      ("bpe_rules.model", "bpe_unused.model", "9,10,13,18,38")]:
    subprocess.run([sys.executable, "mark_unused.py", src, dst, ids], check=True)
