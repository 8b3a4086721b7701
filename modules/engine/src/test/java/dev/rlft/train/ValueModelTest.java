package dev.rlft.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.rlft.model.LlamaModel;
import dev.rlft.model.LoraConfig;
import dev.rlft.model.ModelConfig;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The critic: alignment and causality of its values, what it trains, and its head round trip. */
class ValueModelTest {

  private static final ModelConfig TINY = TinyModel.CONFIG;
  private static final int PAD = TinyModel.TOKENIZER.padId();

  @BeforeAll
  static void oneThread() {
    TinyModel.useOneTorchThread();
  }

  private static float[] values(ValueModel critic, int[][] rows, int width) {
    try (NDManager scope = critic.backbone().manager().getParentManager().newSubManager()) {
      NDArray tokens = LlamaModel.tokenArray(scope, rows, width, PAD);
      NDArray v = critic.values(tokens);
      assertEquals(new Shape(rows.length, width - 1), v.getShape());
      assertEquals(scope, v.getManager());
      return v.toFloatArray();
    }
  }

  @Test
  void values_zeroHead_allZeroOfShapeBatchByWidthMinusOne() {
    try (NDManager root = NDManager.newBaseManager();
        ValueModel critic = ValueModel.create(LlamaModel.initialize(TINY, 1, root, true), 0f, 1)) {
      float[] v = values(critic, new int[][] {{1, 5, 6, 7}, {1, 5}}, 4);

      assertArrayEquals(new float[6], v, 0f);
    }
  }

  @Test
  void values_sharedPrefix_equalUpToTheFirstDifferenceThenDiffer() {
    try (NDManager root = NDManager.newBaseManager();
        ValueModel critic = ValueModel.create(LlamaModel.initialize(TINY, 2, root, true), 0.5f, 2)) {
      // rows differ first at token 3, so the states tokens[0..j] agree for j <= 2
      float[] v = values(critic, new int[][] {{1, 40, 41, 42, 43}, {1, 40, 41, 50, 43}}, 5);

      for (int j = 0; j <= 2; j++) {
        assertEquals(v[j], v[4 + j], 1e-6f, "state before token " + (j + 1));
      }
      assertNotEquals(v[3], v[4 + 3], "the state after the differing token");
    }
  }

  @Test
  void values_rightPadding_doesNotChangeRealPositions() {
    try (NDManager root = NDManager.newBaseManager();
        ValueModel critic = ValueModel.create(LlamaModel.initialize(TINY, 3, root, true), 0.5f, 3)) {
      float[] alone = values(critic, new int[][] {{1, 40, 41}}, 3);
      float[] padded = values(critic, new int[][] {{1, 40, 41}}, 6);

      assertArrayEquals(alone, new float[] {padded[0], padded[1]}, 1e-6f);
    }
  }

  @Test
  void trainableParameters_fullBackbone_everyWeightButLmHeadPlusHead() {
    ModelConfig untied = new ModelConfig(TINY.vocabSize(), TINY.dim(), 1, 2, 2, 32, 64, 10000f, 1e-5f, false);
    try (NDManager root = NDManager.newBaseManager();
        ValueModel critic = ValueModel.create(LlamaModel.initialize(untied, 4, root, true), 0.1f, 4)) {
      Set<String> expected = new HashSet<>(LlamaModel.parameterShapes(untied).keySet());
      expected.remove("lm_head.weight");
      expected.add(ValueModel.HEAD_WEIGHT);
      expected.add(ValueModel.HEAD_BIAS);

      assertEquals(expected, critic.trainableParameters().keySet());
      critic.trainableParameters().forEach((name, p) -> assertTrue(p.hasGradient(), name + " takes gradients"));
    }
  }

  @Test
  void trainableParameters_loraOrFrozenBackbone_adaptersPlusHeadOrHeadOnly() {
    LoraConfig lora = new LoraConfig(2, 4f, 0f, Set.of("q_proj", "v_proj"));
    try (NDManager root = NDManager.newBaseManager();
        LlamaModel base = LlamaModel.initialize(TINY, 5, root, false);
        ValueModel withLora = ValueModel.fromWeights(TINY, base.exportWeights(), lora, 5, root);
        ValueModel frozen =
            ValueModel.create(LlamaModel.fromWeights(TINY, base.exportWeights(), root, false), 0.1f, 5)) {
      Set<String> expected = new HashSet<>(LlamaModel.adapterShapes(TINY, lora).keySet());
      expected.add(ValueModel.HEAD_WEIGHT);
      expected.add(ValueModel.HEAD_BIAS);

      assertEquals(expected, withLora.trainableParameters().keySet());
      assertEquals(Set.of(ValueModel.HEAD_WEIGHT, ValueModel.HEAD_BIAS), frozen.trainableParameters().keySet());
    }
  }

  @Test
  void withHead_exportedHead_sameValues() {
    try (NDManager root = NDManager.newBaseManager();
        LlamaModel backbone = LlamaModel.initialize(TINY, 6, root, false);
        ValueModel critic = ValueModel.create(LlamaModel.fromWeights(TINY, backbone.exportWeights(), root, false),
            0.3f, 6);
        ValueModel copy = ValueModel.withHead(LlamaModel.fromWeights(TINY, backbone.exportWeights(), root, false),
            critic.exportHead())) {
      int[][] rows = {{1, 40, 41, 42}};

      assertArrayEquals(values(critic, rows, 4), values(copy, rows, 4), 0f);
      assertEquals(ValueModel.defaultHeadStd(16), 1f / 17, 0f);
    }
  }

  @Test
  void fromExport_exportedWeights_sameValuesAndSameTrainableSet() {
    try (NDManager root = NDManager.newBaseManager();
        LlamaModel init = LlamaModel.initialize(TINY, 8, root, false);
        ValueModel critic = ValueModel.fromWeights(TINY, init.exportWeights(), null, 8, root);
        ValueModel copy = ValueModel.fromExport(TINY, critic.exportWeights(), root, true)) {
      int[][] rows = {{1, 40, 41, 42}, {1, 43, 44, 45}};

      assertArrayEquals(values(critic, rows, 4), values(copy, rows, 4), 0f);
      assertEquals(critic.trainableParameters().keySet(), copy.trainableParameters().keySet());
      Map<String, float[]> noHead = new LinkedHashMap<>(critic.exportWeights());
      noHead.remove(ValueModel.HEAD_BIAS);
      IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
          () -> ValueModel.fromExport(TINY, noHead, root, true));
      assertTrue(missing.getMessage().contains(ValueModel.HEAD_BIAS), missing.getMessage());
    }
  }

  @Test
  void withHead_badHead_rejectedNamingShapes() {
    try (NDManager root = NDManager.newBaseManager();
        LlamaModel backbone = LlamaModel.initialize(TINY, 7, root, false)) {
      Map<String, float[]> wrongSize = new LinkedHashMap<>();
      wrongSize.put(ValueModel.HEAD_WEIGHT, new float[3]);
      wrongSize.put(ValueModel.HEAD_BIAS, new float[1]);

      IllegalArgumentException size =
          assertThrows(IllegalArgumentException.class, () -> ValueModel.withHead(backbone, wrongSize));
      IllegalArgumentException names =
          assertThrows(IllegalArgumentException.class, () -> ValueModel.withHead(backbone, Map.of("w", new float[16])));
      IllegalArgumentException std =
          assertThrows(IllegalArgumentException.class, () -> ValueModel.create(backbone, -1f, 0));

      assertTrue(size.getMessage().contains("[1, 16]") && size.getMessage().contains("3"), size.getMessage());
      assertTrue(names.getMessage().contains(ValueModel.HEAD_WEIGHT), names.getMessage());
      assertTrue(std.getMessage().contains("-1.0"), std.getMessage());
    }
  }
}
