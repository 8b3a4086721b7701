package dev.rlft.steps;

/**
 * What a wrong final answer does to step rewards, so that a policy cannot profit from steps a PRM
 * likes on the way to a wrong answer. Applied by {@link CreditAssignment#stepRewards} after the
 * credit transform, before any group normalisation; a correct answer passes through unchanged.
 *
 * <p>The return of step {@code i} is {@code G_i = r_i + r_{i+1} + ... + r_last}, what {@link
 * ProcessAdvantages} credits the tokens of step {@code i} with (after normalisation).
 */
public enum OutcomeGate {

  /** No gate: wrong answers keep their step rewards. */
  NONE {
    @Override
    void apply(double[] rewards) {}
  },

  /**
   * Each step reward of a wrong answer is capped at 0: {@code r_i' = min(r_i, 0)}. Every return,
   * and so the total, is {@code <= 0}; positive rewards are lost even where a later negative one
   * would have cancelled them.
   */
  STEPS {
    @Override
    void apply(double[] rewards) {
      for (int i = 0; i < rewards.length; i++) {
        rewards[i] = Math.min(rewards[i], 0.0);
      }
    }
  },

  /**
   * Each return of a wrong answer is capped at 0: {@code G_i' = min(G_i, 0)} and {@code r_i' =
   * G_i' - G_{i+1}'} (with {@code G_{last+1}' = 0}). Every return, and so the total, is {@code <= 0}
   * while the differences between negative returns, which say where things went wrong, survive.
   * Where every return is non-negative (SUM, MIN and DELTA over scores in [0, 1]) a wrong answer's
   * rewards all become 0.
   */
  RETURNS {
    @Override
    void apply(double[] rewards) {
      double later = 0; // G_{i+1}, uncapped
      double laterCapped = 0; // G_{i+1}'
      for (int i = rewards.length - 1; i >= 0; i--) {
        double g = rewards[i] + later;
        double capped = Math.min(g, 0.0);
        rewards[i] = capped - laterCapped;
        later = g;
        laterCapped = capped;
      }
    }
  };

  /** Gates the step rewards of a wrong answer in place. */
  abstract void apply(double[] rewards);

  /**
   * Returns the gate with this name, ignoring case, {@code '-'} and {@code '_'} equivalent.
   *
   * @throws IllegalArgumentException for an unknown name; the message lists the valid names
   */
  public static OutcomeGate parse(String name) {
    return CreditAssignment.parseName(OutcomeGate.class, "outcome gate", name);
  }
}
