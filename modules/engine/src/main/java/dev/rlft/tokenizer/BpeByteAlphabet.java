package dev.rlft.tokenizer;

import java.nio.charset.StandardCharsets;

/**
 * GPT-2's reversible byte-to-unicode table: every byte value maps to one printable character, so
 * byte-level BPE can work on strings. Printable Latin-1 bytes map to themselves; the other 68 bytes
 * map to U+0100 upwards in byte order (space becomes {@code Ġ} U+0120, newline {@code Ċ} U+010A).
 * See {@code bytes_to_unicode} in OpenAI's {@code gpt-2/src/encoder.py}.
 */
final class BpeByteAlphabet {

  private static final char[] CHAR_OF_BYTE = new char[256];
  /** Indexed by character; -1 for characters outside the table. All table characters are below U+0144. */
  private static final int[] BYTE_OF_CHAR = new int[0x144];

  static {
    java.util.Arrays.fill(BYTE_OF_CHAR, -1);
    int next = 256;
    for (int b = 0; b < 256; b++) {
      boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
      char c = (char) (printable ? b : next++);
      CHAR_OF_BYTE[b] = c;
      BYTE_OF_CHAR[c] = b;
    }
  }

  private BpeByteAlphabet() {}

  /** The table character of one byte. */
  static char charOf(byte b) {
    return CHAR_OF_BYTE[b & 0xFF];
  }

  /** The byte a table character stands for, or -1 if {@code c} is not in the table. */
  static int byteOf(char c) {
    return c < BYTE_OF_CHAR.length ? BYTE_OF_CHAR[c] : -1;
  }

  /** {@code bytes} written in table characters, one character per byte. */
  static String encode(byte[] bytes) {
    char[] out = new char[bytes.length];
    for (int i = 0; i < bytes.length; i++) {
      out[i] = charOf(bytes[i]);
    }
    return new String(out);
  }

  /**
   * The bytes a token stands for, as Hugging Face's {@code ByteLevel} decoder computes them: a
   * token made only of table characters gives their bytes; any other token (an added token such as
   * {@code "<tool call>"}, with a plain space) gives its own UTF-8 bytes.
   */
  static byte[] decode(String token) {
    byte[] out = new byte[token.length()];
    for (int i = 0; i < token.length(); i++) {
      int b = byteOf(token.charAt(i));
      if (b < 0) {
        return token.getBytes(StandardCharsets.UTF_8);
      }
      out[i] = (byte) b;
    }
    return out;
  }
}
