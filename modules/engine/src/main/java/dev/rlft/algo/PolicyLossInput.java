package dev.rlft.algo;

import java.util.Objects;

/**
 * Inputs of the clipped policy-gradient loss with KL penalty, as plain arrays; see {@link
 * PolicyLoss#compute(PolicyLossInput)} for the formula.
 *
 * <p>The arrays are not copied: the caller must not change them while the record is in use.
 *
 * @param logp {@code [B][T]} log-probabilities of the sampled tokens under the policy being trained
 * @param oldLogp {@code [B][T]} the same under the policy that sampled them
 * @param refLogp {@code [B][T]} the same under the frozen reference model; may be null when {@code
 *     beta == 0}
 * @param advantages {@code [B]}, one per sequence, broadcast over its tokens
 * @param mask {@code [B][T]}, 1 for completion tokens that count, 0 for prompt and padding
 * @param clipLow {@code eps_low} in {@code [0, 1)}: the ratio is clipped below at {@code 1 -
 *     clipLow}
 * @param clipHigh {@code eps_high >= 0}: the ratio is clipped above at {@code 1 + clipHigh}
 * @param beta KL penalty coefficient {@code >= 0}; 0 disables the KL term
 * @param kl the KL estimator, used only when {@code beta > 0}
 * @param aggregation how per-token values become scalars
 */
public record PolicyLossInput(
    float[][] logp,
    float[][] oldLogp,
    float[][] refLogp,
    float[] advantages,
    float[][] mask,
    float clipLow,
    float clipHigh,
    float beta,
    KlEstimator kl,
    LossAggregation aggregation) {

  /**
   * Validates shapes and ranges. Every array entry must be finite, masked ones included, so that
   * this reference and the DJL version (which multiplies by the mask) see the same numbers.
   *
   * @throws IllegalArgumentException naming the bad value
   * @throws NullPointerException for a missing array, estimator or aggregation
   */
  public PolicyLossInput {
    Objects.requireNonNull(logp, "logp");
    Objects.requireNonNull(oldLogp, "oldLogp");
    Objects.requireNonNull(advantages, "advantages");
    Objects.requireNonNull(mask, "mask");
    Objects.requireNonNull(kl, "kl");
    Objects.requireNonNull(aggregation, "aggregation");
    PolicyLoss.checkHyperparameters(clipLow, clipHigh, beta);
    if (beta > 0) {
      Objects.requireNonNull(refLogp, "refLogp is required when beta > 0 (beta = " + beta + ")");
    }
    if (logp.length == 0) {
      throw new IllegalArgumentException("logp has no rows; need [B][T] with B >= 1");
    }
    Objects.requireNonNull(logp[0], "logp[0]");
    int tokens = logp[0].length;
    if (tokens == 0) {
      throw new IllegalArgumentException("logp[0] is empty; need [B][T] with T >= 1");
    }
    int rows = logp.length;
    checkMatrix("logp", logp, rows, tokens);
    checkMatrix("oldLogp", oldLogp, rows, tokens);
    if (refLogp != null) {
      checkMatrix("refLogp", refLogp, rows, tokens);
    }
    checkMatrix("mask", mask, rows, tokens);
    if (advantages.length != rows) {
      throw new IllegalArgumentException(
          "advantages has " + advantages.length + " entries, expected one per row of logp (" + rows
              + ")");
    }
    for (int i = 0; i < rows; i++) {
      if (!Float.isFinite(advantages[i])) {
        throw new IllegalArgumentException("advantages[" + i + "] is " + advantages[i] + ", must be finite");
      }
      for (int j = 0; j < tokens; j++) {
        if (mask[i][j] != 0f && mask[i][j] != 1f) {
          throw new IllegalArgumentException(
              "mask[" + i + "][" + j + "] is " + mask[i][j] + ", must be 0 or 1");
        }
      }
    }
  }

  private static void checkMatrix(String name, float[][] m, int rows, int tokens) {
    if (m.length != rows) {
      throw new IllegalArgumentException(
          name + " has " + m.length + " rows, expected " + rows + " like logp");
    }
    for (int i = 0; i < rows; i++) {
      if (m[i] == null) {
        throw new NullPointerException(name + "[" + i + "]");
      }
      if (m[i].length != tokens) {
        throw new IllegalArgumentException(
            name + "[" + i + "] has " + m[i].length + " entries, expected " + tokens
                + " like logp[0]");
      }
      for (int j = 0; j < tokens; j++) {
        if (!Float.isFinite(m[i][j])) {
          throw new IllegalArgumentException(
              name + "[" + i + "][" + j + "] is " + m[i][j] + ", must be finite (pad with 0)");
        }
      }
    }
  }
}
