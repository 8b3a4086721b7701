#!/usr/bin/python3
"""Writes library_cases.json: encodings and decodings produced by the SentencePiece library.

Run with Debian's python3-sentencepiece 0.1.97 (apt-get install python3-sentencepiece):
    /usr/bin/python3 generate_library_cases.py MODEL_DIR OUT.json
where MODEL_DIR holds the .model files named below. The texts are hand-picked edge cases plus
seeded random strings, so the output is the same on every run with the same library.
"""
import json
import random
import sys

import sentencepiece as spm

MODELS = [
    "stories260K/tok512.model",
    "llm-jp/llm-jp-tokenizer-100k.ver3.0b1.model",
    "llm-jp/llm-jp-tokenizer-100k.ver3.1.model",
    "llm-jp/code10k_en20k_ja30k.ver2.1.model",
    "synthetic/unigram_nfkc.model",
    "synthetic/unigram_suffix.model",
    "synthetic/unigram_unused.model",
    "synthetic/bpe_rules.model",
    "synthetic/bpe_unused.model",
]

EDGE = [
    "", " ", "   ", "\t", "\n", "a", " a", "a ", "  a  b  ", "a  b", "a\tb", "a\nb", "a \n b",
    "Hello world", "Hello  world", " Hello world ", "hello\u3000world", "\u2581", "\u2581a", "a\u2581b",
    "<s>", "</s>", "<unk>", "<pad>", "<0x41>", "<MASK>", "<PAD>", "<EOD>", "\x00", "a\x00b",
    "\ufffd", "\u00e9", "e\u0301", "\U0001F999", "\U0001F468\u200D\U0001F469\u200D\U0001F467",
    "\U00020BB7\u91ce\u5bb6", "\uff21\uff22\uff23", "\uff11\uff12\uff13", "2024\u5e741\u67081\u65e5",
    "0123456789", "12345678901234567890", "Once upon a time", "Once upon a time, there was a little girl named Lily.",
    "\u3053\u3093\u306b\u3061\u306f\u4e16\u754c", "\u30ab\u30bf\u30ab\u30ca", "\ud55c\uad6d\uc5b4 \ud14d\uc2a4\ud2b8",
    "\u0645\u0631\u062d\u0628\u0627", "\u041f\u0440\u0438\u0432\u0435\u0442", "\u00a0", "a\u00a0b", "\u200b",
    "if (x) {\n\treturn y;\n}", "    indented", "trailing   ", "!!!???...", "http://example.com/a_b-c?d=e",
    "\u2460\u2461", "\u3231", "\u2122", "\ufb01", "\u00bd", "A" * 50, "\u3042" * 30, "ab" * 25,
    "aaa", "aaaaa", "eee", "ababab", "the nation works in here", "License and the rules",
    "\uff21\uff22\uff23\u2460\ufb01x <user>@@ caf\u00e9  x\tz", "<user><user>", "@@@", "a\u0301b", "x<ctl>y",
    "\ufb01x \ufb01", "  \t  a", "\t\t", "a\u3000\u3000b", "\u2581\u2581 \u2581",
]

POOL = (
    list("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") * 4
    + list("0123456789") * 2
    + list(" " * 20)
    + list(".,;:!?'\"()[]{}<>-_=+*/\\@#$%^&|~`")
    + ["\t", "\n", "\r", "\u3000", "\u00a0", "\u2581", "\x00", "\x7f", "\ufffd"]
    + list("\u3042\u3044\u3046\u3048\u304a\u304b\u306e\u306f\u3092\u3093\u30a2\u30a4\u30c6\u30b9\u30c8\u65e5\u672c\u8a9e\u6771\u4eac\u5927\u5b66\u732b\u72ac\u3002\u3001")
    + list("\ud55c\uad6d\uc5b4\u4e2d\u6587\u00e9\u00fc\u00df\u0301\u03b1\u0431\uff21\uff41\uff11")
    + ["\U0001F999", "\U0001F600", "\U00020BB7", "\U0001D400", "\uE000", "\uFFFF", "\u0378"]
    + ["<user>", "@@", "\ufb01", "\u0301", "<ctl>"]
    + ["the ", " of ", "ing", "tion", "Once", " upon", "\u3067\u3059\u3002", "\u3057\u3066\u3044\u307e\u3059", "<s>", "<unk>"]
)


def main(model_dir, out_path):
    rng = random.Random(20241129)
    out = {"generator": "sentencepiece " + spm.__version__ + " (Debian python3-sentencepiece), "
                        "SentencePieceProcessor.encode(text) and .decode(ids), no BOS/EOS added",
           "models": {}}
    for rel in MODELS:
        sp = spm.SentencePieceProcessor(model_file=model_dir + "/" + rel)
        n = sp.get_piece_size()
        texts = list(EDGE)
        for _ in range(120):
            k = rng.randint(1, 24)
            texts.append("".join(rng.choice(POOL) for _ in range(k)))
        encodes = [{"text": t, "ids": sp.encode(t)} for t in texts]
        special = [i for i in range(n) if sp.is_control(i) or sp.is_unknown(i)]
        byte_ids = [i for i in range(n) if sp.is_byte(i)]
        decodes = []
        for _ in range(60):
            ids = []
            for _ in range(rng.randint(0, 12)):
                r = rng.random()
                if r < 0.15:
                    ids.append(rng.choice(special))
                elif r < 0.45:
                    ids.append(rng.choice(byte_ids) if byte_ids else rng.randrange(n))
                else:
                    ids.append(rng.randrange(n))
            decodes.append({"ids": ids, "text": sp.decode(ids)})
        for e in encodes[: len(EDGE)]:
            decodes.append({"ids": e["ids"], "text": sp.decode(e["ids"])})
        out["models"][rel.split("/")[-1]] = {
            "unk_id": sp.unk_id(), "bos_id": sp.bos_id(), "eos_id": sp.eos_id(), "pad_id": sp.pad_id(),
            "piece_size": n, "encode": encodes, "decode": decodes,
        }
    with open(out_path, "w", encoding="utf-8") as f:
        json.dump(out, f, ensure_ascii=True, indent=None, separators=(",", ":"))
        f.write("\n")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
