package dev.rlft.reward;

/**
 * The accuracy reward: 1 when the completion's last {@code \boxed{...}} (or {@code \fbox{...}})
 * equals the ground-truth answer, else 0.
 *
 * <p>Both sides are normalised first: surrounding blanks, {@code $}, all spaces, LaTeX spacing
 * ({@code \!}, {@code \,}), trailing periods and thousands separators removed. When both are then
 * numbers (integers, decimals, {@code a/b} or {@code \frac{a}{b}}) they are compared exactly as
 * rationals, so {@code \frac{1}{2}} equals {@code 0.5} and {@code 1,000} equals {@code 1000};
 * otherwise the normalised strings must be equal. Symbolic equivalence ({@code \sqrt{4}} vs
 * {@code 2}, intervals, units) is left to a fuller checker behind the same interface.
 *
 * <p>Results: reward 1 with reason {@code "correct"}; otherwise reward 0 with reason {@code "wrong
 * answer"}, {@code "no boxed answer"} (none, or the last one never closed), {@code "too long"}
 * (over {@link #MAX_COMPLETION_CHARS} characters, not inspected) or {@code "no reference answer"}.
 */
public final class BoxedAnswerReward implements RewardFunction {

  /** Completions longer than this are not inspected and score 0. */
  public static final int MAX_COMPLETION_CHARS = 100_000;

  public static final String NAME = "boxed-answer";

  @Override
  public RewardResult score(String completion, String answer) {
    if (completion != null && completion.length() > MAX_COMPLETION_CHARS) {
      return new RewardResult(0.0, false, null, "too long");
    }
    BoxedAnswers.Box box = completion == null ? null : BoxedAnswers.lastBox(completion);
    if (box == null) {
      return new RewardResult(0.0, false, null, "no boxed answer");
    }
    if (answer == null || answer.isBlank()) {
      return new RewardResult(0.0, false, box.content(), "no reference answer");
    }
    return BoxedAnswers.equivalent(box.content(), answer)
        ? new RewardResult(1.0, true, box.content(), "correct")
        : new RewardResult(0.0, false, box.content(), "wrong answer");
  }

  @Override
  public String name() {
    return NAME;
  }
}
