package dev.rlft.algo;

import ai.djl.ndarray.NDArray;

/**
 * Group-relative advantage estimators: each reward is compared with the other completions sampled
 * for the same prompt, so no value network is needed.
 *
 * <p>Both estimators centre a reward on its group mean; they differ only in how the centred
 * reward is scaled. {@link Advantages#compute} does the grouping, the shared centring and the
 * all-equal rule; a constant only supplies its scaling, so the trainer never branches on a name.
 */
public enum AdvantageEstimator {

  /**
   * {@code A = (r - mean_g) / (std_g + EPS)} with the Bessel-corrected group standard deviation
   * ({@code n - 1} in the denominator) and {@link Advantages#EPS}; GRPO, arXiv 2402.03300, as in
   * verl's {@code grpo} with {@code norm_adv_by_std_in_grpo=true}.
   */
  GRPO {
    @Override
    double scale(double centred, double std) {
      return centred / (std + Advantages.EPS);
    }

    @Override
    NDArray scale(NDArray centred, NDArray std) {
      return centred.div(std.add(Advantages.EPS));
    }
  },

  /**
   * {@code A = r - mean_g}: Dr. GRPO, arXiv 2503.20783, which drops the std normalisation because
   * it up-weights groups whose rewards barely differ (too easy or too hard prompts).
   */
  DR_GRPO {
    @Override
    double scale(double centred, double std) {
      return centred;
    }

    @Override
    NDArray scale(NDArray centred, NDArray std) {
      return centred.duplicate();
    }
  };

  /**
   * Turns a centred reward {@code r - mean_g} into an advantage.
   *
   * @param std Bessel-corrected standard deviation of the group, {@code > 0}
   */
  abstract double scale(double centred, double std);

  /**
   * DJL form of {@link #scale(double, double)}: {@code centred} is {@code [G, n]}, {@code std} is
   * {@code [G, 1]}; returns a new {@code [G, n]} array in {@code centred}'s manager.
   */
  abstract NDArray scale(NDArray centred, NDArray std);

  /**
   * Returns the estimator with this name, ignoring case, {@code '-'} and {@code '_'} equivalent
   * (so {@code "dr-grpo"} is {@link #DR_GRPO}).
   *
   * @throws IllegalArgumentException for an unknown name; the message lists the valid names
   */
  public static AdvantageEstimator parse(String name) {
    return Names.parse(AdvantageEstimator.class, "advantage estimator", name);
  }
}
