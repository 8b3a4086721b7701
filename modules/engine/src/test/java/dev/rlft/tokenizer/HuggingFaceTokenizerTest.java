package dev.rlft.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rlft.tokenizer.BpeFixtures.Case;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class HuggingFaceTokenizerTest {

  static HuggingFaceTokenizer gpt2;

  @TempDir Path dir;

  @BeforeAll
  static void load() throws IOException {
    gpt2 = HuggingFaceTokenizer.load(BpeFixtures.folder("gpt2"));
  }

  @AfterAll
  static void close() {
    gpt2.close();
  }

  static List<Case> gpt2Cases() {
    return BpeFixtures.cases("gpt2");
  }

  @ParameterizedTest(name = "[{index}] {0}")
  @MethodSource("gpt2Cases")
  void encode_gpt2ReferenceCase_matchesExpectedIds(Case c) {
    assertArrayEquals(c.ids(), gpt2.encode(c.text()));
  }

  @ParameterizedTest(name = "[{index}] {0}")
  @MethodSource("gpt2Cases")
  void decode_gpt2ReferenceIds_giveTheText(Case c) {
    assertEquals(c.text(), gpt2.decode(c.ids()));
  }

  @Test
  void specialTokens_gpt2WithoutConfig_singleSpecialTokenIsBosEosAndPad() {
    assertEquals(50256, gpt2.bosId());
    assertEquals(50256, gpt2.eosId());
    assertEquals(50256, gpt2.padId());
    assertEquals(50257, gpt2.vocabSize());
    assertArrayEquals(new int[] {50256}, gpt2.encode("<|endoftext|>"));
  }

  @Test
  void encode_longText_isNeitherTruncatedNorPadded() {
    String text = "Hello world ".repeat(600).strip();
    int[] ids = gpt2.encode(text);
    assertEquals(1200, ids.length, "DJL's default would cut at 512");
    assertEquals(1, gpt2.encode("Hello").length);
  }

  @Test
  void decode_skipSpecialTokens_dropsEndOfText() {
    int[] ids = {15496, 50256, 995};
    assertEquals("Hello<|endoftext|> world", gpt2.decode(ids));
    assertEquals("Hello world", gpt2.decode(ids, true));
    assertThrows(IllegalArgumentException.class, () -> gpt2.decode(new int[] {50257}));
  }

  @Test
  void close_thenEncode_throwsIllegalState() throws IOException {
    HuggingFaceTokenizer t = HuggingFaceTokenizer.load(BpeFixtures.folder("gpt2").resolve("tokenizer.json"));
    assertArrayEquals(new int[] {15496}, t.encode("Hello"));
    t.close();
    t.close();
    assertThrows(IllegalStateException.class, () -> t.encode("Hello"));
  }

  @Test
  void load_configNextToTokenizerJson_rolesComeFromIt() throws IOException {
    Files.copy(BpeFixtures.folder("gpt2").resolve("tokenizer.json"), dir.resolve("tokenizer.json"));
    Files.writeString(dir.resolve("tokenizer_config.json"),
        "{\"bos_token\": null, \"eos_token\": {\"content\": \"<|endoftext|>\", \"__type\": \"AddedToken\"}, \"pad_token\": \"!\"}",
        StandardCharsets.UTF_8);
    try (HuggingFaceTokenizer t = HuggingFaceTokenizer.load(dir)) {
      assertEquals(HuggingFaceSpecialTokens.NONE, t.bosId());
      assertEquals(50256, t.eosId());
      assertEquals(0, t.padId(), "'!' is vocabulary id 0");
    }
  }

  @Test
  void load_missingFile_failsNamingThePath() {
    IOException e = assertThrows(IOException.class, () -> HuggingFaceTokenizer.load(dir));
    assertTrue(e.getMessage().contains(dir.toString()), e.getMessage());
  }

  // Differential checks of our BpeTokenizer against the Rust implementation, on hard texts.

  private static List<String> hardTexts() {
    List<String> texts = new ArrayList<>();
    BpeFixtures.cases("gpt2").forEach(c -> texts.add(c.text()));
    BpeFixtures.cases("qwen2.5").forEach(c -> texts.add(c.text()));
    texts.add(ChatTemplate.chatMl().render("What is $\\frac{1}{2} + 3$? Put the answer in \\boxed{}."));
    texts.addAll(List.of("a\u00A0b", "x\u3000\u3000y", "line\u2028sep", "nel\u0085x", "  \u00A0 x", "It'S I'LL 'ſ 'K",
        "\r\n\r\n  \r\n", "1,234,567.89", "naïve cafe\u0301", "ＡＢＣ１２３", "٣٤٥ Ⅻ ½ x²", "a\u0308\u0308b",
        "नमस्ते दुनिया", "ไทยภาษา", "<|im_start|><|im_start|>", "<|im_start|", "x".repeat(3000), " ".repeat(40) + "\n"));
    texts.addAll(BpeFixtures.randomTexts(20240601, 300));
    return texts;
  }

  @Test
  void encode_hardTexts_bpeTokenizerGpt2MatchesRust() throws IOException {
    BpeTokenizer ours = BpeTokenizer.load(BpeFixtures.folder("gpt2"), BpeFamily.GPT2);
    for (String text : hardTexts()) {
      assertArrayEquals(gpt2.encode(text), ours.encode(text), text);
    }
  }

  @Test
  void tokenText_everyGpt2Id_bpeTokenizerMatchesRust() throws IOException {
    BpeTokenizer ours = BpeTokenizer.load(BpeFixtures.folder("gpt2"), BpeFamily.GPT2);
    for (int id = 0; id < gpt2.vocabSize(); id++) {
      assertEquals(gpt2.tokenText(id), ours.tokenText(id), "id " + id);
    }
  }

  @Test
  void encode_hardTexts_bpeTokenizerQwenMatchesRust() throws IOException {
    Path qwenFolder = BpeFixtures.folder("qwen2.5");
    BpeTokenizer ours = BpeTokenizer.load(qwenFolder);
    writeQwenTokenizerJson(qwenFolder, dir.resolve("tokenizer.json"));
    Files.copy(qwenFolder.resolve("tokenizer_config.json"), dir.resolve("tokenizer_config.json"));
    try (HuggingFaceTokenizer rust = HuggingFaceTokenizer.load(dir)) {
      assertEquals(ours.vocabSize(), rust.vocabSize());
      assertEquals(ours.eosId(), rust.eosId());
      assertEquals(ours.padId(), rust.padId());
      assertEquals(ours.bosId(), rust.bosId());
      for (Case c : BpeFixtures.cases("qwen2.5")) {
        assertArrayEquals(c.ids(), rust.encode(c.text()), "the rebuilt tokenizer.json is Qwen's: " + c.text());
      }
      for (String text : hardTexts()) {
        int[] ids = rust.encode(text);
        assertArrayEquals(ids, ours.encode(text), text);
        assertEquals(rust.decode(ids), ours.decode(ids), text);
        assertEquals(rust.decode(ids, true), ours.decode(ids, true), text);
      }
      for (int id = 0; id < rust.vocabSize(); id += 97) {
        assertEquals(rust.tokenText(id), ours.tokenText(id), "id " + id);
      }
    }
  }

  /**
   * Qwen2's {@code tokenizer.json} (not available here: 7 MB), rebuilt from the parts that define it:
   * vocab.json, merges.txt, the added tokens of tokenizer_config.json, NFC, Qwen's split regex and
   * the byte-level steps, as in the Qwen2.5 repositories on the Hugging Face hub.
   */
  private static void writeQwenTokenizerJson(Path folder, Path out) throws IOException {
    ObjectMapper json = new ObjectMapper();
    ObjectNode root = json.createObjectNode();
    root.put("version", "1.0");
    root.putNull("truncation");
    root.putNull("padding");
    ArrayNode added = root.putArray("added_tokens");
    JsonNode decoder = BpeFixtures.json(folder.resolve("tokenizer_config.json")).get("added_tokens_decoder");
    for (Iterator<Map.Entry<String, JsonNode>> it = decoder.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      ObjectNode t = added.addObject();
      t.put("id", Integer.parseInt(e.getKey()));
      t.setAll((ObjectNode) e.getValue().deepCopy());
    }
    root.putObject("normalizer").put("type", "NFC");
    ObjectNode pre = root.putObject("pre_tokenizer");
    pre.put("type", "Sequence");
    ArrayNode steps = pre.putArray("pretokenizers");
    ObjectNode split = steps.addObject();
    split.put("type", "Split");
    split.putObject("pattern").put("Regex", BpeFamily.QWEN2.splitRegex());
    split.put("behavior", "Isolated");
    split.put("invert", false);
    steps.add(byteLevel(json));
    root.set("post_processor", byteLevel(json));
    root.set("decoder", byteLevel(json));
    ObjectNode model = root.putObject("model");
    model.put("type", "BPE");
    model.putNull("dropout");
    model.putNull("unk_token");
    model.put("continuing_subword_prefix", "");
    model.put("end_of_word_suffix", "");
    model.put("fuse_unk", false);
    model.put("byte_fallback", false);
    model.set("vocab", BpeFixtures.json(folder.resolve("vocab.json")));
    ArrayNode merges = model.putArray("merges");
    for (String line : Files.readAllLines(folder.resolve("merges.txt"), StandardCharsets.UTF_8)) {
      if (!line.startsWith("#version") && !line.isEmpty()) {
        merges.add(line);
      }
    }
    json.writeValue(out.toFile(), root);
  }

  private static ObjectNode byteLevel(ObjectMapper json) {
    ObjectNode n = json.createObjectNode();
    n.put("type", "ByteLevel");
    n.put("add_prefix_space", false);
    n.put("trim_offsets", false);
    n.put("use_regex", false);
    return n;
  }
}
