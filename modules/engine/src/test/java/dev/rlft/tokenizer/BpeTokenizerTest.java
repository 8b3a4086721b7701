package dev.rlft.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rlft.tokenizer.BpeFixtures.Case;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class BpeTokenizerTest {

  static BpeTokenizer gpt2;
  static BpeTokenizer qwen;

  @TempDir Path dir;

  @BeforeAll
  static void load() throws IOException {
    gpt2 = BpeTokenizer.load(BpeFixtures.folder("gpt2"), BpeFamily.GPT2);
    qwen = BpeTokenizer.load(BpeFixtures.folder("qwen2.5"));
  }

  static List<Case> gpt2Cases() {
    return BpeFixtures.cases("gpt2");
  }

  static List<Case> qwenCases() {
    return BpeFixtures.cases("qwen2.5");
  }

  @Test
  void cases_referenceFiles_holdTheAdvertisedCounts() {
    assertEquals(44, gpt2Cases().size());
    assertEquals(43, qwenCases().size());
  }

  @ParameterizedTest(name = "[{index}] {0}")
  @MethodSource("gpt2Cases")
  void encode_gpt2ReferenceCase_matchesHuggingFace(Case c) {
    assertArrayEquals(c.ids(), gpt2.encode(c.text()));
  }

  @ParameterizedTest(name = "[{index}] {0}")
  @MethodSource("qwenCases")
  void encode_qwenReferenceCase_matchesHuggingFace(Case c) {
    assertArrayEquals(c.ids(), qwen.encode(c.text()));
  }

  @ParameterizedTest(name = "[{index}] {0}")
  @MethodSource("gpt2Cases")
  void decode_gpt2ReferenceIds_giveTheText(Case c) {
    assertEquals(c.text(), gpt2.decode(c.ids()));
  }

  @ParameterizedTest(name = "[{index}] {0}")
  @MethodSource("qwenCases")
  void decode_qwenReferenceIds_giveTheNfcText(Case c) {
    assertEquals(Normalizer.normalize(c.text(), Normalizer.Form.NFC), qwen.decode(c.ids()));
  }

  @Test
  void encode_qwenSpecialTokenExample_splitsAddedTokensFirst() {
    JsonNode example = BpeFixtures.json(BpeFixtures.folder("qwen2.5").resolve("tokenizer_tests.json")).get("special_token_example");
    int[] expected = IntStream.range(0, example.get("ids").size()).map(i -> example.get("ids").get(i).asInt()).toArray();
    assertArrayEquals(new int[] {151644, 872, 198, 9707, 151645, 198}, expected);
    assertArrayEquals(expected, qwen.encode(example.get("text").asText()));
  }

  @Test
  void encode_addedTokensInsideWords_areStillSingleTokens() {
    assertArrayEquals(new int[] {64, 151643, 65}, qwen.encode("a<|endoftext|>b"));
    assertArrayEquals(new int[] {151657, 151658}, qwen.encode("<tool_call></tool_call>"));
    assertArrayEquals(new int[] {64, 50256, 65}, gpt2.encode("a<|endoftext|>b"));
    int[] partial = qwen.encode("<|im_start|");
    assertTrue(Arrays.stream(partial).noneMatch(id -> id >= 151643), Arrays.toString(partial));
  }

  @Test
  void specialTokens_qwen25Instruct_followTokenizerConfig() {
    assertEquals(BpeFamily.QWEN2, qwen.family());
    assertEquals(HuggingFaceSpecialTokens.NONE, qwen.bosId());
    assertEquals(151645, qwen.eosId());
    assertEquals(151643, qwen.padId());
    assertEquals(151665, qwen.vocabSize());
    assertEquals(22, qwen.specialTokens().added().size());
    assertEquals(151644, qwen.specialTokens().idOf("<|im_start|>").getAsInt());
    assertEquals("<|im_end|>", qwen.tokenText(151645));
  }

  @Test
  void specialTokens_gpt2WithoutConfig_endOfTextIsBosEosAndPad() {
    assertEquals(50256, gpt2.bosId());
    assertEquals(50256, gpt2.eosId());
    assertEquals(50256, gpt2.padId());
    assertEquals(50257, gpt2.vocabSize());
    assertEquals("<|endoftext|>", gpt2.tokenText(50256));
  }

  @Test
  void decode_skipSpecialTokens_dropsOnlySpecialOnes() {
    int[] ids = qwen.encode("<|im_start|>user\nHi<tool_call><|im_end|>\n");
    assertEquals("<|im_start|>user\nHi<tool_call><|im_end|>\n", qwen.decode(ids));
    assertEquals("user\nHi<tool_call>\n", qwen.decode(ids, true));
  }

  @Test
  void tokenText_partOfUtf8Sequence_isReplacementCharacter() {
    int[] llama = gpt2.encode(" 🦙");
    assertArrayEquals(new int[] {12520, 99, 247}, llama, "from the reference case ' this is 🦙.cpp'");
    assertEquals(" 🦙", gpt2.decode(llama));
    assertEquals(" \uFFFD", gpt2.tokenText(12520));
    assertEquals(" Hello", gpt2.tokenText(18435));
  }

  @Test
  void tokenText_idOutsideVocabulary_throwsNamingIt() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> qwen.tokenText(151665));
    assertTrue(e.getMessage().contains("151665"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> qwen.decode(new int[] {9707, -1}));
  }

  @Test
  void encode_nfdText_qwenNormalizesGpt2DoesNot() {
    assertArrayEquals(qwen.encode("café"), qwen.encode("cafe\u0301"));
    assertTrue(!Arrays.equals(gpt2.encode("café"), gpt2.encode("cafe\u0301")));
  }

  @Test
  void encode_concurrentCalls_sameIdsAsOneThread() {
    List<String> texts = BpeFixtures.randomTexts(7, 400);
    List<int[]> sequential = texts.stream().map(qwen::encode).toList();
    BpeTokenizer fresh = loadQuietly();
    List<int[]> parallel = texts.parallelStream().map(fresh::encode).toList();
    for (int i = 0; i < texts.size(); i++) {
      assertArrayEquals(sequential.get(i), parallel.get(i), texts.get(i));
    }
  }

  private static BpeTokenizer loadQuietly() {
    try {
      return BpeTokenizer.load(BpeFixtures.folder("qwen2.5"), BpeFamily.QWEN2);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  void encode_randomTexts_decodeBackToTheNormalizedText() {
    for (String text : BpeFixtures.randomTexts(11, 300)) {
      assertEquals(text, gpt2.decode(gpt2.encode(text)), text);
      assertEquals(Normalizer.normalize(text, Normalizer.Form.NFC), qwen.decode(qwen.encode(text)), text);
    }
  }

  // A tiny hand-made tokenizer: the 256 byte tokens, then the merges below, so that ranks decide.
  private Path tiny(String merges, String config) throws IOException {
    List<String> tokens = new ArrayList<>();
    for (int b = 0; b < 256; b++) {
      tokens.add(String.valueOf(BpeByteAlphabet.charOf((byte) b)));
    }
    for (String line : merges.split("\n")) {
      if (!line.isEmpty()) {
        tokens.add(line.replace(" ", ""));
      }
    }
    String vocab = IntStream.range(0, tokens.size())
        .mapToObj(i -> "\"" + tokens.get(i).replace("\\", "\\\\").replace("\"", "\\\"") + "\": " + i)
        .collect(Collectors.joining(", ", "{", "}"));
    Files.writeString(dir.resolve("vocab.json"), vocab, StandardCharsets.UTF_8);
    Files.writeString(dir.resolve("merges.txt"), "#version: 0.2\n" + merges, StandardCharsets.UTF_8);
    if (config != null) {
      Files.writeString(dir.resolve("tokenizer_config.json"), config, StandardCharsets.UTF_8);
    }
    return dir;
  }

  private static int byteId(char c) {
    return c & 0xFF;
  }

  @Test
  void encode_lowerRankMergeFirst_decidesTheSplit() throws IOException {
    // "abc": merge "b c" (rank 0) beats "a b" (rank 1), so the result is a + bc, not ab + c.
    BpeTokenizer t = BpeTokenizer.load(tiny("b c\na b\n", null), BpeFamily.GPT2);
    assertArrayEquals(new int[] {byteId('a'), 256}, t.encode("abc"));
    BpeTokenizer swapped = BpeTokenizer.load(tiny("a b\nb c\n", null), BpeFamily.GPT2);
    assertArrayEquals(new int[] {256, byteId('c')}, swapped.encode("abc"));
  }

  @Test
  void encode_repeatedPair_mergesLeftmostFirst() throws IOException {
    BpeTokenizer t = BpeTokenizer.load(tiny("a a\n", null), BpeFamily.GPT2);
    assertArrayEquals(new int[] {256, byteId('a')}, t.encode("aaa"));
    assertArrayEquals(new int[] {256, 256}, t.encode("aaaa"));
  }

  @Test
  void load_configWithoutAddedTokens_usesFamilyDefaultsAppendedAfterVocab() throws IOException {
    BpeTokenizer t = BpeTokenizer.load(tiny("a b\n", "{\"tokenizer_class\": \"Qwen2TokenizerFast\"}"));
    assertEquals(BpeFamily.QWEN2, t.family());
    assertEquals(257, t.eosId(), "<|endoftext|> appended after the 257 vocabulary tokens");
    assertEquals(257, t.padId());
    assertEquals(HuggingFaceSpecialTokens.NONE, t.bosId());
    assertArrayEquals(new int[] {256, 257}, t.encode("ab<|endoftext|>"));
  }

  @Test
  void load_splitSpecialTokens_tokenizesThemAsText() throws IOException {
    BpeTokenizer t = BpeTokenizer.load(tiny("a b\n",
        "{\"split_special_tokens\": true, \"added_tokens_decoder\": {\"300\": {\"content\": \"<s>\", \"special\": true}},"
            + " \"bos_token\": null, \"eos_token\": \"<s>\"}"), BpeFamily.GPT2);
    assertEquals(300, t.eosId());
    assertEquals(3, t.encode("<s>").length);
  }

  @Test
  void load_mergeOutsideVocabulary_failsNamingTheLine() throws IOException {
    tiny("a b\n", null);
    Files.writeString(dir.resolve("merges.txt"), "#version: 0.2\na b\nx y\n", StandardCharsets.UTF_8);
    IOException e = assertThrows(IOException.class, () -> BpeTokenizer.load(dir, BpeFamily.GPT2));
    assertTrue(e.getMessage().contains("merges.txt:3"), e.getMessage());
  }

  @Test
  void load_unknownTokenizerClass_failsListingValidOnes() throws IOException {
    tiny("a b\n", "{\"tokenizer_class\": \"LlamaTokenizer\"}");
    IOException e = assertThrows(IOException.class, () -> BpeTokenizer.load(dir));
    assertTrue(e.getMessage().contains("LlamaTokenizer") && e.getMessage().contains("Qwen2Tokenizer"), e.getMessage());
  }

  @Test
  void load_roleTokenNowhere_fails() throws IOException {
    tiny("a b\n", "{\"eos_token\": \"</s>\"}");
    IOException e = assertThrows(IOException.class, () -> BpeTokenizer.load(dir, BpeFamily.GPT2));
    assertTrue(e.getMessage().contains("eos_token '</s>'"), e.getMessage());
  }

  @Test
  void load_missingMerges_failsNamingTheFile() throws IOException {
    tiny("a b\n", null);
    Files.delete(dir.resolve("merges.txt"));
    IOException e = assertThrows(IOException.class, () -> BpeTokenizer.load(dir, BpeFamily.GPT2));
    assertTrue(e.getMessage().contains("merges.txt"), e.getMessage());
  }

  @Test
  void fromTokenizerClass_fastAndSlowNames_sameFamily() {
    assertEquals(BpeFamily.GPT2, BpeFamily.fromTokenizerClass("GPT2TokenizerFast"));
    assertEquals(BpeFamily.QWEN2, BpeFamily.fromTokenizerClass("Qwen2Tokenizer"));
    assertThrows(IllegalArgumentException.class, () -> BpeFamily.fromTokenizerClass("Fast"));
  }
}
