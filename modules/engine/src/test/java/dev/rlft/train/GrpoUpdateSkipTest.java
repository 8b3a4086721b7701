package dev.rlft.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDManager;
import dev.rlft.algo.AdvantageEstimator;
import dev.rlft.algo.KlEstimator;
import dev.rlft.algo.LossAggregation;
import dev.rlft.model.LlamaModel;
import dev.rlft.model.PromptTemplate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** A poisoned batch (non-finite loss or gradient) is skipped, not applied; repeated poison fails the run. */
class GrpoUpdateSkipTest {

  @BeforeAll
  static void oneThread() {
    TinyModel.useOneTorchThread();
  }

  private static List<Trajectory> poisoned() {
    int[] prompt = PromptTemplate.PLAIN.encode(TinyModel.TOKENIZER, "Ann has 3 pens. How many pens now?");
    int[] completion = TinyModel.TOKENIZER.encode("3");
    float[] nan = new float[completion.length];
    Arrays.fill(nan, Float.NaN);
    List<Trajectory> out = new ArrayList<>();
    out.add(new Trajectory(0, prompt, completion, nan, 0, 1f, true));
    out.add(new Trajectory(0, prompt, completion, nan, 0, 0f, false));
    return out;
  }

  @Test
  void step_nonFiniteLoss_skippedWeightsUnchangedThenFailsWhenRepeated() {
    try (NDManager root = NDManager.newBaseManager();
        LlamaModel policy = LlamaModel.initialize(TinyModel.CONFIG, 3, root, true);
        LlamaModel reference = LlamaModel.fromWeights(TinyModel.CONFIG, policy.exportWeights(), root, false);
        AdamW opt = new AdamW(policy.parameters(), TinyModel.NO_DECAY, root)) {
      GrpoUpdate update = new GrpoUpdate(policy, reference, opt, new GrpoUpdate.Config(AdvantageEstimator.GRPO, 0.2f,
          0.2f, 0.04f, KlEstimator.K3, LossAggregation.TOKEN_MEAN, 1f, LrSchedule.constant(1e-2f)),
          TinyModel.TOKENIZER.padId());
      Map<String, float[]> before = policy.exportWeights();
      for (int i = 0; i < GrpoUpdate.MAX_CONSECUTIVE_SKIPS; i++) {
        assertEquals(1.0, update.step(poisoned(), 2).get("skipped"));
      }
      assertEquals(0, update.steps());
      Map<String, float[]> after = policy.exportWeights();
      for (String name : before.keySet()) {
        assertArrayEquals(before.get(name), after.get(name), 0f, name);
      }
      IllegalStateException e = assertThrows(IllegalStateException.class, () -> update.step(poisoned(), 2));
      assertEquals(true, e.getMessage().contains("in a row"), e.getMessage());
    }
  }
}
