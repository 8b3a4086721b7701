package dev.rlft.algo;

import ai.djl.ndarray.NDArray;
import dev.rlft.model.Scalars;
import java.util.Objects;

/**
 * Per-token estimators of {@code KL(pi || pi_ref)} from samples of the policy {@code pi}
 * (J. Schulman, "Approximating KL Divergence", 2020).
 *
 * <p>With the per-token log-ratio {@code d = logp_ref - logp}, where {@code logp} is the policy's
 * log-probability of the sampled token: {@code k1 = -d}, {@code k2 = d^2 / 2}, {@code k3 = exp(d) -
 * d - 1}. k1 is unbiased but high-variance and can be negative; k2 is biased but low-variance; k3
 * is unbiased, non-negative and low-variance, and is the default, as in GRPO (arXiv 2402.03300,
 * eq. 4). No clamping is applied (verl clamps k3 to [-10, 10]; we leave that to the caller).
 *
 * <p>The plain form computes in double precision (k3 via {@link Math#expm1} to avoid cancellation
 * near {@code d = 0}) and rounds once to float; the DJL form computes in the arrays' type.
 */
public enum KlEstimator {

  /** {@code k1 = -d = logp - logp_ref}. */
  K1 {
    @Override
    double fromLogRatio(double d) {
      return -d;
    }

    @Override
    public NDArray value(NDArray logp, NDArray refLogp) {
      check(logp, refLogp);
      return logp.sub(refLogp);
    }
  },

  /** {@code k2 = d^2 / 2}. */
  K2 {
    @Override
    double fromLogRatio(double d) {
      return 0.5 * d * d;
    }

    @Override
    public NDArray value(NDArray logp, NDArray refLogp) {
      check(logp, refLogp);
      return Scalars.mul(logp.sub(refLogp).square(), 0.5);
    }
  },

  /**
   * {@code k3 = exp(d) - d - 1}, {@code >= 0}; zero exactly when {@code logp == logp_ref}. The DJL
   * form floors the float32 result at 0 (see the comment there). Both forms clamp d to
   * [-{@value #MAX_LOG_RATIO}, {@value #MAX_LOG_RATIO}] so that one token whose probabilities under
   * the two policies differ by more than e^20 cannot overflow float32 and poison the update with
   * inf/NaN (verl clamps the estimate for the same reason).
   */
  K3 {
    @Override
    double fromLogRatio(double d) {
      double c = Math.max(-MAX_LOG_RATIO, Math.min(MAX_LOG_RATIO, d));
      return Math.expm1(c) - c;
    }

    @Override
    public NDArray value(NDArray logp, NDArray refLogp) {
      check(logp, refLogp);
      // -d, computed from logp so it lands in logp's manager; clamped so exp cannot overflow
      NDArray minusD = logp.sub(refLogp).clip(-MAX_LOG_RATIO, MAX_LOG_RATIO);
      // Without expm1, float32 rounding can leave exp(d) - d - 1 a few ulps below 0 for |d| below
      // ~1e-3; the floor restores k3 >= 0 and only zeroes a gradient that is itself ~|d| there.
      return Scalars.maximum(minusD.neg().exp().add(minusD).sub(1f), 0);
    }
  };

  /** Bound on |d| in k3; see {@link #K3}. */
  public static final double MAX_LOG_RATIO = 20;

  /** The estimate as a function of the log-ratio {@code d = logp_ref - logp}. */
  abstract double fromLogRatio(double d);

  /**
   * Plain reference: the estimate for one token.
   *
   * @param logp the policy's log-probability of the sampled token
   * @param refLogp the reference model's log-probability of the same token
   */
  public float value(float logp, float refLogp) {
    return (float) fromLogRatio((double) refLogp - logp);
  }

  /**
   * DJL version, elementwise: both arrays have the same shape (any rank) and data type.
   *
   * @return a new array of that shape in {@code logp}'s manager, as are the intermediates; the
   *     inputs are not closed, and gradient flows into whichever of them requires it
   * @throws IllegalArgumentException if the shapes differ
   */
  public abstract NDArray value(NDArray logp, NDArray refLogp);

  /**
   * Returns the estimator with this name, ignoring case ({@code "k3"} is {@link #K3}).
   *
   * @throws IllegalArgumentException for an unknown name; the message lists the valid names
   */
  public static KlEstimator parse(String name) {
    return Names.parse(KlEstimator.class, "KL estimator", name);
  }

  private static void check(NDArray logp, NDArray refLogp) {
    Objects.requireNonNull(logp, "logp");
    Objects.requireNonNull(refLogp, "refLogp");
    if (!logp.getShape().equals(refLogp.getShape())) {
      throw new IllegalArgumentException(
          "logp shape " + logp.getShape() + " differs from refLogp shape " + refLogp.getShape());
    }
  }
}
