package dev.rlft.steps;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rlft.algo.AdvantageEstimator;
import dev.rlft.model.CharTokenizer;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** From completions and step scores to token advantages, including the stop token and empty completions. */
class ProcessRewardsTest {

  private static final CharTokenizer TOK = CharTokenizer.ascii();

  private static int[] withEos(String text) {
    int[] ids = TOK.encode(text);
    int[] out = java.util.Arrays.copyOf(ids, ids.length + 1);
    out[ids.length] = TOK.eosId();
    return out;
  }

  @Test
  void stepsAreCutFromTheDecodedCompletion_andAdvantagesCoverEveryToken_evenForAnEmptyCompletion() {
    StepSegmenter seg = StepSegmenter.create();
    ProcessRewards.Prepared good = ProcessRewards.prepare(TOK, withEos("1+1=2\n\n\\boxed{2}"), Set.of(TOK.eosId()), seg);
    ProcessRewards.Prepared empty = ProcessRewards.prepare(TOK, withEos(""), Set.of(TOK.eosId()), seg);
    assertEquals(List.of("1+1=2", "\\boxed{2}"), good.texts());
    assertEquals(TOK.encode("1+1=2\n\n\\boxed{2}").length + 1, good.length());
    assertEquals(4, good.stepEndTokens()[0], "the first step's reward sits on its last character, '2'");
    assertEquals(0, empty.steps().size());
    ProcessRewards.Config config = new ProcessRewards.Config(StepSegmenter.Config.DEFAULT, CreditAssignment.MIN,
        CreditAssignment.Params.DEFAULT, ProcessAdvantages.Normalisation.RETURNS, new ProcessAdvantages.Weights(1, 1),
        AdvantageEstimator.GRPO);
    List<float[]> adv = ProcessRewards.tokenAdvantages(config, List.of(good, empty), new float[][] {{0.9f, 0.8f}, {}},
        new boolean[] {true, false}, new float[] {1f, 0f}, 2);
    assertEquals(good.length(), adv.get(0).length);
    assertEquals(empty.length(), adv.get(1).length);
    for (float[] a : adv) {
      for (float v : a) {
        assertTrue(Float.isFinite(v));
      }
    }
    assertTrue(adv.get(0)[0] > adv.get(1)[0], "the right, well-scored completion is favoured");
    assertThrows(IllegalArgumentException.class, () -> ProcessRewards.tokenAdvantages(config, List.of(good, empty),
        new float[][] {{0.9f}, {}}, new boolean[] {true, false}, new float[] {1f, 0f}, 2));
  }

  private static ProcessRewards.Config ppoConfig(CreditAssignment credit, OutcomeGate gate, double outcome,
      double process) {
    return new ProcessRewards.Config(new StepSegmenter.Config("\n\n", false, 0), credit,
        new CreditAssignment.Params(0.5, 0.0, gate), ProcessAdvantages.Normalisation.RETURNS,
        new ProcessAdvantages.Weights(outcome, process), AdvantageEstimator.GRPO);
  }

  @Test
  void tokenRewards_stepRewardsOnEachStepsLastToken_outcomeOnTheStopToken_nothingElse() {
    StepSegmenter seg = StepSegmenter.create(new StepSegmenter.Config("\n\n", false, 0));
    String text = "1+1=2\n\n2+3=5\n\n\\boxed{5}";
    ProcessRewards.Prepared p = ProcessRewards.prepare(TOK, withEos(text), Set.of(TOK.eosId()), seg);
    assertEquals(3, p.steps().size());

    List<float[]> r = ProcessRewards.tokenRewards(ppoConfig(CreditAssignment.SUM, OutcomeGate.RETURNS, 2, 0.5),
        List.of(p), new float[][] {{0.9f, 0.6f, 0.8f}}, new boolean[] {true}, new float[] {1f});

    float[] expected = new float[p.length()];
    expected[text.indexOf("=2") + 1] = 0.5f * 0.9f;
    expected[text.indexOf("=5") + 1] = 0.5f * 0.6f;
    expected[text.length() - 1] = 0.5f * 0.8f; // the '}' of the boxed answer
    expected[text.length()] = 2f; // the stop token
    assertArrayEquals(expected, r.get(0), 1e-6f);
  }

  @Test
  void tokenRewards_minCreditAndGate_wrongAnswerEarnsNothingPositive() {
    StepSegmenter seg = StepSegmenter.create(new StepSegmenter.Config("\n\n", false, 0));
    ProcessRewards.Prepared p = ProcessRewards.prepare(TOK, withEos("1+1=3\n\nSo,\n\n\\boxed{3}"),
        Set.of(TOK.eosId()), seg);
    float[][] scores = {{0.2f, 0.9f, 0.9f}};
    ProcessRewards.Config min = ppoConfig(CreditAssignment.MIN, OutcomeGate.RETURNS, 1, 1);

    float[] right = ProcessRewards.tokenRewards(min, List.of(p), scores, new boolean[] {true}, new float[] {1f}).get(0);
    float[] wrong = ProcessRewards.tokenRewards(min, List.of(p), scores, new boolean[] {false}, new float[] {0f})
        .get(0);

    double rightSum = 0;
    for (float v : right) {
      rightSum += v;
    }
    assertEquals(0.2 + 1.0, rightSum, 1e-6, "min form: the lowest step score, then the outcome");
    assertEquals(0.2f, right[p.stepEndTokens()[0]], 1e-6f, "the minimum sits on the step that earned it");
    for (float v : wrong) {
      assertEquals(0f, v, "a wrong answer's gated rewards are all 0");
    }
  }

  @Test
  void tokenRewards_twoStepsEndingOnOneToken_add_andFallbackIsOutcomeOnly() {
    ProcessRewards.Prepared shared = new ProcessRewards.Prepared(List.of(new StepSegmenter.Step(0, 1, "a", 1),
        new StepSegmenter.Step(1, 2, "b", 1)), new int[] {1, 1}, 3);
    ProcessRewards.Config sum = ppoConfig(CreditAssignment.SUM, OutcomeGate.NONE, 1, 1);

    float[] r = ProcessRewards.tokenRewards(sum, List.of(shared), new float[][] {{0.25f, 0.5f}}, new boolean[] {true},
        new float[] {1f}).get(0);
    float[] fallback = ProcessRewards.outcomeTokenRewards(sum, List.of(shared), new float[] {0.5f}).get(0);

    org.junit.jupiter.api.Assertions.assertArrayEquals(new float[] {0f, 0.75f, 1f}, r, 1e-6f);
    org.junit.jupiter.api.Assertions.assertArrayEquals(new float[] {0f, 0f, 0.5f}, fallback, 0f);
    assertThrows(IllegalArgumentException.class, () -> ProcessRewards.tokenRewards(sum, List.of(shared),
        new float[][] {{0.25f}}, new boolean[] {true}, new float[] {1f}));
    assertThrows(IllegalArgumentException.class,
        () -> ProcessRewards.outcomeTokenRewards(sum, List.of(shared), new float[] {Float.NaN}));
  }

  @Test
  void guarded_fillerStepsOfAWrongAnswerStopPaying_whileUnguardedSumPaysThem() {
    // the reward hack of docs/results.md: a group of a right solution and a wrong one padded with
    // steps the PRM likes ("So," scores 0.9, a right equation 1)
    ProcessRewards.Config unguarded = new ProcessRewards.Config(new StepSegmenter.Config("\n\n", false, 5),
        CreditAssignment.MIN, new CreditAssignment.Params(0.5, 0.0, OutcomeGate.NONE),
        ProcessAdvantages.Normalisation.RETURNS, new ProcessAdvantages.Weights(0, 1), AdvantageEstimator.GRPO)
        .withCredit(CreditAssignment.SUM);
    assertEquals(CreditAssignment.SUM, unguarded.credit());
    ProcessRewards.Config guarded = unguarded.guarded(CreditAssignment.MIN);
    assertEquals(CreditAssignment.MIN, guarded.credit());
    assertTrue(guarded.segmenter().mergeTrivial());
    assertEquals(OutcomeGate.RETURNS, guarded.params().gate());
    assertEquals(ProcessAdvantages.Normalisation.RETURNS, guarded.normalisation());
    assertEquals(1.0, guarded.weights().outcome());
    assertEquals(unguarded.weights().process(), guarded.weights().process());
    ProcessRewards.Config strict = new ProcessRewards.Config(StepSegmenter.Config.DEFAULT, CreditAssignment.CLIP,
        new CreditAssignment.Params(0.5, 0.0, OutcomeGate.STEPS), ProcessAdvantages.Normalisation.RETURNS,
        new ProcessAdvantages.Weights(2, 1), AdvantageEstimator.GRPO).guarded(CreditAssignment.MIN);
    assertEquals(OutcomeGate.STEPS, strict.params().gate(), "a stricter gate is kept");
    assertEquals(2.0, strict.weights().outcome(), "a larger outcome weight is kept");

    String right = "2+3=5\n\n5*2=10\n\n\\boxed{10}";
    String padded = "So,\n\nNext,\n\nSo,\n\nNow,\n\nSo,\n\n\\boxed{7}";
    float[][] scores = {{1f, 1f, 0.9f}, {0.9f, 0.9f, 0.9f, 0.9f, 0.9f, 0.9f}};
    float[][] mergedScores = {{1f, 1f, 0.9f}, {0.9f}}; // merged, the padding is one step with the answer
    boolean[] correct = {true, false};
    float[] outcome = {1f, 0f};

    StepSegmenter plain = StepSegmenter.create(unguarded.segmenter());
    List<ProcessRewards.Prepared> cut = List.of(ProcessRewards.prepare(TOK, withEos(right), Set.of(TOK.eosId()), plain),
        ProcessRewards.prepare(TOK, withEos(padded), Set.of(TOK.eosId()), plain));
    assertEquals(6, cut.get(1).steps().size());
    List<float[]> hacked = ProcessRewards.tokenAdvantages(unguarded, cut, scores, correct, outcome, 2);
    assertTrue(hacked.get(1)[0] > hacked.get(0)[0], "unguarded sum of returns pays the padding more than the solution");

    StepSegmenter merging = StepSegmenter.create(guarded.segmenter());
    List<ProcessRewards.Prepared> mergedCut = List.of(
        ProcessRewards.prepare(TOK, withEos(right), Set.of(TOK.eosId()), merging),
        ProcessRewards.prepare(TOK, withEos(padded), Set.of(TOK.eosId()), merging));
    assertEquals(1, mergedCut.get(1).steps().size(), "the filler steps merge into the answer step");
    List<float[]> safe = ProcessRewards.tokenAdvantages(guarded, mergedCut, mergedScores, correct, outcome, 2);
    assertTrue(safe.get(0)[0] > safe.get(1)[0], "guarded, the right solution is favoured");
    for (float v : safe.get(1)) {
      assertTrue(v <= 0f, "no token of the padded wrong answer earns a positive advantage: " + v);
    }
  }
}
