package dev.rlft.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** The tokenizer folders under {@code src/test/resources/tokenizers/} and their reference cases. */
final class BpeFixtures {

  /** One text and the ids Hugging Face's tokenizer gives for it. */
  record Case(String text, int[] ids) {
    @Override
    public String toString() {
      return text.length() > 40 ? text.substring(0, 40) + "..." : text;
    }
  }

  private BpeFixtures() {}

  static Path folder(String name) {
    try {
      return Path.of(BpeFixtures.class.getResource("/tokenizers/" + name).toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  static JsonNode json(Path file) {
    try {
      return new ObjectMapper().readTree(file.toFile());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The {@code cases} of {@code tokenizers/<name>/tokenizer_tests.json}. */
  static List<Case> cases(String name) {
    List<Case> out = new ArrayList<>();
    for (JsonNode c : json(folder(name).resolve("tokenizer_tests.json")).get("cases")) {
      int[] ids = new int[c.get("ids").size()];
      for (int i = 0; i < ids.length; i++) {
        ids[i] = c.get("ids").get(i).asInt();
      }
      out.add(new Case(c.get("text").asText(), ids));
    }
    return out;
  }

  private static final String[] UNITS = {
    "a", "b", "z", "Q", "Hello", "world", "THE", " ", " ", "  ", "\n", "\n\n", "\t", "\r", "\r\n", "\u000B", "\f",
    "0", "7", "42", "1234567", "3.14", "'", "'s", "'S", "'ll", "'LL", "'Ve", "n't", ".", ",", "!", "?", "-", "_", "\"",
    "(", ")", "```", "...", "é", "e\u0301", "\u0301", "ß", "ſ", "İ", "\u212A", "ﬀ", "\u00A0", "\u3000", "\u2028",
    "\u0085", "\u200B", "\u200D", "\uFEFF", "中", "文字", "あいう", "한국어", "مرحبا", "नमस्ते", "\u093F", "ไทย", "Ελλάδα",
    "Привет", "٣٤٥", "Ⅻ", "½", "²", "€", "©", "™", "🦙", "😀", "👍🏽", "🇺🇸", "<", "|", ">", "<|", "|>",
    "<|im_start|>", "<|im_end|>", "<|endoftext|>", "<tool_call>", "<|im_start|", "\\boxed{", "}", "$x^2$",
  };

  /** {@code count} seeded random strings of 1 to 12 units mixing scripts, digits, spaces and specials. */
  static List<String> randomTexts(long seed, int count) {
    Random random = new Random(seed);
    List<String> out = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      StringBuilder sb = new StringBuilder();
      int units = 1 + random.nextInt(12);
      for (int u = 0; u < units; u++) {
        sb.append(UNITS[random.nextInt(UNITS.length)]);
      }
      out.add(sb.toString());
    }
    return out;
  }
}
