package dev.rlft.algo;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import java.util.Objects;

/**
 * The clipped surrogate loss of {@link PolicyLoss} with one advantage per token instead of one per
 * sequence, as PPO with a critic needs (arXiv 1707.06347, eq. 7, with GAE advantages), aggregated
 * as {@link LossAggregation#TOKEN_MEAN}.
 *
 * <p>Per token, with {@code A[b, t]} the token's own advantage, the formula, the KL term and the
 * metrics are exactly those of {@link PolicyLoss}. Both forms delegate to it by viewing the {@code
 * [B, T]} batch as {@code B * T} sequences of one token each: under TOKEN_MEAN, a sum over all
 * unmasked tokens divided by their number, that view changes neither the loss nor any metric
 * (clip fraction and mean ratio are token means in both). The sequence-level aggregations would
 * not survive the view (every token would become its own sequence), so this form offers TOKEN_MEAN
 * only; {@link PolicyLoss} accepting {@code [B, T]} advantages would lift that restriction.
 */
public final class TokenPolicyLoss {

  private TokenPolicyLoss() {}

  /**
   * Plain reference: {@link PolicyLoss#compute(PolicyLossInput)} on the one-token-per-row view.
   *
   * @param logp {@code [B][T]} policy log-probabilities of the sampled tokens
   * @param oldLogp {@code [B][T]} the same under the sampling policy
   * @param refLogp {@code [B][T]} the same under the reference model; may be null when {@code beta
   *     == 0}
   * @param advantages {@code [B][T]} per-token advantages
   * @param mask {@code [B][T]} of 0/1
   * @throws IllegalArgumentException as {@link PolicyLossInput} does, or when the arrays are not
   *     rectangular {@code [B][T]}
   */
  public static PolicyLossOutput compute(float[][] logp, float[][] oldLogp, float[][] refLogp, float[][] advantages,
      float[][] mask, float clipLow, float clipHigh, float beta, KlEstimator kl) {
    Objects.requireNonNull(logp, "logp");
    if (logp.length == 0 || logp[0] == null || logp[0].length == 0) {
      throw new IllegalArgumentException("logp must be [B][T] with B, T >= 1");
    }
    int rows = logp.length;
    int tokens = logp[0].length;
    float[] flatAdvantages = column("advantages", advantages, rows, tokens);
    float[][] flatLogp = rows("logp", logp, rows, tokens);
    float[][] flatOld = rows("oldLogp", oldLogp, rows, tokens);
    float[][] flatRef = refLogp == null ? null : rows("refLogp", refLogp, rows, tokens);
    float[][] flatMask = rows("mask", mask, rows, tokens);
    return PolicyLoss.compute(new PolicyLossInput(flatLogp, flatOld, flatRef, flatAdvantages, flatMask, clipLow,
        clipHigh, beta, kl, LossAggregation.TOKEN_MEAN));
  }

  /**
   * DJL version: {@link PolicyLoss#compute(NDArray, NDArray, NDArray, NDArray, NDArray, float,
   * float, float, KlEstimator, LossAggregation)} with {@code [B, T]} advantages and token-mean
   * aggregation (so the plain version above is the reference for PolicyLoss's per-token path), with the same
   * gradient and memory contract: only {@code logp} may carry gradient, the others enter through
   * {@code stopGradient()}, and everything this creates lands in {@code logp}'s manager.
   *
   * @param logp {@code [B, T]} float32, usually requiring gradient
   * @param oldLogp {@code [B, T]} float32
   * @param refLogp {@code [B, T]} float32; may be null when {@code beta == 0}
   * @param advantages {@code [B, T]} float32 per-token advantages
   * @param mask {@code [B, T]} float32 of 0/1
   * @return the scalar loss (ready for backward) and metrics, as {@link PolicyLoss.Result}
   * @throws IllegalArgumentException on a shape mismatch or a hyperparameter out of range
   */
  public static PolicyLoss.Result compute(NDArray logp, NDArray oldLogp, NDArray refLogp, NDArray advantages,
      NDArray mask, float clipLow, float clipHigh, float beta, KlEstimator kl) {
    Objects.requireNonNull(logp, "logp");
    Objects.requireNonNull(oldLogp, "oldLogp");
    Objects.requireNonNull(advantages, "advantages");
    Objects.requireNonNull(mask, "mask");
    Shape shape = logp.getShape();
    if (shape.dimension() != 2) {
      throw new IllegalArgumentException("logp must be [B, T], got shape " + shape);
    }
    checkShape("oldLogp", oldLogp, shape);
    checkShape("advantages", advantages, shape);
    checkShape("mask", mask, shape);
    if (refLogp != null) {
      checkShape("refLogp", refLogp, shape);
    }
    return PolicyLoss.compute(logp, oldLogp, refLogp, advantages, mask, clipLow, clipHigh, beta, kl,
        LossAggregation.TOKEN_MEAN);
  }

  private static void checkShape(String name, NDArray array, Shape expected) {
    if (!array.getShape().equals(expected)) {
      throw new IllegalArgumentException(name + " has shape " + array.getShape() + ", expected " + expected);
    }
  }

  private static float[][] rows(String name, float[][] m, int rows, int tokens) {
    float[] flat = column(name, m, rows, tokens);
    float[][] out = new float[flat.length][];
    for (int i = 0; i < flat.length; i++) {
      out[i] = new float[] {flat[i]};
    }
    return out;
  }

  private static float[] column(String name, float[][] m, int rows, int tokens) {
    Objects.requireNonNull(m, name);
    if (m.length != rows) {
      throw new IllegalArgumentException(name + " has " + m.length + " rows, expected " + rows + " like logp");
    }
    float[] flat = new float[rows * tokens];
    for (int i = 0; i < rows; i++) {
      if (m[i] == null) {
        throw new NullPointerException(name + "[" + i + "]");
      }
      if (m[i].length != tokens) {
        throw new IllegalArgumentException(
            name + "[" + i + "] has " + m[i].length + " entries, expected " + tokens + " like logp[0]");
      }
      System.arraycopy(m[i], 0, flat, i * tokens, tokens);
    }
    return flat;
  }
}
