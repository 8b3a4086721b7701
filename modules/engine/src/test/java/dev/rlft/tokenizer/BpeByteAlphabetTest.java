package dev.rlft.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class BpeByteAlphabetTest {

  @Test
  void charOf_everyByte_distinctAndInverseOfByteOf() {
    Set<Character> seen = new HashSet<>();
    for (int b = 0; b < 256; b++) {
      char c = BpeByteAlphabet.charOf((byte) b);
      seen.add(c);
      assertEquals(b, BpeByteAlphabet.byteOf(c), "byte " + b);
    }
    assertEquals(256, seen.size());
  }

  @Test
  void charOf_gpt2Examples_matchEncoderPy() {
    assertEquals('Ġ', BpeByteAlphabet.charOf((byte) ' '));
    assertEquals('Ċ', BpeByteAlphabet.charOf((byte) '\n'));
    assertEquals('ĉ', BpeByteAlphabet.charOf((byte) '\t'));
    assertEquals('Ā', BpeByteAlphabet.charOf((byte) 0));
    assertEquals('!', BpeByteAlphabet.charOf((byte) '!'));
    assertEquals('ÿ', BpeByteAlphabet.charOf((byte) 0xFF));
    assertEquals('Ń', BpeByteAlphabet.charOf((byte) 0xAD), "soft hyphen is the last remapped byte");
  }

  @Test
  void decode_tableCharacters_giveTheirBytes() {
    byte[] utf8 = "Führer 🦙\n".getBytes(StandardCharsets.UTF_8);
    assertArrayEquals(utf8, BpeByteAlphabet.decode(BpeByteAlphabet.encode(utf8)));
  }

  @Test
  void decode_characterOutsideTable_givesRawUtf8() {
    assertArrayEquals("a b".getBytes(StandardCharsets.UTF_8), BpeByteAlphabet.decode("a b"));
    assertEquals(-1, BpeByteAlphabet.byteOf(' '));
  }
}
