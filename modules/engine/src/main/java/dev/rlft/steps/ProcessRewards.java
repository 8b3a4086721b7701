package dev.rlft.steps;

import dev.rlft.algo.AdvantageEstimator;
import dev.rlft.model.Tokenizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * From sampled completions and their PRM step scores to per-token advantages for process-supervised
 * GRPO: the steps are cut from each completion's decoded text, each step's reward is placed on the
 * policy token holding its last character ({@link TokenAlignment}, so the PRM may use another
 * tokenizer), step scores become step rewards by the configured {@link CreditAssignment} (with its
 * outcome gate), and rewards are normalised within each group and summed from each token's step
 * on ({@link ProcessAdvantages}), mixed with the outcome (accuracy) advantage by {@link
 * ProcessAdvantages.Weights}. For PPO, {@link #tokenRewards} stops before the normalisation: it
 * places the credited step rewards and the outcome reward on their tokens, and the learner's critic
 * turns them into advantages (GAE).
 */
public final class ProcessRewards {

  /** How step scores become advantages. */
  public record Config(StepSegmenter.Config segmenter, CreditAssignment credit, CreditAssignment.Params params,
      ProcessAdvantages.Normalisation normalisation, ProcessAdvantages.Weights weights, AdvantageEstimator estimator) {
    public Config {
      Objects.requireNonNull(segmenter, "segmenter");
      Objects.requireNonNull(credit, "credit");
      Objects.requireNonNull(params, "params");
      Objects.requireNonNull(normalisation, "normalisation");
      Objects.requireNonNull(weights, "weights");
      Objects.requireNonNull(estimator, "estimator");
    }

    /** The same settings with another credit rule. */
    public Config withCredit(CreditAssignment newCredit) {
      return new Config(segmenter, newCredit, params, normalisation, weights, estimator);
    }

    /**
     * The guarded form of these settings, which the reward-hacking sentinel's {@code guard} action
     * switches to: credit {@code newCredit} (min-form by default), trivial steps merged into the
     * next one, the {@link OutcomeGate#RETURNS} gate where there was none, returns normalised
     * (under {@link ProcessAdvantages.Normalisation#REWARDS} the step count shifts the advantage),
     * and an outcome weight of at least 1, so a wrong final answer can no longer earn net positive
     * reward however many steps the PRM likes. A stricter gate already set ({@link
     * OutcomeGate#STEPS}) and a larger outcome weight are kept.
     */
    public Config guarded(CreditAssignment newCredit) {
      StepSegmenter.Config merged = new StepSegmenter.Config(segmenter.separator(), true, segmenter.minChars());
      OutcomeGate gate = params.gate() == OutcomeGate.NONE ? OutcomeGate.RETURNS : params.gate();
      CreditAssignment.Params gated = new CreditAssignment.Params(params.clipThreshold(), params.minTemperature(), gate);
      ProcessAdvantages.Weights w = new ProcessAdvantages.Weights(Math.max(1.0, weights.outcome()), weights.process());
      return new Config(merged, newCredit, gated, ProcessAdvantages.Normalisation.RETURNS, w, estimator);
    }
  }

  /**
   * One completion cut into steps.
   *
   * @param steps the steps of the decoded completion (without its stop token)
   * @param stepEndTokens for each step, the completion token that receives its reward
   * @param length completion tokens, stop token included
   */
  public record Prepared(List<StepSegmenter.Step> steps, int[] stepEndTokens, int length) {

    /** The step texts, as a PRM scores them. */
    public List<String> texts() {
      List<String> out = new ArrayList<>(steps.size());
      for (StepSegmenter.Step s : steps) {
        out.add(s.text());
      }
      return out;
    }
  }

  private ProcessRewards() {}

  /**
   * Cuts one completion into steps; a trailing stop token (any of {@code stopIds}) is not decoded,
   * so an end-of-turn marker never lands in the last step's text.
   */
  public static Prepared prepare(Tokenizer tokenizer, int[] completion, Set<Integer> stopIds, StepSegmenter segmenter) {
    int n = completion.length;
    int[] ids = n > 0 && stopIds.contains(completion[n - 1]) ? Arrays.copyOf(completion, n - 1) : completion;
    TokenAlignment alignment = TokenAlignment.of(tokenizer, ids);
    List<StepSegmenter.Step> steps = segmenter.segment(alignment.text());
    return new Prepared(steps, alignment.stepEndTokens(steps), n);
  }

  /**
   * Per-token advantages of a batch laid out as consecutive groups of {@code groupSize}.
   *
   * @param stepScores per completion, the PRM's score of each of its steps, in [0, 1]
   * @param correct per completion, whether its final answer is right (for the outcome gate)
   * @param outcomeRewards per completion, the outcome reward mixed in by the weights
   * @return per completion, one advantage per completion token
   */
  public static List<float[]> tokenAdvantages(Config config, List<Prepared> batch, float[][] stepScores,
      boolean[] correct, float[] outcomeRewards, int groupSize) {
    int n = batch.size();
    if (groupSize < 1 || n % groupSize != 0) {
      throw new IllegalArgumentException(n + " completions are not whole groups of " + groupSize);
    }
    if (stepScores.length != n || correct.length != n || outcomeRewards.length != n) {
      throw new IllegalArgumentException("need one score array, correctness flag and outcome reward per completion");
    }
    List<float[]> out = new ArrayList<>(n);
    for (int g = 0; g < n; g += groupSize) {
      List<ProcessAdvantages.Completion> group = new ArrayList<>(groupSize);
      for (int i = g; i < g + groupSize; i++) {
        Prepared p = batch.get(i);
        if (stepScores[i].length != p.steps().size()) {
          throw new IllegalArgumentException("completion " + i + " has " + p.steps().size() + " steps but "
              + stepScores[i].length + " scores");
        }
        float[] rewards = config.credit().stepRewards(stepScores[i], correct[i], config.params());
        group.add(new ProcessAdvantages.Completion(rewards, p.stepEndTokens(), p.length()));
      }
      float[][] adv = ProcessAdvantages.compute(config.estimator(), config.normalisation(), group,
          Arrays.copyOfRange(outcomeRewards, g, g + groupSize), config.weights());
      out.addAll(Arrays.asList(adv));
    }
    return out;
  }

  /**
   * Per-token rewards for PPO: the reward of token {@code t} of completion {@code i} is
   *
   * <pre>
   *   r_{i,t} = w_process * sum of r_{i,j} over the steps j with stepEnd_{i,j} = t
   *           + (t == length_i - 1 ? w_outcome * outcome_i : 0),
   * </pre>
   *
   * with {@code r_{i,j}} the step rewards of {@link CreditAssignment#stepRewards} (outcome gate
   * included) and the weights of {@code config.weights()}: each step's credited reward on its last
   * policy token (two steps ending on one token add up), the outcome reward on the final token (the
   * stop token when there is one). Nothing is normalised; {@code config.normalisation()} and
   * {@code config.estimator()} are not used.
   *
   * @param stepScores per completion, the PRM's score of each of its steps, in [0, 1]
   * @param correct per completion, whether its final answer is right (for the outcome gate)
   * @param outcomeRewards per completion, the outcome (accuracy) reward, finite
   * @return per completion, one reward per completion token
   * @throws IllegalArgumentException for arrays whose lengths disagree with {@code batch}, or a
   *     score outside [0, 1]
   */
  public static List<float[]> tokenRewards(Config config, List<Prepared> batch, float[][] stepScores,
      boolean[] correct, float[] outcomeRewards) {
    int n = batch.size();
    if (stepScores.length != n || correct.length != n || outcomeRewards.length != n) {
      throw new IllegalArgumentException("need one score array, correctness flag and outcome reward per completion");
    }
    List<float[]> out = outcomeTokenRewards(config, batch, outcomeRewards);
    for (int i = 0; i < n; i++) {
      Prepared p = batch.get(i);
      if (stepScores[i].length != p.steps().size()) {
        throw new IllegalArgumentException("completion " + i + " has " + p.steps().size() + " steps but "
            + stepScores[i].length + " scores");
      }
      float[] steps = config.credit().stepRewards(stepScores[i], correct[i], config.params());
      float[] r = out.get(i);
      for (int j = 0; j < steps.length; j++) {
        r[p.stepEndTokens()[j]] += (float) (config.weights().process() * steps[j]);
      }
    }
    return out;
  }

  /**
   * Per-token rewards with the outcome alone: {@code w_outcome * outcome_i} on the final token of
   * each completion, 0 elsewhere; what PPO trains on when the PRM did not answer.
   *
   * @throws IllegalArgumentException unless there is one finite outcome reward per completion
   */
  public static List<float[]> outcomeTokenRewards(Config config, List<Prepared> batch, float[] outcomeRewards) {
    if (outcomeRewards.length != batch.size()) {
      throw new IllegalArgumentException(outcomeRewards.length + " outcome rewards for " + batch.size()
          + " completions");
    }
    List<float[]> out = new ArrayList<>(batch.size());
    for (int i = 0; i < batch.size(); i++) {
      if (!Float.isFinite(outcomeRewards[i])) {
        throw new IllegalArgumentException("outcome reward " + i + " is " + outcomeRewards[i] + ", must be finite");
      }
      float[] r = new float[batch.get(i).length()];
      if (r.length > 0) {
        r[r.length - 1] = (float) (config.weights().outcome() * outcomeRewards[i]);
      }
      out.add(r);
    }
    return out;
  }
}
