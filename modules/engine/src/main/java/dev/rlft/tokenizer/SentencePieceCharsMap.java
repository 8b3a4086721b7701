package dev.rlft.tokenizer;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A SentencePiece {@code precompiled_charsmap}: the normalisation rules (NFKC and friends) that
 * {@code spm_train} compiles into a model, as a Darts-clone double-array trie from input byte
 * strings to offsets into a block of NUL-terminated replacement strings.
 *
 * <p>Blob layout ({@code Normalizer::EncodePrecompiledCharsMap}): a little-endian uint32 byte
 * size of the trie, the trie as little-endian uint32 units, then the replacement strings. A unit
 * packs a label (bits 0-7, bit 31 set on value units), a has-leaf flag (bit 8) and an offset to
 * its children (bits 10-31, shifted left by 8 more when bit 9 is set); a value unit keeps the
 * value in bits 0-30.
 */
final class SentencePieceCharsMap {

  private final int[] units;
  private final byte[] replacements;

  private SentencePieceCharsMap(int[] units, byte[] replacements) {
    this.units = units;
    this.replacements = replacements;
  }

  /**
   * Reads a blob.
   *
   * @throws IllegalArgumentException when the blob is too short for the trie size it declares
   */
  static SentencePieceCharsMap parse(byte[] blob) {
    if (blob.length <= 4) {
      throw new IllegalArgumentException(
          "precompiled_charsmap of " + blob.length + " bytes is too short");
    }
    ByteBuffer buf = ByteBuffer.wrap(blob).order(ByteOrder.LITTLE_ENDIAN);
    long trieBytes = Integer.toUnsignedLong(buf.getInt());
    if (trieBytes >= blob.length) {
      throw new IllegalArgumentException(
          "precompiled_charsmap declares a " + trieBytes + "-byte trie in a "
              + blob.length + "-byte blob");
    }
    int[] units = new int[(int) trieBytes / 4];
    for (int i = 0; i < units.length; i++) {
      units[i] = buf.getInt(4 + 4 * i);
    }
    byte[] replacements = new byte[blob.length - 4 - (int) trieBytes];
    System.arraycopy(blob, 4 + (int) trieBytes, replacements, 0, replacements.length);
    return new SentencePieceCharsMap(units, replacements);
  }

  /**
   * The longest rule whose source is a prefix of {@code s[begin, end)}, as {@code (length << 32) |
   * replacementOffset}, or -1 when no rule applies ({@code commonPrefixSearch}, longest result).
   */
  long longestMatch(byte[] s, int begin, int end) {
    if (units.length == 0) {
      return -1;
    }
    long best = -1;
    int pos = offset(units[0]);
    for (int i = begin; i < end; i++) {
      int c = s[i] & 0xFF;
      pos ^= c;
      if (pos < 0 || pos >= units.length) {
        break;
      }
      int unit = units[pos];
      if (label(unit) != c) {
        break;
      }
      pos ^= offset(unit);
      if (hasLeaf(unit)) {
        if (pos < 0 || pos >= units.length) {
          break;
        }
        best = ((long) (i + 1 - begin) << 32) | (units[pos] & 0x7FFFFFFF);
      }
    }
    return best;
  }

  /** The replacement string at {@code offset}: the bytes up to the next NUL. */
  byte[] replacement(int offset) {
    int end = offset;
    while (end < replacements.length && replacements[end] != 0) {
      end++;
    }
    byte[] out = new byte[Math.max(0, end - offset)];
    if (out.length > 0) {
      System.arraycopy(replacements, offset, out, 0, out.length);
    }
    return out;
  }

  private static int label(int unit) {
    return unit & ((1 << 31) | 0xFF);
  }

  private static boolean hasLeaf(int unit) {
    return ((unit >>> 8) & 1) == 1;
  }

  private static int offset(int unit) {
    return (unit >>> 10) << ((unit & (1 << 9)) >>> 6);
  }
}
