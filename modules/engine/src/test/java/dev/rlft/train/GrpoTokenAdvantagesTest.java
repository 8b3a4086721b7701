package dev.rlft.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import dev.rlft.algo.AdvantageEstimator;
import dev.rlft.algo.Advantages;
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

/** Per-token advantages (process supervision): broadcasting the scalar ones reproduces plain GRPO exactly. */
class GrpoTokenAdvantagesTest {

  private static final GrpoUpdate.Config CONFIG = new GrpoUpdate.Config(AdvantageEstimator.GRPO, 0.2f, 0.2f, 0.04f,
      KlEstimator.K3, LossAggregation.TOKEN_MEAN, 1f, LrSchedule.constant(1e-2f));

  @BeforeAll
  static void oneThread() {
    TinyModel.useOneTorchThread();
  }

  private static List<Trajectory> batch() {
    List<Trajectory> out = new ArrayList<>();
    int[] prompt = PromptTemplate.PLAIN.encode(TinyModel.TOKENIZER, "2+3?");
    String[] texts = {"5", "6", "2+3=5", "4"};
    for (int i = 0; i < texts.length; i++) {
      int[] c = TinyModel.TOKENIZER.encode(texts[i]);
      float[] lp = new float[c.length];
      Arrays.fill(lp, -4.6f);
      out.add(new Trajectory(0, prompt, c, lp, 0, i % 2 == 0 ? 1f : 0f, i % 2 == 0));
    }
    return out;
  }

  @Test
  void broadcastTokenAdvantages_equalScalarGrpo_andStepwiseOnesChangeTheUpdate() {
    try (NDManager root = NDManager.newBaseManager()) {
      Map<String, float[]> w;
      try (LlamaModel init = LlamaModel.initialize(TinyModel.CONFIG, 2, root, false)) {
        w = init.exportWeights();
      }
      List<Trajectory> batch = batch();
      float[] rewards = new float[batch.size()];
      for (int i = 0; i < rewards.length; i++) {
        rewards[i] = batch.get(i).reward();
      }
      float[] adv = Advantages.compute(AdvantageEstimator.GRPO, rewards, 4);
      List<float[]> broadcast = new ArrayList<>();
      List<float[]> stepwise = new ArrayList<>();
      for (int i = 0; i < batch.size(); i++) {
        float[] a = new float[batch.get(i).completion().length];
        Arrays.fill(a, adv[i]);
        broadcast.add(a);
        float[] s = a.clone();
        s[0] = 0f; // as if the first step earned nothing
        stepwise.add(s);
      }
      Map<String, float[]> scalar = update(root, w, u -> u.step(batch, 4));
      Map<String, float[]> perToken = update(root, w, u -> u.step(batch, 4, broadcast));
      Map<String, float[]> partial = update(root, w, u -> u.step(batch, 4, stepwise));
      for (String name : scalar.keySet()) {
        assertArrayEquals(scalar.get(name), perToken.get(name), 1e-7f, name);
      }
      assertTrue(scalar.keySet().stream().anyMatch(k -> !Arrays.equals(scalar.get(k), partial.get(k))),
          "different token advantages must give a different update");
      try (LlamaModel p = LlamaModel.fromWeights(TinyModel.CONFIG, w, root, true);
          LlamaModel ref = LlamaModel.fromWeights(TinyModel.CONFIG, w, root, false);
          AdamW opt = new AdamW(p.trainableParameters(), TinyModel.NO_DECAY, root)) {
        GrpoUpdate u = new GrpoUpdate(p, ref, opt, CONFIG, TinyModel.TOKENIZER.padId());
        assertThrows(IllegalArgumentException.class, () -> u.step(batch, 4, broadcast.subList(0, 3)));
        List<float[]> wrongLength = new ArrayList<>(broadcast);
        wrongLength.set(2, new float[1]);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> u.step(batch, 4, wrongLength));
        assertTrue(e.getMessage().contains("trajectory 2"), e.getMessage());
      }
    }
  }

  private static Map<String, float[]> update(NDManager root, Map<String, float[]> w,
      java.util.function.Function<GrpoUpdate, Map<String, Double>> step) {
    try (LlamaModel p = LlamaModel.fromWeights(TinyModel.CONFIG, w, root, true);
        LlamaModel ref = LlamaModel.fromWeights(TinyModel.CONFIG, w, root, false);
        AdamW opt = new AdamW(p.trainableParameters(), TinyModel.NO_DECAY, root)) {
      Map<String, Double> m = step.apply(new GrpoUpdate(p, ref, opt, CONFIG, TinyModel.TOKENIZER.padId()));
      assertEquals(0.0, m.get("skipped"));
      return p.exportWeights();
    }
  }
}
