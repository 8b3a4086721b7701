package dev.rlft.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** {@link LlamaModel#loadTensors}: a partial overwrite of weights and adapters, all-or-nothing on bad input. */
class LlamaModelLoadTensorsTest {

  private static final ModelConfig TINY = new ModelConfig(40, 8, 1, 2, 2, 16, 16, 10_000f, 1e-5f, true);
  private static final LoraConfig LORA = new LoraConfig(2, 4f, 0f, Set.of("q_proj"));

  private static float[] filled(int n, float v) {
    float[] a = new float[n];
    java.util.Arrays.fill(a, v);
    return a;
  }

  @Test
  void loadTensors_oneWeightAndOneAdapter_changesOnlyThose() {
    try (NDManager root = NDManager.newBaseManager()) {
      Map<String, float[]> base;
      try (LlamaModel init = LlamaModel.initialize(TINY, 3, root, false)) {
        base = init.exportWeights();
      }
      try (LlamaModel model = LlamaModel.withLora(TINY, base, LORA, null, 5, root, false)) {
        Map<String, float[]> adaptersBefore = model.exportAdapters();
        String weight = "model.layers.0.mlp.up_proj.weight";
        String adapter = LoraConfig.bName("model.layers.0.self_attn.q_proj.weight");
        Map<String, float[]> update = new LinkedHashMap<>();
        update.put(weight, filled(base.get(weight).length, 0.25f));
        update.put(adapter, filled(adaptersBefore.get(adapter).length, -0.5f));

        model.loadTensors(update);

        Map<String, float[]> baseAfter = model.exportBaseWeights();
        Map<String, float[]> adaptersAfter = model.exportAdapters();
        for (String name : base.keySet()) {
          assertArrayEquals(name.equals(weight) ? update.get(weight) : base.get(name), baseAfter.get(name), name);
        }
        for (String name : adaptersBefore.keySet()) {
          assertArrayEquals(name.equals(adapter) ? update.get(adapter) : adaptersBefore.get(name),
              adaptersAfter.get(name), name);
        }
      }
    }
  }

  @Test
  void loadTensors_unknownNameOrWrongSize_throwsAndWritesNothing() {
    try (NDManager root = NDManager.newBaseManager(); LlamaModel model = LlamaModel.initialize(TINY, 3, root, false)) {
      Map<String, float[]> before = model.exportWeights();
      String weight = "model.norm.weight";
      Map<String, float[]> unknown = new LinkedHashMap<>();
      unknown.put(weight, filled(TINY.dim(), 9f));
      unknown.put("model.layers.7.mlp.up_proj.weight", new float[4]);
      Map<String, float[]> misshaped = new LinkedHashMap<>();
      misshaped.put(weight, filled(TINY.dim(), 9f));
      misshaped.put("model.embed_tokens.weight", new float[3]);

      IllegalArgumentException e1 = assertThrows(IllegalArgumentException.class, () -> model.loadTensors(unknown));
      IllegalArgumentException e2 = assertThrows(IllegalArgumentException.class, () -> model.loadTensors(misshaped));

      assertTrue(e1.getMessage().contains("model.layers.7.mlp.up_proj.weight"), e1.getMessage());
      assertTrue(e2.getMessage().contains("model.embed_tokens.weight"), e2.getMessage());
      assertArrayEquals(before.get(weight), model.exportWeights().get(weight), "nothing written before the check");
    }
  }
}
