package dev.rlft.tokenizer;

import static dev.rlft.tokenizer.SentencePieceFixtures.ints;
import static dev.rlft.tokenizer.SentencePieceFixtures.json;
import static dev.rlft.tokenizer.SentencePieceFixtures.tok512;
import static dev.rlft.tokenizer.SentencePieceFixtures.tokenizer;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The published reference encodings: stories260K's prompt and greedy stories (BPE, tok512), and
 * the 30 LLM-jp cases (Unigram; 10 texts for each of three models) made by the SentencePiece
 * library. Every one of them is asserted; none is skipped.
 */
class SentencePieceReferenceTest {

  private static final String LLM_JP = "llm-jp/reference_encodings.json";
  private static final String STORIES = "stories260K/reference.json";

  @Test
  void encode_onceUponATime_matchesStoriesPromptAfterBos() {
    SentencePieceTokenizer tok = tok512();
    JsonNode prompt = json(STORIES).path("prompt");
    int[] ids = tok.encode(prompt.path("text").asText());
    int[] withBos = new int[ids.length + 1];
    withBos[0] = tok.bosId();
    System.arraycopy(ids, 0, withBos, 1, ids.length);

    assertArrayEquals(ints(prompt.path("tokens")), withBos);
    assertArrayEquals(new int[] {1, 403, 407, 261, 378}, withBos);
    for (int i = 1; i < withBos.length; i++) {
      assertEquals(prompt.path("pieces").get(i).asText(), tok.tokenText(withBos[i]));
    }
  }

  @Test
  void decode_goldenStoryFromBos_equalsReferenceText() {
    JsonNode golden = json(STORIES).path("golden_from_bos_256");
    int[] tokens = ints(golden.path("tokens"));

    assertEquals(256, tokens.length);
    assertEquals(golden.path("text").asText(), tok512().decode(tokens));
  }

  @Test
  void decode_promptAndGreedyContinuation_equalsReferenceTexts() {
    JsonNode reference = json(STORIES);
    int[] prompt = ints(reference.path("prompt").path("tokens"));
    int[] greedy = ints(reference.path("greedy_after_prompt").path("tokens"));
    int[] all = Arrays.copyOf(prompt, prompt.length + greedy.length);
    System.arraycopy(greedy, 0, all, prompt.length, greedy.length);

    assertEquals(reference.path("greedy_after_prompt").path("full_text").asText(), tok512().decode(all));
    assertEquals(reference.path("greedy_after_prompt").path("text").asText(), tok512().decode(greedy));
  }

  @Test
  void decodeOfEncode_storiesTexts_givesTextsBack() {
    JsonNode reference = json(STORIES);
    for (String text : List.of(
        reference.path("golden_from_bos_256").path("text").asText(),
        reference.path("greedy_after_prompt").path("full_text").asText())) {
      assertEquals(text, tok512().decode(tok512().encode(text)));
    }
  }

  static Stream<Arguments> llmJpCases() {
    List<Arguments> cases = new ArrayList<>();
    json(LLM_JP).path("models").fields().forEachRemaining(model -> {
      int i = 0;
      for (JsonNode c : model.getValue().path("cases")) {
        cases.add(Arguments.of(model.getKey(), i++, c));
      }
    });
    assertEquals(30, cases.size(), "reference cases found");
    return cases.stream();
  }

  @ParameterizedTest(name = "{0} case {1}")
  @MethodSource("llmJpCases")
  void encode_llmJpReference_matchesLibraryIdsAndPieces(String model, int index, JsonNode c) {
    SentencePieceTokenizer tok = tokenizer(model);
    int[] ids = tok.encode(c.path("text").asText());

    assertArrayEquals(ints(c.path("ids")), ids);
    List<String> pieces = new ArrayList<>();
    c.path("pieces").forEach(p -> pieces.add(p.asText()));
    assertEquals(pieces, Arrays.stream(ids).mapToObj(tok::piece).toList());
  }

  @ParameterizedTest(name = "{0} case {1}")
  @MethodSource("llmJpCases")
  void decode_llmJpReference_matchesLibraryAndRoundTrips(String model, int index, JsonNode c) {
    SentencePieceTokenizer tok = tokenizer(model);
    String text = c.path("text").asText();

    assertEquals(c.path("decoded").asText(), tok.decode(ints(c.path("ids"))));
    assertEquals(text, tok.decode(tok.encode(text)));
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "llm-jp-tokenizer-100k.ver3.0b1.model",
      "llm-jp-tokenizer-100k.ver3.1.model",
      "code10k_en20k_ja30k.ver2.1.model"})
  void specialIds_llmJpModel_matchLibrary(String model) {
    SentencePieceTokenizer tok = tokenizer(model);
    JsonNode expected = json(LLM_JP).path("models").path(model);

    assertEquals(expected.path("piece_size").asInt(), tok.vocabSize());
    assertEquals(
        new SentencePieceTokenizer.SpecialIds(
            expected.path("unk_id").asInt(),
            expected.path("bos_id").asInt(),
            expected.path("eos_id").asInt(),
            expected.path("pad_id").asInt()),
        tok.specialIds());
    JsonNode first = expected.path("first_pieces");
    for (int i = 0; i < first.size(); i++) {
      assertEquals(first.get(i).asText(), tok.piece(i));
    }
    assertEquals(SentencePieceTokenizer.Algorithm.UNIGRAM, tok.algorithm());
  }
}
