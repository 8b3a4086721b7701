package dev.rlft.tokenizer;

import java.util.Arrays;

/**
 * SentencePiece's text normaliser ({@code normalizer.cc}, {@code Normalizer::Normalize}) on UTF-8
 * bytes: the precompiled character map when the model has one, malformed bytes to U+FFFD,
 * leading, trailing and repeated spaces dropped when {@code remove_extra_whitespaces}, a dummy
 * space in front (or, with {@code treat_whitespace_as_suffix}, at the end) when {@code
 * add_dummy_prefix}, and every space written as U+2581 when {@code escape_whitespaces}.
 * User-defined symbols are copied untouched by the character map.
 */
final class SentencePieceNormalizer {

  private static final byte SPACE = ' ';

  private final SentencePieceModelProto.NormalizerSpec spec;
  private final boolean treatWhitespaceAsSuffix;
  private final SentencePieceCharsMap charsMap;
  private final SentencePieceTrie userDefined;

  /**
   * @param userDefined the model's user-defined symbols, or null when there are none
   * @throws IllegalArgumentException when the spec's character map is malformed
   */
  SentencePieceNormalizer(
      SentencePieceModelProto.NormalizerSpec spec,
      boolean treatWhitespaceAsSuffix,
      SentencePieceTrie userDefined) {
    this.spec = spec;
    this.treatWhitespaceAsSuffix = treatWhitespaceAsSuffix;
    this.charsMap = spec.precompiledCharsmap().length == 0
        ? null
        : SentencePieceCharsMap.parse(spec.precompiledCharsmap());
    this.userDefined = userDefined == null || userDefined.isEmpty() ? null : userDefined;
  }

  /** The normalised form of {@code input}; empty when the input is empty or only spaces. */
  byte[] normalize(byte[] input) {
    int pos = 0;
    int end = input.length;
    if (spec.removeExtraWhitespaces()) {
      while (pos < end) {
        Prefix p = prefix(input, pos, end);
        if (p.length != 1 || p.bytes[p.offset] != SPACE) {
          break;
        }
        pos += p.consumed;
      }
    }
    if (pos == end) {
      return new byte[0];
    }
    Bytes out = new Bytes(3 * (end - pos) + 8);
    if (!treatWhitespaceAsSuffix && spec.addDummyPrefix()) {
      addSpace(out);
    }
    boolean prevSpace = spec.removeExtraWhitespaces();
    while (pos < end) {
      Prefix p = prefix(input, pos, end);
      int from = p.offset;
      int to = p.offset + p.length;
      while (prevSpace && from < to && p.bytes[from] == SPACE) {
        from++;
      }
      if (from < to) {
        for (int i = from; i < to; i++) {
          if (spec.escapeWhitespaces() && p.bytes[i] == SPACE) {
            out.append(SentencePieceUtf8.SPACE_SYMBOL);
          } else {
            out.append(p.bytes[i]);
          }
        }
        prevSpace = p.bytes[to - 1] == SPACE;
      }
      pos += p.consumed;
      if (!spec.removeExtraWhitespaces()) {
        prevSpace = false;
      }
    }
    if (spec.removeExtraWhitespaces()) {
      byte[] space = spec.escapeWhitespaces() ? SentencePieceUtf8.SPACE_SYMBOL : new byte[] {SPACE};
      while (out.endsWith(space)) {
        out.size -= space.length;
      }
    }
    if (treatWhitespaceAsSuffix && spec.addDummyPrefix()) {
      addSpace(out);
    }
    return out.toArray();
  }

  private void addSpace(Bytes out) {
    if (spec.escapeWhitespaces()) {
      out.append(SentencePieceUtf8.SPACE_SYMBOL);
    } else {
      out.append(SPACE);
    }
  }

  /** What the next input character normalises to ({@code NormalizePrefix}). */
  private Prefix prefix(byte[] input, int pos, int end) {
    if (userDefined != null) {
      int len = userDefined.longestPrefix(input, pos, end);
      if (len > 0) {
        return new Prefix(input, pos, len, len);
      }
    }
    if (charsMap != null) {
      long match = charsMap.longestMatch(input, pos, end);
      if (match >= 0) {
        byte[] replacement = charsMap.replacement((int) match);
        return new Prefix(replacement, 0, replacement.length, (int) (match >>> 32));
      }
    }
    int len = SentencePieceUtf8.validCharLen(input, pos, end);
    if (len < 0) {
      return new Prefix(SentencePieceUtf8.REPLACEMENT, 0, SentencePieceUtf8.REPLACEMENT.length, 1);
    }
    return new Prefix(input, pos, len, len);
  }

  /** {@code bytes[offset, offset + length)} replaces {@code consumed} input bytes. */
  private record Prefix(byte[] bytes, int offset, int length, int consumed) {}

  /** A growable byte array. */
  private static final class Bytes {
    private byte[] data;
    private int size;

    Bytes(int capacity) {
      data = new byte[capacity];
    }

    void append(byte b) {
      ensure(1);
      data[size++] = b;
    }

    void append(byte[] b) {
      ensure(b.length);
      System.arraycopy(b, 0, data, size, b.length);
      size += b.length;
    }

    boolean endsWith(byte[] suffix) {
      return size >= suffix.length
          && Arrays.equals(data, size - suffix.length, size, suffix, 0, suffix.length);
    }

    byte[] toArray() {
      return Arrays.copyOf(data, size);
    }

    private void ensure(int extra) {
      if (size + extra > data.length) {
        data = Arrays.copyOf(data, Math.max(2 * data.length, size + extra));
      }
    }
  }
}
