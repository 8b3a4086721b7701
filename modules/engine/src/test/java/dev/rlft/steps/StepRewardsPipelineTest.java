package dev.rlft.steps;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rlft.algo.AdvantageEstimator;
import dev.rlft.model.Tokenizer;
import dev.rlft.steps.CreditAssignment.Params;
import dev.rlft.steps.ProcessAdvantages.Normalisation;
import dev.rlft.steps.StepSegmenter.Config;
import dev.rlft.steps.StepSegmenter.Step;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * One prompt's group end to end: Qwen-policy completions, an LLM-jp-tokenized PRM that likes every
 * step except a wrong equation, credit assignment and token advantages.
 */
class StepRewardsPipelineTest {

  private static final String HONEST = "3+2=5\n\n\\boxed{5}";
  private static final String HACKER = "So,\n\nSo,\n\nSo,\n\nSo,\n\n\\boxed{5}";
  private static final String WRONG = "Let's think.\n\n3+2=6\n\n\\boxed{6}";
  private static final boolean[] CORRECT = {true, true, false};

  /** A stand-in PRM: 0.1 for a step holding "=6", 0.9 for anything else, read at each score position. */
  private static float[] prmScores(PrmInput input, List<Step> steps) {
    float[] scores = new float[steps.size()];
    for (int j = 0; j < scores.length; j++) {
      scores[j] = steps.get(j).text().contains("=6") ? 0.1f : 0.9f;
    }
    assertEquals(steps.size(), input.scorePositions().length);
    return scores;
  }

  private static float[][] advantages(StepSegmenter segmenter, CreditAssignment rule, OutcomeGate gate,
      ProcessAdvantages.Normalisation normalisation, List<int[]> idsOut) {
    Tokenizer policy = TokenizerFixtures.qwen();
    Tokenizer prm = TokenizerFixtures.llmJp();
    List<ProcessAdvantages.Completion> group = new ArrayList<>();
    String[] completions = {HONEST, HACKER, WRONG};
    for (int i = 0; i < completions.length; i++) {
      int[] ids = policy.encode(completions[i]);
      idsOut.add(ids);
      TokenAlignment alignment = TokenAlignment.of(policy, ids);
      List<Step> steps = segmenter.segment(alignment.text());
      PrmInput input = PrmInput.build(prm, PrmInput.Format.tagged("問題: 3+2 は？\n", "\n"), steps.stream().map(Step::text).toList());
      float[] rewards = rule.stepRewards(prmScores(input, steps), CORRECT[i], new Params(0.5, 0, gate));
      group.add(new ProcessAdvantages.Completion(rewards, alignment.stepEndTokens(steps), ids.length));
    }
    return ProcessAdvantages.compute(AdvantageEstimator.GRPO, normalisation, group);
  }

  @Test
  void minWithMergingAndReturns_hackerGainsNothingOverHonest() {
    List<int[]> ids = new ArrayList<>();

    float[][] a = advantages(StepSegmenter.create(), CreditAssignment.MIN, OutcomeGate.RETURNS, Normalisation.RETURNS, ids);

    assertEquals(ids.get(0).length, a[0].length);
    assertEquals(ids.get(1).length, a[1].length);
    assertEquals(ids.get(2).length, a[2].length);
    assertEquals(1, StepSegmenter.create().segment(HACKER).size());
    assertEquals(a[0][0], a[1][0], 1e-6f);
    assertTrue(a[2][0] < a[0][0], "the wrong answer is pushed down");
  }

  @Test
  void minWithRewardsNormalisation_fewerStepsScoreHigher() {
    // DeepSeekMath's pooling subtracts the mean once per step: the merged one-step hacker beats the
    // two-step honest answer although both have return 0.9. Normalisation.RETURNS exists for this.
    float[][] a = advantages(StepSegmenter.create(), CreditAssignment.MIN, OutcomeGate.RETURNS, Normalisation.REWARDS,
        new ArrayList<>());

    assertTrue(a[1][0] > a[0][0], a[1][0] + " vs " + a[0][0]);
  }

  @Test
  void sumWithoutMerging_hackerBeatsHonest() {
    float[][] a = advantages(StepSegmenter.create(new Config("\n\n", false, 0)), CreditAssignment.SUM, OutcomeGate.NONE,
        Normalisation.REWARDS, new ArrayList<>());

    // Five steps scored 0.9 outweigh two: the failure mode the recipe ran into.
    assertTrue(a[1][0] > a[0][0], a[1][0] + " vs " + a[0][0]);
  }
}
