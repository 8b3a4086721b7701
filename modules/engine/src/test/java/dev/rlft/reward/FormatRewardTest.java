package dev.rlft.reward;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class FormatRewardTest {

  private final FormatReward reward = new FormatReward();

  @Test
  void score_boxedLastStep_rewardOneWhateverTheAnswer() {
    assertEquals(
        new RewardResult(1.0, true, "12", "boxed last step"),
        reward.score("7+5=12\n\n\\boxed{12}", "99"));
    assertEquals(1.0, reward.score("So:\n\n$\\boxed{\\frac{1}{2}}$.\n", null).reward());
  }

  @Test
  void score_boxInsideProse_notALastStep() {
    RewardResult r = reward.score("7+5=12\n\nThe answer is \\boxed{12} apples", "12");
    assertEquals(new RewardResult(0.0, false, "12", "last step is not a boxed answer"), r);
  }

  @Test
  void score_boxFollowedByAnotherStep_notALastStep() {
    assertEquals(
        "last step is not a boxed answer", reward.score("\\boxed{12}\n\nDone.", "12").reason());
  }

  @Test
  void score_emptyBox_rewardZero() {
    assertEquals(
        new RewardResult(0.0, false, " ", "empty boxed answer"), reward.score("1+1=2\n\n\\boxed{ }", "2"));
  }

  @Test
  void score_noBoxOrNothing_rewardZero() {
    assertEquals("no boxed answer", reward.score("12", "12").reason());
    assertEquals("no boxed answer", reward.score("", "12").reason());
    assertEquals("no boxed answer", reward.score(null, "12").reason());
    assertEquals("no boxed answer", reward.score("\\boxed{12", "12").reason());
  }

  @Test
  void score_hugeCompletion_tooLong() {
    assertEquals(
        "too long",
        reward.score("x".repeat(BoxedAnswerReward.MAX_COMPLETION_CHARS + 1), "1").reason());
  }

  @Test
  void name_isStable() {
    assertEquals("format", reward.name());
  }
}
