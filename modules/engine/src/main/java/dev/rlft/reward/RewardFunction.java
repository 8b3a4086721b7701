package dev.rlft.reward;

/**
 * Scores one completion of a problem against the problem's ground-truth answer.
 *
 * <p>Implementations are pure, thread-safe and never throw, whatever the completion holds
 * (including {@code null}): a reward worker must not fail on model output.
 */
public interface RewardFunction {

  /**
   * Scores {@code completion} against the ground truth {@code answer}.
   *
   * @param completion the model's text, untrusted; may be null or huge
   * @param answer the ground-truth final answer, e.g. {@link dev.rlft.data.Problem#answer()}
   */
  RewardResult score(String completion, String answer);

  /** The name under which the reward is configured and logged, e.g. {@code boxed-answer}. */
  String name();
}
