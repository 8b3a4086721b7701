package dev.rlft.train;

import static dev.rlft.train.PpoFixtures.TOK;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.rlft.model.LlamaModel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** A poisoned PPO batch is skipped for both models, not applied; repeated poison fails the run. */
class PpoUpdateSkipTest {

  @BeforeAll
  static void oneThread() {
    TinyModel.useOneTorchThread();
  }

  private static Map<String, float[]> export(Map<String, NDArray> params) {
    Map<String, float[]> out = new LinkedHashMap<>();
    params.forEach((name, p) -> out.put(name, p.toFloatArray()));
    return out;
  }

  private static void assertUnchanged(Map<String, float[]> before, Map<String, float[]> after, String what) {
    for (String name : before.keySet()) {
      assertArrayEquals(before.get(name), after.get(name), 0f, what + " " + name);
    }
  }

  @Test
  void step_nonFiniteOldLogProbOrReward_skippedBothModelsUnchangedThenFailsWhenRepeated() {
    try (NDManager root = NDManager.newBaseManager();
        LlamaModel policy = LlamaModel.initialize(TinyModel.CONFIG, 3, root, true);
        LlamaModel reference = LlamaModel.fromWeights(TinyModel.CONFIG, policy.exportWeights(), root, false);
        ValueModel critic = ValueModel.fromWeights(TinyModel.CONFIG, policy.exportWeights(), null, 3, root);
        AdamW policyOpt = new AdamW(policy.trainableParameters(), TinyModel.NO_DECAY, root);
        AdamW criticOpt = new AdamW(critic.trainableParameters(), TinyModel.NO_DECAY, root)) {
      PpoUpdate update = new PpoUpdate(policy, reference, policyOpt, critic, criticOpt,
          PpoFixtures.config(0.95f, true, 0.04f), TOK.padId());
      List<Trajectory> clean = PpoFixtures.batch(policy);
      List<float[]> rewards = PpoFixtures.rewardOn(clean, '7');
      List<Trajectory> nanLogProb = new ArrayList<>(clean);
      Trajectory t = clean.get(1);
      float[] poisoned = Arrays.copyOf(t.logprobs(), t.logprobs().length);
      poisoned[2] = Float.NaN;
      nanLogProb.set(1, new Trajectory(t.groupId(), t.prompt(), t.completion(), poisoned, 0, 0f, false));
      List<float[]> nanReward = new ArrayList<>(rewards);
      float[] r = Arrays.copyOf(rewards.get(0), rewards.get(0).length);
      r[0] = Float.POSITIVE_INFINITY;
      nanReward.set(0, r);
      Map<String, float[]> policyBefore = policy.exportWeights();
      Map<String, float[]> criticBefore = export(critic.trainableParameters());

      Map<String, Double> first = update.step(nanLogProb, rewards);
      Map<String, Double> second = update.step(clean, nanReward);
      Map<String, Double> third = update.step(nanLogProb, nanReward);

      for (Map<String, Double> metrics : List.of(first, second, third)) {
        assertEquals(1.0, metrics.get("skipped"), metrics.toString());
        assertTrue(Double.isNaN(metrics.get("grad_norm")), metrics.toString());
      }
      assertEquals(0, update.steps());
      assertUnchanged(policyBefore, policy.exportWeights(), "policy");
      assertUnchanged(criticBefore, export(critic.trainableParameters()), "critic");
      IllegalStateException e = assertThrows(IllegalStateException.class, () -> update.step(nanLogProb, rewards));
      assertTrue(e.getMessage().contains("in a row"), e.getMessage());
    }
  }

  @Test
  void step_cleanBatchAfterSkip_resetsTheCount() {
    try (NDManager root = NDManager.newBaseManager();
        LlamaModel policy = LlamaModel.initialize(TinyModel.CONFIG, 4, root, true);
        ValueModel critic = ValueModel.fromWeights(TinyModel.CONFIG, policy.exportWeights(), null, 4, root);
        AdamW policyOpt = new AdamW(policy.trainableParameters(), TinyModel.NO_DECAY, root);
        AdamW criticOpt = new AdamW(critic.trainableParameters(), TinyModel.NO_DECAY, root)) {
      PpoUpdate update = new PpoUpdate(policy, null, policyOpt, critic, criticOpt,
          PpoFixtures.config(0.95f, true, 0f), TOK.padId());
      List<Trajectory> clean = PpoFixtures.batch(policy);
      List<float[]> rewards = PpoFixtures.rewardOn(clean, '7');
      List<float[]> poisoned = new ArrayList<>(rewards);
      poisoned.set(3, new float[rewards.get(3).length]);
      poisoned.get(3)[0] = Float.NaN;

      for (int round = 0; round < 2; round++) {
        for (int i = 0; i < PpoUpdate.MAX_CONSECUTIVE_SKIPS; i++) {
          assertEquals(1.0, update.step(clean, poisoned).get("skipped"));
        }
        assertEquals(0.0, update.step(PpoFixtures.batch(policy), rewards).get("skipped"));
      }

      assertEquals(2, update.steps());
    }
  }

  @Test
  void step_finiteLossNonFiniteCriticGradient_skippedPolicyUnchangedToo() {
    try (NDManager root = NDManager.newBaseManager();
        LlamaModel policy = LlamaModel.initialize(TinyModel.CONFIG, 5, root, true);
        ValueModel critic = ValueModel.withHead(tinyNormBackbone(policy, root), hugeHead());
        AdamW policyOpt = new AdamW(policy.trainableParameters(), TinyModel.NO_DECAY, root);
        AdamW criticOpt = new AdamW(critic.trainableParameters(), TinyModel.NO_DECAY, root)) {
      // Hidden states scaled down by 1e30 and a head scaled up by 1e30: values, and so the loss, stay
      // ordinary, but the final norm's gradient is ~1e28, whose square overflows float32.
      PpoUpdate update = new PpoUpdate(policy, null, policyOpt, critic, criticOpt,
          PpoFixtures.config(0.95f, true, 0f), TOK.padId());
      List<Trajectory> batch = PpoFixtures.batch(policy);
      Map<String, float[]> policyBefore = policy.exportWeights();
      Map<String, float[]> criticBefore = export(critic.trainableParameters());

      Map<String, Double> metrics = update.step(batch, PpoFixtures.rewardOn(batch, '7'));

      assertTrue(Double.isFinite(metrics.get("loss")), "the loss itself is finite: " + metrics.get("loss"));
      assertEquals(1.0, metrics.get("skipped"), metrics.toString());
      assertEquals(0, update.steps());
      assertUnchanged(policyBefore, policy.exportWeights(), "policy");
      assertUnchanged(criticBefore, export(critic.trainableParameters()), "critic");
    }
  }

  private static LlamaModel tinyNormBackbone(LlamaModel policy, NDManager root) {
    Map<String, float[]> weights = policy.exportWeights();
    Arrays.fill(weights.get("model.norm.weight"), 1e-30f);
    return LlamaModel.fromWeights(TinyModel.CONFIG, weights, root, true);
  }

  private static Map<String, float[]> hugeHead() {
    float[] w = new float[TinyModel.CONFIG.dim()];
    for (int i = 0; i < w.length; i++) {
      w[i] = (i % 2 == 0 ? 1e30f : -1e30f) / w.length;
    }
    Map<String, float[]> head = new LinkedHashMap<>();
    head.put(ValueModel.HEAD_WEIGHT, w);
    head.put(ValueModel.HEAD_BIAS, new float[1]);
    return head;
  }
}
