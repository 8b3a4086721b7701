package dev.rlft.algo;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import java.util.Objects;

/**
 * Group-relative advantages from scalar rewards (outcome supervision: one advantage per completion,
 * later broadcast over its tokens).
 *
 * <p>Layout: {@code rewards} holds the groups one after the other, {@code groupSize} consecutive
 * entries per prompt. Numerics, pinned for both implementations: the mean and the Bessel-corrected
 * standard deviation ({@code n - 1}) are taken in double precision; a group whose rewards are all
 * equal, which includes every group of one, gets advantage exactly {@code 0} for every member
 * (there is nothing to learn from it, and rounding must not invent a signal).
 */
public final class Advantages {

  /** Added to the group standard deviation by {@link AdvantageEstimator#GRPO}, as in verl. */
  public static final double EPS = 1e-6;

  private Advantages() {}

  /**
   * Plain reference: advantages for {@code rewards}, same length and layout.
   *
   * <p>{@code A_i = scale(r_i - mean_g, std_g)} where {@code scale} is the estimator's (see {@link
   * AdvantageEstimator}); {@code 0} for every member of an all-equal group.
   *
   * @param rewards {@code [N]}, finite, {@code N} a multiple of {@code groupSize}
   * @param groupSize completions per prompt, {@code >= 1}
   * @return {@code [N]} advantages, float32
   * @throws IllegalArgumentException on a bad group size, a length that is not a multiple of it,
   *     or a non-finite reward
   */
  public static float[] compute(AdvantageEstimator est, float[] rewards, int groupSize) {
    Objects.requireNonNull(est, "est");
    Objects.requireNonNull(rewards, "rewards");
    checkLayout(rewards.length, groupSize);
    for (int i = 0; i < rewards.length; i++) {
      if (!Float.isFinite(rewards[i])) {
        throw new IllegalArgumentException("rewards[" + i + "] is " + rewards[i] + ", must be finite");
      }
    }
    float[] out = new float[rewards.length];
    for (int start = 0; start < rewards.length; start += groupSize) {
      if (allEqual(rewards, start, groupSize)) {
        continue; // includes groups of one; out already holds zeros
      }
      double sum = 0;
      for (int i = start; i < start + groupSize; i++) {
        sum += rewards[i];
      }
      double mean = sum / groupSize;
      double squares = 0;
      for (int i = start; i < start + groupSize; i++) {
        squares += (rewards[i] - mean) * (rewards[i] - mean);
      }
      double std = Math.sqrt(squares / (groupSize - 1));
      for (int i = start; i < start + groupSize; i++) {
        out[i] = (float) est.scale(rewards[i] - mean, std);
      }
    }
    return out;
  }

  /**
   * DJL version of {@link #compute(AdvantageEstimator, float[], int)}, same numerics (the group
   * statistics are taken in float64 internally).
   *
   * @param rewards {@code [N]} float32, {@code N} a multiple of {@code groupSize}; not closed
   * @return a new {@code [N]} float32 array in {@code rewards}' manager, as are the intermediates
   * @throws IllegalArgumentException on a bad group size, shape or data type
   */
  public static NDArray compute(AdvantageEstimator est, NDArray rewards, int groupSize) {
    Objects.requireNonNull(est, "est");
    Objects.requireNonNull(rewards, "rewards");
    if (rewards.getShape().dimension() != 1) {
      throw new IllegalArgumentException("rewards must be 1-D [N], got shape " + rewards.getShape());
    }
    if (rewards.getDataType() != DataType.FLOAT32) {
      throw new IllegalArgumentException("rewards must be float32, got " + rewards.getDataType());
    }
    checkLayout(rewards.getShape().get(0), groupSize);
    int[] members = {1};
    NDArray groups = rewards.toType(DataType.FLOAT64, true).reshape(-1, groupSize);
    NDArray centred = groups.sub(groups.mean(members, true));
    NDArray std =
        groupSize == 1
            ? centred.sum(members, true) // zeros of shape [G, 1]; the group is masked out below
            : centred.square().sum(members, true).div(groupSize - 1).sqrt();
    NDArray spread = groups.max(members, true).sub(groups.min(members, true));
    NDArray notAllEqual = spread.gt(0).toType(DataType.FLOAT64, false);
    return est.scale(centred, std).mul(notAllEqual).reshape(-1).toType(DataType.FLOAT32, false);
  }

  private static void checkLayout(long n, int groupSize) {
    if (groupSize < 1) {
      throw new IllegalArgumentException("groupSize must be >= 1, got " + groupSize);
    }
    if (n % groupSize != 0) {
      throw new IllegalArgumentException(
          "number of rewards (" + n + ") is not a multiple of groupSize (" + groupSize + ")");
    }
  }

  private static boolean allEqual(float[] values, int start, int length) {
    for (int i = start + 1; i < start + length; i++) {
      if (values[i] != values[start]) {
        return false;
      }
    }
    return true;
  }
}
