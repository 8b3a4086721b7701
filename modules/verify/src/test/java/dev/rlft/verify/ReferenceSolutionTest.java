package dev.rlft.verify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Self-consistency on real data: the reference solution, read as a model output, must be judged
 * equal to the reference answer. GSM8K test (openai/grade-school-math, MIT) and MATH-500
 * (openai/prm800k, MIT); see the README files next to the data in src/test/resources.
 */
class ReferenceSolutionTest {
  private static AnswerChecker checker;

  @BeforeAll
  static void create() {
    checker = AnswerChecker.create();
  }

  @AfterAll
  static void close() {
    checker.close();
  }

  @Test
  void check_gsm8kReferenceSolutions_allAccepted() throws IOException {
    List<JsonNode> items = MathVerifyParityTest.read("/gsm8k/test.jsonl");
    List<String> rejected = new ArrayList<>();
    for (JsonNode item : items) {
      String solution = item.get("answer").asText();
      String gold = solution.substring(solution.lastIndexOf("####") + 4).strip();
      Verdict v = checker.check(gold, solution);
      if (!v.equal()) {
        rejected.add(gold + " -> " + v);
      }
    }
    System.out.printf("GSM8K test: %d/%d reference solutions accepted%n", items.size() - rejected.size(), items.size());
    rejected.forEach(r -> System.out.println("  rejected: " + r));
    assertEquals(1319, items.size());
    assertTrue(rejected.isEmpty(), rejected.size() + " GSM8K reference solutions rejected");
  }

  @Test
  void check_math500ReferenceSolutions_atLeast99PercentAccepted() throws IOException {
    List<JsonNode> items = MathVerifyParityTest.read("/math/math500_test.jsonl");
    List<String> rejected = new ArrayList<>();
    for (JsonNode item : items) {
      Verdict v = checker.check(item.get("answer").asText(), item.get("solution").asText());
      if (!v.equal()) {
        rejected.add(item.get("unique_id").asText() + " answer=" + item.get("answer").asText() + " -> " + v);
      }
    }
    int accepted = items.size() - rejected.size();
    System.out.printf("MATH-500: %d/%d reference solutions accepted (%.1f%%)%n", accepted, items.size(),
        100.0 * accepted / items.size());
    rejected.forEach(r -> System.out.println("  rejected: " + r));
    assertEquals(500, items.size());
    assertTrue(accepted >= 495, "only " + accepted + "/500 MATH-500 reference solutions accepted");
  }
}
