package dev.rlft.steps;

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
}
