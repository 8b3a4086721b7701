package dev.rlft.reward;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class BoxedAnswerRewardTest {

  private final BoxedAnswerReward reward = new BoxedAnswerReward();

  @Test
  void score_correctBoxedAnswer_rewardOne() {
    RewardResult r = reward.score("7+5=12\n\n12-3=9\n\n\\boxed{9}", "9");
    assertEquals(new RewardResult(1.0, true, "9", "correct"), r);
  }

  @Test
  void score_wrongBoxedAnswer_rewardZero() {
    assertEquals(
        new RewardResult(0.0, false, "8", "wrong answer"), reward.score("\\boxed{8}", "9"));
  }

  @Test
  void score_nestedBraces_extractsWholeContent() {
    RewardResult r = reward.score("so $\\boxed{\\frac{1}{2}}$.", "0.5");
    assertEquals("\\frac{1}{2}", r.extracted());
    assertTrue(r.correct());
  }

  @Test
  void score_severalBoxes_lastWins() {
    RewardResult r = reward.score("\\boxed{3} no wait \\fbox{4} hmm \\boxed{5}", "5");
    assertEquals("5", r.extracted());
    assertTrue(r.correct());
    assertEquals("4", reward.score("\\boxed{3} no, \\fbox{4}", "5").extracted());
  }

  @Test
  void score_noBox_nullExtraction() {
    assertEquals(
        new RewardResult(0.0, false, null, "no boxed answer"), reward.score("The answer is 9.", "9"));
  }

  @Test
  void score_unclosedLastBox_noBoxedAnswer() {
    RewardResult r = reward.score("\\boxed{9} then \\boxed{1", "9");
    assertNull(r.extracted());
    assertEquals("no boxed answer", r.reason());
  }

  @Test
  void score_escapedBracesAndSpaceBeforeBrace_handled() {
    assertEquals("\\{1,2\\}", reward.score("\\boxed {\\{1,2\\}}", "x").extracted());
    assertNull(reward.score("\\boxedx{3}", "3").extracted());
  }

  @ParameterizedTest(name = "{0} vs {1}")
  @CsvSource(
      delimiter = '|',
      value = {
        "\\frac{1}{2}       | 0.5",
        "\\dfrac{14}{3}     | \\frac{14}{3}",
        "14/3               | \\frac{14}{3}",
        "0.50               | 1/2",
        "\\frac12           | 0.5",
        "-\\frac{1}{2}      | -0.5",
        "\\frac{-3}{4}      | -0.75",
        "1,000              | 1000",
        "$1,000$            | 1000",
        "1{,}000            | 1000",
        "10,\\!080          | 10080",
        "\\$32,\\!348       | 32348",
        "72.                | 72",
        "05                 | 5",
        "−5                 | -5",
        "p - q              | p-q",
        "\\text{Evelyn}     | \\text{Evelyn}",
        "\\left( 3, \\frac{\\pi}{2} \\right) | \\left(3,\\frac{\\pi}{2}\\right)",
      })
  void score_equivalentSpellings_correct(String boxed, String truth) {
    RewardResult r = reward.score("\\boxed{" + boxed + "}", truth);
    assertTrue(r.correct(), boxed + " vs " + truth + ": " + r);
    assertEquals(1.0, r.reward());
  }

  @ParameterizedTest(name = "{0} vs {1}")
  @CsvSource(
      delimiter = '|',
      value = {
        "0.3333    | \\frac{1}{3}",
        "1/0       | 2/0",
        "1,2       | 12",
        "(1,2)     | (1,20)",
        "1e3       | 1000",
        "\\sqrt{4} | 2",
        "-5        | 5",
      })
  void score_differentAnswers_wrong(String boxed, String truth) {
    RewardResult r = reward.score("\\boxed{" + boxed + "}", truth);
    assertFalse(r.correct(), boxed + " vs " + truth + ": " + r);
    assertEquals(0.0, r.reward());
  }

  @Test
  void score_hugeCompletion_tooLongWithoutInspection() {
    String huge = "\\boxed{9}" + "x".repeat(BoxedAnswerReward.MAX_COMPLETION_CHARS);
    assertEquals(new RewardResult(0.0, false, null, "too long"), reward.score(huge, "9"));
  }

  @Test
  void score_largestAllowedCompletionManyBoxes_stillScored() {
    String many = "\\boxed{{{{" .repeat(5_000);
    String text = many + "x".repeat(BoxedAnswerReward.MAX_COMPLETION_CHARS - many.length() - 9)
        + "\\boxed{9}";
    assertEquals(BoxedAnswerReward.MAX_COMPLETION_CHARS, text.length());
    assertTrue(reward.score(text, "9").correct());
  }

  @Test
  void score_hugeNumbers_comparedExactly() {
    String big = "1" + "0".repeat(900);
    assertTrue(reward.score("\\boxed{" + big + "}", big + ".000").correct());
    assertFalse(reward.score("\\boxed{" + big + "1}", big + "0").correct());
  }

  @Test
  void score_nullsAndBlanks_neverThrow() {
    assertEquals("no boxed answer", reward.score(null, "9").reason());
    assertEquals("no reference answer", reward.score("\\boxed{9}", null).reason());
    assertEquals("no reference answer", reward.score("\\boxed{9}", " ").reason());
    RewardResult empty = reward.score("\\boxed{}", "9");
    assertEquals("", empty.extracted());
    assertFalse(empty.correct());
  }

  @Test
  void score_randomGarbage_neverThrows() {
    String alphabet = "\\boxedfracfbx{}{}$.,/-+0123456789 \n!";
    Random random = new Random(42);
    for (int i = 0; i < 20_000; i++) {
      StringBuilder a = new StringBuilder();
      StringBuilder b = new StringBuilder();
      int n = random.nextInt(40);
      for (int k = 0; k < n; k++) {
        a.append(alphabet.charAt(random.nextInt(alphabet.length())));
        b.append(alphabet.charAt(random.nextInt(alphabet.length())));
      }
      RewardResult r = reward.score("\\boxed{" + a, b.toString());
      assertTrue(r.reward() == 0.0 || r.reward() == 1.0);
      reward.score(a.toString(), b.toString());
    }
  }

  @Test
  void name_isStable() {
    assertEquals("boxed-answer", reward.name());
  }
}
