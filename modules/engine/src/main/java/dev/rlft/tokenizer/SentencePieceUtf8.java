package dev.rlft.tokenizer;

import java.util.Arrays;

/**
 * UTF-8 helpers with SentencePiece's exact rules ({@code util.h}, {@code string_util}): which
 * byte sequences count as one character, and which are malformed.
 */
final class SentencePieceUtf8 {

  /** U+FFFD REPLACEMENT CHARACTER in UTF-8. */
  static final byte[] REPLACEMENT = {(byte) 0xEF, (byte) 0xBF, (byte) 0xBD};

  /** U+2581 LOWER ONE EIGHTH BLOCK, SentencePiece's whitespace symbol, in UTF-8. */
  static final byte[] SPACE_SYMBOL = {(byte) 0xE2, (byte) 0x96, (byte) 0x81};

  private SentencePieceUtf8() {}

  /**
   * Length of the character that starts with {@code lead}, judged by the lead byte alone
   * ({@code OneCharLen}): 1 for ASCII and stray continuation bytes, 2, 3 or 4 otherwise.
   */
  static int oneCharLen(byte lead) {
    int high = (lead & 0xFF) >>> 4;
    return high < 12 ? 1 : high < 14 ? 2 : high == 14 ? 3 : 4;
  }

  /**
   * Length of the well-formed character at {@code pos}, or -1 when the bytes there are malformed
   * ({@code IsValidDecodeUTF8}): overlong forms, surrogates, code points above U+10FFFF and
   * truncated sequences are malformed, and a malformed sequence is always replaced one byte at a
   * time.
   */
  static int validCharLen(byte[] s, int pos, int end) {
    int len = end - pos;
    int b0 = s[pos] & 0xFF;
    if (b0 < 0x80) {
      return 1;
    }
    if (len >= 2 && (b0 & 0xE0) == 0xC0) {
      int cp = ((b0 & 0x1F) << 6) | (s[pos + 1] & 0x3F);
      if (isTrail(s[pos + 1]) && cp >= 0x80) {
        return 2;
      }
    } else if (len >= 3 && (b0 & 0xF0) == 0xE0) {
      int cp = ((b0 & 0x0F) << 12) | ((s[pos + 1] & 0x3F) << 6) | (s[pos + 2] & 0x3F);
      if (isTrail(s[pos + 1]) && isTrail(s[pos + 2]) && cp >= 0x800 && isValidCodePoint(cp)) {
        return 3;
      }
    } else if (len >= 4 && (b0 & 0xF8) == 0xF0) {
      int cp = ((b0 & 0x07) << 18) | ((s[pos + 1] & 0x3F) << 12) | ((s[pos + 2] & 0x3F) << 6)
          | (s[pos + 3] & 0x3F);
      if (isTrail(s[pos + 1]) && isTrail(s[pos + 2]) && isTrail(s[pos + 3]) && cp >= 0x10000
          && isValidCodePoint(cp)) {
        return 4;
      }
    }
    return -1;
  }

  /**
   * UTF-8 bytes of {@code text}. Unlike {@link String#getBytes}, which writes {@code '?'}, an
   * unpaired surrogate becomes U+FFFD, the character SentencePiece puts in place of malformed
   * input.
   */
  static byte[] encode(String text) {
    byte[] out = new byte[text.length() * 3];
    int n = 0;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c < 0x80) {
        out[n++] = (byte) c;
      } else if (c < 0x800) {
        out[n++] = (byte) (0xC0 | (c >>> 6));
        out[n++] = (byte) (0x80 | (c & 0x3F));
      } else if (Character.isHighSurrogate(c)
          && i + 1 < text.length()
          && Character.isLowSurrogate(text.charAt(i + 1))) {
        int cp = Character.toCodePoint(c, text.charAt(++i));
        out[n++] = (byte) (0xF0 | (cp >>> 18));
        out[n++] = (byte) (0x80 | ((cp >>> 12) & 0x3F));
        out[n++] = (byte) (0x80 | ((cp >>> 6) & 0x3F));
        out[n++] = (byte) (0x80 | (cp & 0x3F));
      } else if (Character.isSurrogate(c)) {
        System.arraycopy(REPLACEMENT, 0, out, n, 3);
        n += 3;
      } else {
        out[n++] = (byte) (0xE0 | (c >>> 12));
        out[n++] = (byte) (0x80 | ((c >>> 6) & 0x3F));
        out[n++] = (byte) (0x80 | (c & 0x3F));
      }
    }
    return Arrays.copyOf(out, n);
  }

  private static boolean isTrail(byte b) {
    return (b & 0xC0) == 0x80;
  }

  private static boolean isValidCodePoint(int cp) {
    return cp < 0xD800 || (cp >= 0xE000 && cp <= 0x10FFFF);
  }
}
