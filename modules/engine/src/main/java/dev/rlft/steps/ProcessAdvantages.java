package dev.rlft.steps;

import dev.rlft.algo.AdvantageEstimator;
import dev.rlft.algo.Advantages;
import java.util.List;
import java.util.Objects;

/**
 * Token advantages from step rewards for one prompt's group of completions: process-supervised
 * GRPO (Shao et al., DeepSeekMath, arXiv 2402.03300, §4.1.3), optionally mixed with an outcome
 * reward.
 *
 * <p><b>Normalisation.</b> Values pooled over all steps of all {@code G} completions of the group
 * are normalised together, {@code x~ = scale(x - mean, std)}, with exactly the numerics of {@link
 * Advantages#compute(AdvantageEstimator, float[], int)} over the pool as one group: mean and
 * Bessel-corrected std ({@code n - 1}) in double; {@link AdvantageEstimator#GRPO} divides by {@code
 * std + 1e-6}, {@link AdvantageEstimator#DR_GRPO} only centres; a pool whose values are all equal,
 * which includes a pool of one step, gives exactly 0; a pool with no steps gives all-zero
 * advantages. What is pooled is chosen by {@link Normalisation}:
 *
 * <ul>
 *   <li>{@link Normalisation#REWARDS}, DeepSeekMath's rule: the step rewards are normalised and
 *       the advantage of token {@code t} of completion {@code i} is {@code A_{i,t} = sum of
 *       r~_{i,j} over the steps j with stepEnd_{i,j} >= t}, the normalised rewards of its own
 *       step and all later ones.
 *   <li>{@link Normalisation#RETURNS}: the step returns {@code G_{i,j} = r_{i,j} + ... +
 *       r_{i,K_i}} are normalised and {@code A_{i,t} = G~_{i,j}} for the step {@code j} that
 *       token {@code t} belongs to (the first with {@code stepEnd_{i,j} >= t}).
 * </ul>
 *
 * Under REWARDS each later step adds its own {@code -mean / std}, so {@code A_{i,t} = (G_{i,j} -
 * k * mean) / std} with {@code k} the number of steps from {@code j} on: the step count shifts the
 * advantage (with a positive pooled mean, as SUM and MIN over [0, 1] scores give, fewer steps
 * score higher), and a credit rule's promise about returns (MIN: the first return is the minimum
 * score) does not carry over. RETURNS keeps it: a token's advantage depends only on its step's
 * return. In both, tokens after the last step's end token (an EOS, trailing whitespace) belong to
 * no step and get 0.
 *
 * <p><b>Outcome and process.</b> {@link #compute(AdvantageEstimator, Normalisation, List, float[],
 * Weights)} adds an outcome term: the outcome rewards (e.g. accuracy 0/1) are normalised across
 * the group by {@link Advantages#compute(AdvantageEstimator, float[], int)} and broadcast over
 * every token of their completion, {@code A_{i,t} = w_outcome * A^outcome_i + w_process *
 * A^process_{i,t}}. Normalising the two separately keeps their scales comparable whatever the
 * PRM's range; tokens after the last step get only the outcome term.
 *
 * <p>Pure functions over arrays; inputs are not modified.
 */
public final class ProcessAdvantages {

  /**
   * One completion's steps.
   *
   * @param stepRewards {@code [K]} rewards from {@link CreditAssignment#stepRewards}, finite
   * @param stepEnds {@code [K]} token index of each step's end (its reward position, e.g. from
   *     {@link TokenAlignment#stepEndTokens}), non-decreasing, each in {@code [0, length)}; two
   *     steps may share a token
   * @param length number of completion tokens, {@code >= 0}
   */
  public record Completion(float[] stepRewards, int[] stepEnds, int length) {

    public Completion {
      Objects.requireNonNull(stepRewards, "stepRewards");
      Objects.requireNonNull(stepEnds, "stepEnds");
      stepRewards = stepRewards.clone();
      stepEnds = stepEnds.clone();
      if (length < 0) {
        throw new IllegalArgumentException("length must be >= 0, got " + length);
      }
      if (stepRewards.length != stepEnds.length) {
        throw new IllegalArgumentException(
            stepRewards.length + " step rewards but " + stepEnds.length + " step ends");
      }
      for (int j = 0; j < stepEnds.length; j++) {
        if (!Float.isFinite(stepRewards[j])) {
          throw new IllegalArgumentException("stepRewards[" + j + "] is " + stepRewards[j] + ", must be finite");
        }
        if (stepEnds[j] < 0 || stepEnds[j] >= length) {
          throw new IllegalArgumentException(
              "stepEnds[" + j + "] = " + stepEnds[j] + " is outside the completion's " + length + " tokens");
        }
        if (j > 0 && stepEnds[j] < stepEnds[j - 1]) {
          throw new IllegalArgumentException("stepEnds must be non-decreasing, got "
              + stepEnds[j - 1] + " then " + stepEnds[j] + " at " + j);
        }
      }
    }

    @Override
    public float[] stepRewards() {
      return stepRewards.clone();
    }

    @Override
    public int[] stepEnds() {
      return stepEnds.clone();
    }
  }

  /** Weights of the outcome and process terms: finite, not both 0; no default is assumed. */
  public record Weights(double outcome, double process) {

    public Weights {
      if (!Double.isFinite(outcome) || !Double.isFinite(process)) {
        throw new IllegalArgumentException("weights must be finite, got outcome " + outcome + ", process " + process);
      }
      if (outcome == 0 && process == 0) {
        throw new IllegalArgumentException("outcome and process weights are both 0");
      }
    }
  }

  /** What is pooled and normalised across the group; see the class doc. */
  public enum Normalisation {
    /** Step rewards; a token sums the normalised rewards of its step and later ones (DeepSeekMath). */
    REWARDS {
      @Override
      float[] pooled(float[] stepRewards) {
        return stepRewards;
      }

      @Override
      double token(double fromStepOn, double ownStep) {
        return fromStepOn;
      }
    },

    /** Step returns; a token takes the normalised return of its step. */
    RETURNS {
      @Override
      float[] pooled(float[] stepRewards) {
        return CreditAssignment.returns(stepRewards);
      }

      @Override
      double token(double fromStepOn, double ownStep) {
        return ownStep;
      }
    };

    /** The per-step values this normalisation pools, from one completion's step rewards. */
    abstract float[] pooled(float[] stepRewards);

    /**
     * A token's advantage from the normalised pooled values of its step and later ones summed
     * ({@code fromStepOn}) and of its own step ({@code ownStep}).
     */
    abstract double token(double fromStepOn, double ownStep);

    /**
     * Returns the normalisation with this name, ignoring case, {@code '-'} and {@code '_'}
     * equivalent.
     *
     * @throws IllegalArgumentException for an unknown name; the message lists the valid names
     */
    public static Normalisation parse(String name) {
      return CreditAssignment.parseName(Normalisation.class, "process normalisation", name);
    }
  }

  private ProcessAdvantages() {}

  /**
   * Process-only advantages, see the class doc.
   *
   * @param group the {@code G >= 1} completions of one prompt
   * @return per completion, {@code [length]} token advantages
   * @throws IllegalArgumentException if {@code group} is empty
   */
  public static float[][] compute(AdvantageEstimator est, Normalisation normalisation, List<Completion> group) {
    Objects.requireNonNull(est, "est");
    Objects.requireNonNull(normalisation, "normalisation");
    checkGroup(group);
    float[] normalised = normalisedPool(est, normalisation, group);
    float[][] out = new float[group.size()][];
    int offset = 0;
    for (int i = 0; i < out.length; i++) {
      Completion c = group.get(i);
      out[i] = new float[c.length()];
      double fromStepOn = 0; // sum of the normalised values of the steps ending at or after t
      double ownStep = 0; // normalised value of the step t belongs to
      int j = c.stepEnds.length - 1;
      for (int t = c.length() - 1; t >= 0; t--) {
        while (j >= 0 && c.stepEnds[j] >= t) {
          fromStepOn += normalised[offset + j];
          ownStep = normalised[offset + j];
          j--;
        }
        out[i][t] = (float) normalisation.token(fromStepOn, ownStep); // both 0 after the last step
      }
      offset += c.stepEnds.length;
    }
    return out;
  }

  /**
   * Outcome and process advantages mixed, see the class doc.
   *
   * @param outcomeRewards {@code [G]} one scalar per completion (e.g. 1 if correct else 0), finite
   * @return per completion, {@code [length]} token advantages
   * @throws IllegalArgumentException if {@code group} is empty or {@code outcomeRewards} does not
   *     have one finite value per completion
   */
  public static float[][] compute(AdvantageEstimator est, Normalisation normalisation, List<Completion> group,
      float[] outcomeRewards, Weights weights) {
    Objects.requireNonNull(outcomeRewards, "outcomeRewards");
    Objects.requireNonNull(weights, "weights");
    checkGroup(group);
    if (outcomeRewards.length != group.size()) {
      throw new IllegalArgumentException(
          outcomeRewards.length + " outcome rewards for a group of " + group.size() + " completions");
    }
    float[] outcome = Advantages.compute(Objects.requireNonNull(est, "est"), outcomeRewards, group.size());
    float[][] process = compute(est, normalisation, group);
    for (int i = 0; i < process.length; i++) {
      for (int t = 0; t < process[i].length; t++) {
        process[i][t] = (float) (weights.outcome() * outcome[i] + weights.process() * process[i][t]);
      }
    }
    return process;
  }

  /**
   * The pooled step rewards (REWARDS) or step returns (RETURNS) of {@code group}, normalised as
   * one group, completion after completion, steps in order.
   */
  static float[] normalisedPool(AdvantageEstimator est, Normalisation normalisation, List<Completion> group) {
    int n = 0;
    for (Completion c : group) {
      n += c.stepRewards.length;
    }
    float[] pooled = new float[n];
    int offset = 0;
    for (Completion c : group) {
      float[] values = normalisation.pooled(c.stepRewards);
      System.arraycopy(values, 0, pooled, offset, values.length);
      offset += values.length;
    }
    return n == 0 ? pooled : Advantages.compute(est, pooled, n);
  }

  private static void checkGroup(List<Completion> group) {
    Objects.requireNonNull(group, "group");
    if (group.isEmpty()) {
      throw new IllegalArgumentException("a group needs at least one completion");
    }
    for (int i = 0; i < group.size(); i++) {
      Objects.requireNonNull(group.get(i), "group[" + i + "]");
    }
  }
}
