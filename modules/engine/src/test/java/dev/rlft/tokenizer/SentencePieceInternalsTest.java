package dev.rlft.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The UTF-8 rules, the trie and the character-map reader under the tokenizer. */
class SentencePieceInternalsTest {

  private static byte[] bytes(int... values) {
    byte[] out = new byte[values.length];
    for (int i = 0; i < values.length; i++) {
      out[i] = (byte) values[i];
    }
    return out;
  }

  @Test
  void validCharLen_malformedSequences_areRejected() {
    assertEquals(-1, SentencePieceUtf8.validCharLen(bytes(0xC0, 0x80), 0, 2), "overlong");
    assertEquals(-1, SentencePieceUtf8.validCharLen(bytes(0xED, 0xA0, 0x80), 0, 3), "surrogate");
    assertEquals(-1, SentencePieceUtf8.validCharLen(bytes(0xF4, 0x90, 0x80, 0x80), 0, 4), "> 10FFFF");
    assertEquals(-1, SentencePieceUtf8.validCharLen(bytes(0xE3, 0x81), 0, 2), "truncated");
    assertEquals(-1, SentencePieceUtf8.validCharLen(bytes(0x81), 0, 1), "continuation byte");
  }

  @Test
  void validCharLen_wellFormedCharacters_giveTheirLength() {
    assertEquals(1, SentencePieceUtf8.validCharLen(bytes(0x00), 0, 1));
    assertEquals(2, SentencePieceUtf8.validCharLen(bytes(0xC3, 0xA9), 0, 2));
    assertEquals(3, SentencePieceUtf8.validCharLen(bytes(0xEF, 0xBF, 0xBD), 0, 3));
    assertEquals(4, SentencePieceUtf8.validCharLen(bytes(0xF0, 0x9F, 0xA6, 0x99), 0, 4));
  }

  @Test
  void encode_text_isUtf8WithLoneSurrogatesReplaced() {
    String text = "a\u00e9\u3042\uD83E\uDD99";
    assertArrayEquals(text.getBytes(StandardCharsets.UTF_8), SentencePieceUtf8.encode(text));
    assertArrayEquals(bytes('a', 0xEF, 0xBF, 0xBD, 'b'), SentencePieceUtf8.encode("a\uDC00b"));
    assertArrayEquals(bytes(0xEF, 0xBF, 0xBD), SentencePieceUtf8.encode("\uD83E"));
  }

  @Test
  void trie_lookups_findExactKeysAndLongestPrefix() {
    SentencePieceTrie trie = SentencePieceTrie.build(List.of(
        new SentencePieceTrie.Entry(bytes('a'), 0),
        new SentencePieceTrie.Entry(bytes('a', 'b', 'c'), 1),
        new SentencePieceTrie.Entry(bytes(0xFF), 2)));
    byte[] s = bytes('x', 'a', 'b', 'c', 'd', 0xFF);

    assertEquals(1, trie.get(s, 1, 4));
    assertEquals(SentencePieceTrie.NONE, trie.get(s, 1, 3));
    assertEquals(2, trie.get(s, 5, 6));
    assertEquals(3, trie.longestPrefix(s, 1, 6));
    assertEquals(1, trie.longestPrefix(s, 1, 3));
    assertEquals(0, trie.longestPrefix(s, 0, 6));
  }

  @Test
  void trie_repeatedKey_throws() {
    assertThrows(IllegalArgumentException.class, () -> SentencePieceTrie.build(List.of(
        new SentencePieceTrie.Entry(bytes('a'), 0), new SentencePieceTrie.Entry(bytes('a'), 1))));
  }

  @Test
  void charsMap_blobShorterThanItsTrie_throws() {
    assertThrows(IllegalArgumentException.class, () -> SentencePieceCharsMap.parse(bytes(1, 0)));
    assertThrows(IllegalArgumentException.class,
        () -> SentencePieceCharsMap.parse(bytes(8, 0, 0, 0, 0, 0, 0, 0)));
  }
}
