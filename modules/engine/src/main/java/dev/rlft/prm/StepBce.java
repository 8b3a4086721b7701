package dev.rlft.prm;

import ai.djl.ndarray.NDArray;
import dev.rlft.model.Scalars;

/**
 * Binary cross-entropy of step logits against step labels, averaged over steps.
 *
 * <pre>
 *   loss = (1/N) sum_i [ -y_i log sigmoid(x_i) - (1 - y_i) log(1 - sigmoid(x_i)) ]
 *        = (1/N) sum_i [ max(x_i, 0) - x_i y_i + log(1 + exp(-|x_i|)) ]
 * </pre>
 *
 * with natural logarithms, x the logits (before the sigmoid) and y in [0, 1] (soft labels allowed).
 * The second form never overflows. Every step of every solution counts once, whatever its
 * solution's length (the token-mean of {@link dev.rlft.algo.LossAggregation} applied to steps).
 */
public final class StepBce {

  private StepBce() {}

  /** Plain-array reference, in double. */
  public static double reference(float[] logits, float[] targets) {
    check(logits.length, targets.length);
    double sum = 0;
    for (int i = 0; i < logits.length; i++) {
      double x = logits[i];
      sum += Math.max(x, 0) - x * targets[i] + Math.log1p(Math.exp(-Math.abs(x)));
    }
    return sum / logits.length;
  }

  /**
   * The DJL version.
   *
   * @param logits [N] float32
   * @param targets [N] float32 in [0, 1], no gradient
   * @return the scalar mean loss, in the manager of {@code logits}
   */
  public static NDArray of(NDArray logits, NDArray targets) {
    check(logits.getShape().size(), targets.getShape().size());
    NDArray y = targets.stopGradient();
    NDArray softplusNegAbs = logits.abs().neg().exp().add(1).log();
    return Scalars.maximum(logits, 0).sub(logits.mul(y)).add(softplusNegAbs).mean();
  }

  private static void check(long n, long m) {
    if (n != m) {
      throw new IllegalArgumentException(n + " logits but " + m + " targets");
    }
    if (n == 0) {
      throw new IllegalArgumentException("no steps to compute a loss over");
    }
  }
}
