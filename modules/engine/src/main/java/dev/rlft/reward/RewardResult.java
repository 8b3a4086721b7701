package dev.rlft.reward;

/**
 * The outcome of scoring one completion.
 *
 * @param reward the scalar reward, finite
 * @param correct whether the completion met the function's criterion (for an accuracy reward: the
 *     answer is right; for a format reward: the format is right)
 * @param extracted the answer found in the completion, or null when none was found
 * @param reason a short human-readable explanation, e.g. {@code "no boxed answer"}
 */
public record RewardResult(double reward, boolean correct, String extracted, String reason) {

  public RewardResult {
    if (!Double.isFinite(reward)) {
      throw new IllegalArgumentException("reward must be finite, got " + reward);
    }
    if (reason == null || reason.isBlank()) {
      throw new IllegalArgumentException("reason must not be blank, got " + reason);
    }
  }
}
