package dev.rlft.steps;

import java.util.Arrays;
import java.util.Locale;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * How per-step PRM scores become per-step rewards: registry of credit-assignment rules.
 *
 * <p>Input: scores {@code s_1..s_K} in {@code [0, 1]}, one per step in order (K may be 0), and
 * whether the final answer is correct. Output: rewards {@code r_1..r_K}, placed on each step's last
 * token; the return of step {@code i} is {@code G_i = r_i + ... + r_K} ({@link #returns}), which
 * {@link ProcessAdvantages} credits the step's tokens with after group normalisation. Each rule
 * below states {@code r_i} and the return it yields; after it, {@link Params#gate()} applies to a
 * wrong answer ({@link OutcomeGate}). Computed in double, returned as float.
 *
 * <p>The trainer never branches on the rule: it calls {@link #stepRewards} on the configured
 * constant.
 */
public enum CreditAssignment {

  /**
   * Sum form, the classic one: {@code r_i = s_i}, so {@code G_i = s_i + ... + s_K}. Every extra
   * step an imperfect PRM likes adds to the return, which is what policies learn to exploit
   * (arXiv 2504.15275, 2410.15115).
   */
  SUM {
    @Override
    double[] transform(double[] s, Params p) {
      return s.clone();
    }
  },

  /**
   * Min form, PURE (Cheng et al., "Stop Summation: Min-Form Credit Assignment Is All Process
   * Reward Model Needs for Reasoning", arXiv 2504.15275): the process reward of a sequence is its
   * minimum step score. As in PURE's implementation, scores are reweighted by a softmin over all
   * steps of the sequence and then summed as usual:
   *
   * <pre>
   *   w_i = exp(-s_i / T) / sum_j exp(-s_j / T),   r_i = w_i * s_i,
   * </pre>
   *
   * with {@code T = } {@link Params#minTemperature()}. Then {@code G_1 = sum_i w_i s_i}, which
   * lies between {@code min s} and the mean and tends to {@code min s} as {@code T -> 0}; steps
   * after the lowest-scored one receive (nearly) no return, so only the steps up to the worst one
   * are credited with it. {@code T = 0} is that limit, PURE's strict min form: the minimal step(s)
   * share weight 1 equally (one step: {@code r = s_min} there and 0 elsewhere), and {@code G_1 =
   * min s} exactly. PURE's code defaults to {@code T = 0.1}. Its PRM score is {@code p(correct) -
   * p(incorrect) = 2s - 1} in {@code [-1, 1]} where ours is {@code s}: at temperature {@code T} on
   * those scores its weights are ours at {@code T / 2} and its first return is {@code 2 G_1 - 1}
   * with our {@code G_1} at {@code T / 2}, but its per-step rewards {@code w_i (2 s_i - 1)} and
   * later returns differ. This rule reads the scores as given.
   */
  MIN {
    @Override
    double[] transform(double[] s, Params p) {
      double[] r = new double[s.length];
      if (s.length == 0) {
        return r;
      }
      double min = Arrays.stream(s).min().orElseThrow();
      double[] w = new double[s.length];
      double total = 0;
      for (int i = 0; i < s.length; i++) {
        // Shifted by the minimum so the largest exponent is 0: no overflow, no 0/0.
        w[i] = p.minTemperature() == 0 ? (s[i] == min ? 1 : 0) : Math.exp(-(s[i] - min) / p.minTemperature());
        total += w[i];
      }
      for (int i = 0; i < s.length; i++) {
        r[i] = w[i] / total * s[i];
      }
      return r;
    }
  },

  /**
   * Clip mechanism (Gao et al., "On Designing Effective RL Reward at Training Time for LLM
   * Reasoning", arXiv 2410.15115): {@code r_i = min(s_i - eta, 0)} with {@code eta = } {@link
   * Params#clipThreshold()}. Steps scored above the threshold earn nothing and the ones below are
   * penalised, so every return is {@code <= 0} and adding steps never helps.
   */
  CLIP {
    @Override
    double[] transform(double[] s, Params p) {
      double[] r = new double[s.length];
      for (int i = 0; i < s.length; i++) {
        r[i] = Math.min(s[i] - p.clipThreshold(), 0.0);
      }
      return r;
    }
  },

  /**
   * Delta mechanism (arXiv 2410.15115): {@code r_i = s_i - s_{i+1}} for {@code i < K} and {@code
   * r_K = s_K}, so the sum telescopes to {@code G_i = s_i}: each step is credited with its own
   * score, however many steps follow, and repeating well-scored steps gains nothing. Unverified
   * against the paper's equation: keeping {@code s_K} on the last step is our reading; should the
   * paper drop it, the returns would be {@code s_i - s_K} instead.
   */
  DELTA {
    @Override
    double[] transform(double[] s, Params p) {
      return delta(s);
    }
  },

  /**
   * Clip then delta, both mechanisms of 2410.15115 in turn: {@code c_i = min(s_i - eta, 0)},
   * {@code r_i = c_i - c_{i+1}}, {@code r_K = c_K}, so {@code G_i = c_i <= 0}.
   */
  CLIP_DELTA {
    @Override
    double[] transform(double[] s, Params p) {
      return delta(CLIP.transform(s, p));
    }
  };

  /**
   * Parameters of the rules; each rule reads only its own.
   *
   * @param clipThreshold {@code eta} of CLIP and CLIP_DELTA, finite
   * @param minTemperature {@code T} of MIN, finite and {@code >= 0}; 0 is the strict minimum
   * @param gate what a wrong answer does to the rewards
   */
  public record Params(double clipThreshold, double minTemperature, OutcomeGate gate) {

    /** {@code eta = 0.5} (our choice, not the paper's), strict minimum, {@link OutcomeGate#RETURNS}. */
    public static final Params DEFAULT = new Params(0.5, 0.0, OutcomeGate.RETURNS);

    public Params {
      Objects.requireNonNull(gate, "gate");
      if (!Double.isFinite(clipThreshold)) {
        throw new IllegalArgumentException("clipThreshold must be finite, got " + clipThreshold);
      }
      if (!(minTemperature >= 0) || !Double.isFinite(minTemperature)) {
        throw new IllegalArgumentException("minTemperature must be finite and >= 0, got " + minTemperature);
      }
    }
  }

  /** The rule's rewards for scores already validated; a new array. */
  abstract double[] transform(double[] scores, Params params);

  /**
   * Step rewards for one completion: this rule's transform of {@code scores}, then {@code
   * params.gate()} when {@code correct} is false.
   *
   * @param scores {@code [K]} PRM scores in {@code [0, 1]}, one per step in order; not modified
   * @param correct whether the final answer is right
   * @return {@code [K]} step rewards
   * @throws IllegalArgumentException if a score is not finite or outside {@code [0, 1]}
   */
  public float[] stepRewards(float[] scores, boolean correct, Params params) {
    Objects.requireNonNull(scores, "scores");
    Objects.requireNonNull(params, "params");
    double[] s = new double[scores.length];
    for (int i = 0; i < scores.length; i++) {
      if (!(scores[i] >= 0f && scores[i] <= 1f)) {
        throw new IllegalArgumentException("scores[" + i + "] is " + scores[i] + ", must be in [0, 1]");
      }
      s[i] = scores[i];
    }
    double[] r = transform(s, params);
    if (!correct) {
      params.gate().apply(r);
    }
    float[] out = new float[r.length];
    for (int i = 0; i < r.length; i++) {
      out[i] = (float) r[i];
    }
    return out;
  }

  /** {@code G_i = r_i + ... + r_K} for every {@code i}, summed in double; same length. */
  public static float[] returns(float[] rewards) {
    float[] out = new float[rewards.length];
    double later = 0;
    for (int i = rewards.length - 1; i >= 0; i--) {
      later += rewards[i];
      out[i] = (float) later;
    }
    return out;
  }

  /**
   * Returns the rule with this name, ignoring case and surrounding blanks, {@code '-'} and {@code
   * '_'} equivalent (so {@code "clip-delta"} is {@link #CLIP_DELTA}).
   *
   * @throws IllegalArgumentException for an unknown name; the message lists the valid names
   */
  public static CreditAssignment parse(String name) {
    return parseName(CreditAssignment.class, "credit assignment", name);
  }

  private static double[] delta(double[] s) {
    double[] r = new double[s.length];
    for (int i = 0; i < s.length; i++) {
      r[i] = i + 1 < s.length ? s[i] - s[i + 1] : s[i];
    }
    return r;
  }

  /** The lookup rule of {@code dev.rlft.algo}'s registries, with the same error format. */
  static <E extends Enum<E>> E parseName(Class<E> type, String kind, String name) {
    Objects.requireNonNull(name, () -> kind + " name must not be null");
    String key = name.trim().replace('-', '_').toUpperCase(Locale.ROOT);
    for (E constant : type.getEnumConstants()) {
      if (constant.name().equals(key)) {
        return constant;
      }
    }
    String valid = Arrays.stream(type.getEnumConstants())
        .map(c -> c.name().toLowerCase(Locale.ROOT))
        .collect(Collectors.joining(", "));
    throw new IllegalArgumentException("unknown " + kind + " '" + name + "'; valid names: " + valid);
  }
}
