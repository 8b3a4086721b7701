package dev.rlft.tokenizer;

import static dev.rlft.tokenizer.SentencePieceFixtures.ints;
import static dev.rlft.tokenizer.SentencePieceFixtures.json;
import static dev.rlft.tokenizer.SentencePieceFixtures.tokenizer;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code library_cases.json}: for each of nine models (the stories260K and LLM-jp ones and five
 * small trained ones covering character maps, user-defined and unused pieces, no byte fallback and
 * whitespace as a suffix), hand-picked and seeded random texts encoded, and id sequences decoded,
 * by the SentencePiece library. Each test reports every mismatch, not only the first.
 */
class SentencePieceLibraryCasesTest {

  private static final String CASES = "library_cases.json";

  static Stream<String> models() {
    List<String> models = new ArrayList<>();
    json(CASES).path("models").fieldNames().forEachRemaining(models::add);
    assertEquals(9, models.size(), "models in " + CASES);
    return models.stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("models")
  void encode_libraryCases_matchSentencePiece(String model) {
    SentencePieceTokenizer tok = tokenizer(model);
    JsonNode cases = json(CASES).path("models").path(model).path("encode");
    List<String> mismatches = new ArrayList<>();
    for (JsonNode c : cases) {
      int[] expected = ints(c.path("ids"));
      int[] actual = tok.encode(c.path("text").asText());
      if (!Arrays.equals(expected, actual)) {
        mismatches.add(c.path("text") + ": expected " + Arrays.toString(expected)
            + ", got " + Arrays.toString(actual));
      }
    }
    assertTrue(cases.size() >= 190, "cases for " + model + ": " + cases.size());
    assertEquals(List.of(), mismatches);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("models")
  void decode_libraryCases_matchSentencePiece(String model) {
    SentencePieceTokenizer tok = tokenizer(model);
    JsonNode cases = json(CASES).path("models").path(model).path("decode");
    List<String> mismatches = new ArrayList<>();
    for (JsonNode c : cases) {
      String expected = c.path("text").asText();
      String actual = tok.decode(ints(c.path("ids")));
      if (!expected.equals(actual)) {
        mismatches.add(c.path("ids") + ": expected " + c.path("text") + ", got '" + actual + "'");
      }
    }
    assertTrue(cases.size() >= 120, "cases for " + model + ": " + cases.size());
    assertEquals(List.of(), mismatches);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("models")
  void specialIds_libraryModel_matchSentencePiece(String model) {
    JsonNode expected = json(CASES).path("models").path(model);
    SentencePieceTokenizer tok = tokenizer(model);

    assertEquals(expected.path("piece_size").asInt(), tok.vocabSize());
    assertEquals(
        new SentencePieceTokenizer.SpecialIds(
            expected.path("unk_id").asInt(),
            expected.path("bos_id").asInt(),
            expected.path("eos_id").asInt(),
            expected.path("pad_id").asInt()),
        tok.specialIds());
  }
}
