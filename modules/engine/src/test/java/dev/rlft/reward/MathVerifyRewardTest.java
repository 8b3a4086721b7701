package dev.rlft.reward;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rlft.data.ArithmeticTask;
import dev.rlft.data.ArithmeticTaskConfig;
import dev.rlft.data.Problem;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** The Math-Verify-parity checker as the GRPO accuracy reward, alone and weighted with the format reward. */
class MathVerifyRewardTest {

  private static final MathVerifyReward REWARD = new MathVerifyReward();

  @AfterAll
  static void close() {
    REWARD.close();
  }

  @Test
  void equivalentAnswers_scoreOne_beyondStringEquality() {
    assertEquals(1.0, REWARD.score("So the answer is \\boxed{\\frac{1}{2}}.", "0.5").reward());
    assertEquals(1.0, REWARD.score("x = 2\n\n\\boxed{\\sqrt{4}}", "2").reward());
    assertEquals(1.0, REWARD.score("よって、答えは 1,250 です。", "1250").reward());
    assertEquals(1.0, REWARD.score("#### 72", "72").reward());
    RewardResult wrong = REWARD.score("\\boxed{3}", "4");
    assertEquals(0.0, wrong.reward());
    assertFalse(wrong.correct());
    assertEquals("3", wrong.extracted().replace("\\boxed{", "").replace("}", ""));
    assertEquals(0.0, REWARD.score(null, "4").reward());
    assertEquals(0.0, REWARD.score("\\boxed{4}", "").reward());
  }

  @Test
  void embeddedTaskReferences_areAllCorrect_asWithTheBoxedReward() {
    BoxedAnswerReward boxed = new BoxedAnswerReward();
    List<Problem> problems = ArithmeticTask.heldOut(ArithmeticTaskConfig.defaults(), 3).load().subList(0, 200);
    for (Problem p : problems) {
      assertTrue(REWARD.score(p.solution(), p.answer()).correct(), p.solution());
      assertEquals(boxed.score(p.solution(), p.answer()).reward(), REWARD.score(p.solution(), p.answer()).reward());
      assertEquals(0.0, REWARD.score(p.solution(), Integer.toString(Integer.parseInt(p.answer()) + 1)).reward());
    }
  }

  @Test
  void weightedReward_addsTheFormatBonus_andKeepsAccuracyAsCorrect() throws Exception {
    try (WeightedReward r = new WeightedReward(List.of(new WeightedReward.Component(new BoxedAnswerReward(), 1.0),
        new WeightedReward.Component(new FormatReward(), 0.2)))) {
      RewardResult rightAndBoxed = r.score("3+4=7\n\n\\boxed{7}", "7");
      assertEquals(1.2, rightAndBoxed.reward(), 1e-12);
      assertTrue(rightAndBoxed.correct());
      RewardResult wrongButBoxed = r.score("3+4=8\n\n\\boxed{8}", "7");
      assertEquals(0.2, wrongButBoxed.reward(), 1e-12);
      assertFalse(wrongButBoxed.correct());
      assertTrue(wrongButBoxed.reason().contains("format"), wrongButBoxed.reason());
    }
  }
}
