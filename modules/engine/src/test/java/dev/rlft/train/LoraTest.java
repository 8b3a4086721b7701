package dev.rlft.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.rlft.algo.AdvantageEstimator;
import dev.rlft.algo.KlEstimator;
import dev.rlft.algo.LossAggregation;
import dev.rlft.data.Problem;
import dev.rlft.model.LlamaModel;
import dev.rlft.model.LoraConfig;
import dev.rlft.model.PromptTemplate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Low-rank adapters: frozen base, adapter-only training, merge on export, the base as reference. */
class LoraTest {

  private static final LoraConfig LORA = new LoraConfig(4, 8f, 0f, Set.of("q_proj", "v_proj", "down_proj"));

  private static final List<Problem> PROBLEMS = List.of(
      new Problem("a", "Ann has 3 pens. She buys 4 more. How many pens now?", "3+4=7\n\n\\boxed{7}", "7"),
      new Problem("b", "Bo has 9 figs. He eats 2. How many figs now?", "9-2=7\n\n\\boxed{7}", "7"));

  @BeforeAll
  static void oneThread() {
    TinyModel.useOneTorchThread();
  }

  private static Map<String, float[]> base(NDManager root) {
    try (LlamaModel m = LlamaModel.initialize(TinyModel.CONFIG, 3, root, false)) {
      return m.exportWeights();
    }
  }

  private static float[] logits(LlamaModel model, NDManager root) {
    try (NDManager step = root.newSubManager()) {
      NDArray tokens = LlamaModel.tokenArray(step, new int[][] {TinyModel.TOKENIZER.encode("3+4=7 and more")}, 14, 0);
      return model.forwardCausal(tokens).toFloatArray();
    }
  }

  @Test
  void freshAdapters_leaveTheBaseModelUnchanged() {
    try (NDManager root = NDManager.newBaseManager()) {
      Map<String, float[]> w = base(root);
      try (LlamaModel plain = LlamaModel.fromWeights(TinyModel.CONFIG, w, root, false);
          LlamaModel lora = LlamaModel.withLora(TinyModel.CONFIG, w, LORA, null, 5, root, true)) {
        assertArrayEquals(logits(plain, root), logits(lora, root), 0f);
        assertEquals(2 * 3 * TinyModel.CONFIG.nLayers(), lora.adapters().size());
        assertEquals(lora.adapters(), lora.trainableParameters());
        assertTrue(lora.adapters().containsKey("model.layers.0.self_attn.q_proj.lora_A.weight"));
        assertFalse(lora.adapters().containsKey("model.layers.0.self_attn.k_proj.lora_A.weight"));
      }
    }
  }

  @Test
  void sftWithLora_changesOnlyAdapters_andMergedExportReproducesTheModel() {
    try (NDManager root = NDManager.newBaseManager()) {
      Map<String, float[]> w = base(root);
      try (LlamaModel lora = LlamaModel.withLora(TinyModel.CONFIG, w, LORA, null, 5, root, true);
          AdamW opt = new AdamW(lora.trainableParameters(), TinyModel.NO_DECAY, root)) {
        Map<String, float[]> adaptersBefore = lora.exportAdapters();
        SftTrainer sft = new SftTrainer(lora, opt, TinyModel.TOKENIZER, PromptTemplate.PLAIN, LrSchedule.constant(1e-2f));
        float first = sft.step(PROBLEMS).loss();
        float last = first;
        for (int i = 0; i < 15; i++) {
          last = sft.step(PROBLEMS).loss();
        }
        assertTrue(last < first, "LoRA SFT should lower the loss: " + first + " -> " + last);
        Map<String, float[]> baseAfter = lora.exportBaseWeights();
        for (String name : w.keySet()) {
          assertArrayEquals(w.get(name), baseAfter.get(name), 0f, "base weight moved: " + name);
        }
        int changed = 0;
        for (Map.Entry<String, float[]> e : lora.exportAdapters().entrySet()) {
          changed += java.util.Arrays.equals(e.getValue(), adaptersBefore.get(e.getKey())) ? 0 : 1;
        }
        assertEquals(adaptersBefore.size(), changed, "every adapter matrix should have been trained");

        Map<String, float[]> merged = lora.exportWeights();
        assertEquals(w.keySet(), merged.keySet());
        assertFalse(java.util.Arrays.equals(w.get("model.layers.0.self_attn.q_proj.weight"),
            merged.get("model.layers.0.self_attn.q_proj.weight")));
        assertArrayEquals(w.get("model.layers.0.self_attn.k_proj.weight"),
            merged.get("model.layers.0.self_attn.k_proj.weight"), 0f, "untargeted projections are exported as is");
        try (LlamaModel plain = LlamaModel.fromWeights(TinyModel.CONFIG, merged, root, false)) {
          assertArrayEquals(logits(lora, root), logits(plain, root), 1e-4f);
        }
        lora.setAdaptersEnabled(false);
        try (LlamaModel original = LlamaModel.fromWeights(TinyModel.CONFIG, w, root, false)) {
          assertArrayEquals(logits(original, root), logits(lora, root), 0f);
        } finally {
          lora.setAdaptersEnabled(true);
        }
      }
    }
  }

  @Test
  void loadAdapters_reproducesATrainedModelOnAnotherCopy() {
    try (NDManager root = NDManager.newBaseManager()) {
      Map<String, float[]> w = base(root);
      try (LlamaModel trained = LlamaModel.withLora(TinyModel.CONFIG, w, LORA, null, 5, root, true);
          AdamW opt = new AdamW(trained.trainableParameters(), TinyModel.NO_DECAY, root);
          LlamaModel rollout = LlamaModel.withLora(TinyModel.CONFIG, w, LORA, null, 99, root, false)) {
        SftTrainer sft = new SftTrainer(trained, opt, TinyModel.TOKENIZER, PromptTemplate.PLAIN, LrSchedule.constant(1e-2f));
        for (int i = 0; i < 3; i++) {
          sft.step(PROBLEMS);
        }
        Map<String, float[]> adapters = trained.exportAdapters();
        long adapterFloats = adapters.values().stream().mapToLong(a -> a.length).sum();
        assertTrue(adapterFloats < TinyModel.CONFIG.parameterCount() / 2,
            "an adapter sync should move far less than the model: " + adapterFloats);
        rollout.loadAdapters(adapters);
        assertArrayEquals(logits(trained, root), logits(rollout, root), 0f);
        assertThrows(IllegalArgumentException.class, () -> rollout.loadAdapters(Map.of()));
      }
    }
  }

  @Test
  void grpoWithLora_usesTheBaseAsReference_andKeepsTheBaseFrozen() {
    try (NDManager root = NDManager.newBaseManager()) {
      Map<String, float[]> w = base(root);
      GrpoUpdate.Config cfg = new GrpoUpdate.Config(AdvantageEstimator.GRPO, 0.2f, 0.2f, 0.04f, KlEstimator.K3,
          LossAggregation.TOKEN_MEAN, 1f, LrSchedule.constant(1e-2f));
      try (LlamaModel policy = LlamaModel.withLora(TinyModel.CONFIG, w, LORA, null, 5, root, true);
          AdamW opt = new AdamW(policy.trainableParameters(), TinyModel.NO_DECAY, root)) {
        GrpoUpdate update = new GrpoUpdate(policy, null, opt, cfg, TinyModel.TOKENIZER.padId());
        int[] prompt = PromptTemplate.PLAIN.encode(TinyModel.TOKENIZER, "1+1?");
        List<Trajectory> batch = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
          int[] completion = TinyModel.TOKENIZER.encode(i % 2 == 0 ? "2" : "3");
          float[] logp = new float[completion.length];
          java.util.Arrays.fill(logp, -4.6f);
          batch.add(new Trajectory(0, prompt, completion, logp, 0, i % 2 == 0 ? 1f : 0f, false));
        }
        Map<String, Double> m1 = update.step(batch, 4);
        assertEquals(0.0, m1.get("kl"), 1e-6, "policy equals its base before the first update");
        Map<String, Double> m2 = update.step(batch, 4);
        assertTrue(m2.get("kl") > 0, "after an update the policy differs from its base: kl " + m2.get("kl"));
        Map<String, float[]> after = policy.exportBaseWeights();
        for (String name : w.keySet()) {
          assertArrayEquals(w.get(name), after.get(name), 0f, name);
        }
      }
    }
  }

  @Test
  void config_rejectsUnknownTargetsAndBadValues() {
    assertThrows(IllegalArgumentException.class, () -> new LoraConfig(4, 8f, 0f, Set.of("qkv")));
    assertThrows(IllegalArgumentException.class, () -> new LoraConfig(0, 8f, 0f, Set.of("q_proj")));
    assertThrows(IllegalArgumentException.class, () -> new LoraConfig(4, 8f, 1f, Set.of("q_proj")));
    assertThrows(IllegalArgumentException.class, () -> new LoraConfig(4, 8f, 0f, Set.of()));
  }
}
