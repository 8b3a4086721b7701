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
 * ProcessAdvantages.Weights}.
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
}
