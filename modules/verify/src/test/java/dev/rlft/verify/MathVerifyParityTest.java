package dev.rlft.verify;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rlft.verify.extraction.ChoiceExtractor;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Agreement with Math-Verify's own test suite (huggingface/Math-Verify, Apache-2.0; see
 * {@code src/test/resources/math-verify-cases/README.md}). Each case runs with the options its
 * upstream test passes (extraction targets, float rounding, strict, set/relation comparison,
 * boxed priority); agreement is counted per source file and overall and printed as a table.
 */
class MathVerifyParityTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Map<String, AnswerChecker> CHECKERS = new LinkedHashMap<>();

  @BeforeAll
  static void warm() {
    checker(CheckerConfig.defaults());
  }

  @AfterAll
  static void close() {
    CHECKERS.values().forEach(AnswerChecker::close);
  }

  private static AnswerChecker checker(CheckerConfig config) {
    return CHECKERS.computeIfAbsent(config.toString(), k -> AnswerChecker.create(config));
  }

  static List<JsonNode> read(String resource) throws IOException {
    List<JsonNode> out = new ArrayList<>();
    try (InputStream in = MathVerifyParityTest.class.getResourceAsStream(resource);
        BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
      String line;
      while ((line = r.readLine()) != null) {
        if (!line.isBlank()) {
          out.add(JSON.readTree(line));
        }
      }
    }
    return out;
  }

  /** The upstream options of one case, as a checker configuration. */
  static CheckerConfig configFor(JsonNode c) {
    boolean latex = false;
    boolean expr = false;
    for (JsonNode t : c.get("match_types")) {
      latex |= t.asText().equals("latex");
      expr |= t.asText().equals("expr");
    }
    int boxed = c.get("latex_boxed_match_priority").isNull() ? 0 : c.get("latex_boxed_match_priority").asInt();
    return CheckerConfig.defaults()
        .withExtraction(latex, expr)
        .withFloatRounding(c.get("float_rounding").asInt())
        .withStrict(c.get("strict").asBoolean())
        .withAllowSetRelation(c.get("allow_set_relation_comp").asBoolean())
        .withBoxedPriority(boxed);
  }

  @Test
  void check_mathVerifyCases_agreesOnAtLeast95Percent() throws IOException {
    Map<String, int[]> perFile = new LinkedHashMap<>();
    List<String> disagreements = new ArrayList<>();
    List<JsonNode> cases = read("/math-verify-cases/cases.jsonl");
    for (int i = 0; i < cases.size(); i++) {
      JsonNode c = cases.get(i);
      Verdict v = checker(configFor(c)).check(c.get("gold").asText(), c.get("pred").asText());
      boolean expected = c.get("expected").asBoolean();
      String file = c.get("source").asText().split(":")[0];
      int[] counts = perFile.computeIfAbsent(file, k -> new int[2]);
      counts[1]++;
      if (v.equal() == expected) {
        counts[0]++;
      } else {
        disagreements.add(String.format("  #%d %s expected=%s got=%s rule=%s reason=%s gold=%s extracted=%s",
            i, c.get("source").asText(), expected, v.equal(), v.rule(), v.reason(),
            abbreviate(v.goldNormalized()), abbreviate(v.extracted())));
      }
    }
    List<JsonNode> strings = read("/math-verify-cases/string_extraction_cases.jsonl");
    int[] stringCounts = new int[2];
    for (JsonNode c : strings) {
      JsonNode cfg = c.get("config");
      List<String> labels = new ArrayList<>();
      cfg.get("strings").forEach(s -> labels.add(s.asText()));
      List<String> got = new ChoiceExtractor(labels, cfg.get("lowercase").asBoolean(),
          cfg.get("try_extract_without_anchor").asBoolean()).extract(c.get("pred").asText());
      List<String> expected = new ArrayList<>();
      c.get("expected_parse").forEach(s -> expected.add(s.asText()));
      stringCounts[1]++;
      if (got.equals(expected)) {
        stringCounts[0]++;
      } else {
        disagreements.add("  string case " + c.get("index") + ": expected " + expected + " got " + got);
      }
    }
    perFile.put("tests/test_string_extraction.py (string_extraction_cases.jsonl)", stringCounts);

    int agree = 0;
    int total = 0;
    StringBuilder table = new StringBuilder("\nMath-Verify parity\n");
    table.append(String.format("%-70s %7s %7s %8s%n", "source file", "agree", "cases", "rate"));
    for (Map.Entry<String, int[]> e : perFile.entrySet()) {
      int[] c = e.getValue();
      agree += c[0];
      total += c[1];
      table.append(String.format("%-70s %7d %7d %7.1f%%%n", e.getKey(), c[0], c[1], 100.0 * c[0] / c[1]));
    }
    double rate = 100.0 * agree / total;
    table.append(String.format("%-70s %7d %7d %7.1f%%%n", "overall", agree, total, rate));
    table.append("disagreements:\n").append(String.join("\n", disagreements));
    System.out.println(table);
    assertTrue(rate >= 95.0, "overall agreement " + rate + "% is below 95%");
  }

  private static String abbreviate(String s) {
    String one = s.replace('\n', ' ');
    return one.length() > 120 ? one.substring(0, 117) + "..." : one;
  }
}
