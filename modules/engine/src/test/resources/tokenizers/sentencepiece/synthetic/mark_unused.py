"""Copies a SentencePiece .model, turning the pieces with the given ids into UNUSED pieces.

Usage: python3 mark_unused.py SRC.model DST.model ID,ID,...  (rewrites only those pieces' type field).
"""
import sys

def varint(b, i):
    r = s = 0
    while True:
        c = b[i]; i += 1; r |= (c & 0x7F) << s; s += 7
        if c < 0x80: return r, i

def enc_varint(v):
    out = bytearray()
    while True:
        c = v & 0x7F; v >>= 7
        if v: out.append(c | 0x80)
        else: out.append(c); return bytes(out)

def fields(b):
    i = 0
    while i < len(b):
        start = i
        k, i = varint(b, i); f, t = k >> 3, k & 7
        if t == 0: _, i = varint(b, i)
        elif t == 1: i += 8
        elif t == 2:
            l, i = varint(b, i); i += l
        elif t == 5: i += 4
        else: raise ValueError(t)
        yield f, t, b[start:i]

def payload(raw):
    _, i = varint(raw, 0); l, i = varint(raw, i); return raw[i:i + l]

src, dst, ids = sys.argv[1], sys.argv[2], {int(x) for x in sys.argv[3].split(",")}
data = open(src, "rb").read()
out = bytearray(); n = 0
for f, t, raw in fields(data):
    if f == 1 and t == 2:
        if n in ids:
            body = bytearray()
            for ff, tt, r in fields(payload(raw)):
                if ff != 3: body += r
            body += enc_varint((3 << 3) | 0) + enc_varint(5)
            raw = enc_varint((1 << 3) | 2) + enc_varint(len(body)) + bytes(body)
        n += 1
    out += raw
open(dst, "wb").write(out)
