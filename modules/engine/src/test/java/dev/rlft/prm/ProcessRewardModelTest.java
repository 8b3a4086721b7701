package dev.rlft.prm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.rlft.checkpoint.Checkpoint;
import dev.rlft.model.CharTokenizer;
import dev.rlft.model.HuggingFaceFolder;
import dev.rlft.model.LlamaModel;
import dev.rlft.model.ModelConfig;
import dev.rlft.model.NativeCompute;
import dev.rlft.model.RopeScaling;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Scoring shapes, the two head kinds against hand computations, Hugging Face loading and checkpoints. */
class ProcessRewardModelTest {

  private static final CharTokenizer TOK = PrmFixtures.CHARS;
  private static final ModelConfig TINY = PrmFixtures.TINY;
  private static final List<StepSolution> SOLUTIONS = PrmFixtures.SOLUTIONS;

  /** Math-Shepherd's layout with characters: " #" tags each step, "+" and "-" are the labels. */
  private static final PrmConfig LM = new PrmConfig(PrmConfig.HeadKind.LM_TOKENS, "", " ", "\n", " #",
      TOK.encode("#")[0], TOK.encode("+")[0], TOK.encode("-")[0]);

  @BeforeAll
  static void oneThread() {
    PrmFixtures.useOneTorchThread();
  }

  @Test
  void score_mixedSolutions_oneScorePerStepInUnitInterval() {
    try (NDManager root = NDManager.newBaseManager();
        ProcessRewardModel prm = scalar(root, 1)) {
      float[][] s = prm.score(SOLUTIONS);

      assertEquals(SOLUTIONS.size(), s.length);
      for (int i = 0; i < s.length; i++) {
        assertEquals(SOLUTIONS.get(i).steps().size(), s[i].length, "solution " + i);
        for (float v : s[i]) {
          assertTrue(v > 0 && v < 1, "score " + v);
        }
      }
    }
  }

  @Test
  void score_repeatedAndRebatched_sameScores() {
    try (NDManager root = NDManager.newBaseManager();
        ProcessRewardModel prm = scalar(root, 2)) {
      float[][] first = prm.score(SOLUTIONS);
      float[][] again = prm.score(SOLUTIONS);
      float[][] oneRowPerPass = prm.score(SOLUTIONS, 1);
      float[][] reversed = prm.score(List.of(SOLUTIONS.get(3), SOLUTIONS.get(2), SOLUTIONS.get(1), SOLUTIONS.get(0)));

      for (int i = 0; i < SOLUTIONS.size(); i++) {
        assertArrayEquals(first[i], again[i], "solution " + i + " scored twice");
        assertArrayEquals(first[i], oneRowPerPass[i], 1e-6f, "solution " + i + " alone in its batch");
        assertArrayEquals(first[i], reversed[SOLUTIONS.size() - 1 - i], 1e-6f, "solution " + i + " reordered");
      }
    }
  }

  @Test
  void score_scalarHead_equalsSigmoidOfHeadOnHiddenStatesByHand() {
    try (NDManager root = NDManager.newBaseManager();
        ProcessRewardModel prm = scalar(root, 3)) {
      float[][] scores = prm.score(SOLUTIONS);
      float[] w = prm.exportHead().get(ProcessRewardModel.HEAD_WEIGHT);
      float b = prm.exportHead().get(ProcessRewardModel.HEAD_BIAS)[0];

      for (int i = 0; i < SOLUTIONS.size(); i++) {
        StepEncoder.Encoded e = prm.encode(SOLUTIONS.get(i));
        float[] hidden = oneRow(root, e.tokens(), m -> prm.backbone().hiddenCausal(m));
        int dim = TINY.dim();
        for (int k = 0; k < e.stepEnds().length; k++) {
          double x = b;
          for (int d = 0; d < dim; d++) {
            x += (double) w[d] * hidden[e.stepEnds()[k] * dim + d];
          }
          assertEquals(1 / (1 + Math.exp(-x)), scores[i][k], 1e-6, "solution " + i + " step " + k);
        }
      }
    }
  }

  @Test
  void score_lmTokens_equalsGoodOverGoodPlusBadFromFullLogits() {
    try (NDManager root = NDManager.newBaseManager();
        ProcessRewardModel prm = ProcessRewardModel.create(LlamaModel.initialize(TINY, 4, root, false), TOK, LM, 0)) {
      float[][] scores = prm.score(SOLUTIONS);

      int vocab = TINY.vocabSize();
      for (int i = 0; i < SOLUTIONS.size(); i++) {
        StepEncoder.Encoded e = prm.encode(SOLUTIONS.get(i));
        float[] logits = oneRow(root, e.tokens(), m -> prm.backbone().forwardCausal(m));
        for (int k = 0; k < e.stepEnds().length; k++) {
          int at = e.stepEnds()[k];
          assertEquals(LM.stepTagId(), e.tokens()[at]);
          double good = Math.exp(logits[at * vocab + LM.goodId()]);
          double bad = Math.exp(logits[at * vocab + LM.badId()]);
          assertEquals(good / (good + bad), scores[i][k], 1e-6, "solution " + i + " step " + k);
        }
      }
    }
  }

  @Test
  void fromHuggingFace_mistralFolder_scoresAsTheModelInMemory(@TempDir Path tmp) throws IOException {
    ModelConfig mistral = new ModelConfig(TOK.vocabSize(), 16, 1, 2, 1, 32, 256, 10000f, 1e-5f, false,
        ModelConfig.Architecture.MISTRAL, 8, false, false, RopeScaling.NONE, 0);
    try (NDManager root = NDManager.newBaseManager()) {
      Map<String, float[]> weights;
      float[][] expected;
      try (ProcessRewardModel inMemory =
          ProcessRewardModel.create(LlamaModel.initialize(mistral, 5, root, false), TOK, LM, 0)) {
        weights = inMemory.backbone().exportWeights();
        expected = inMemory.score(SOLUTIONS);
      }
      HuggingFaceFolder.save(tmp, mistral, weights, TOK);

      try (ProcessRewardModel loaded = ProcessRewardModel.fromHuggingFace(tmp, LM, root, DataType.FLOAT32);
          ProcessRewardModel half = ProcessRewardModel.fromHuggingFace(tmp, LM, root, DataType.FLOAT16)) {
        float[][] got = loaded.score(SOLUTIONS);
        float[][] gotHalf = half.score(SOLUTIONS);
        for (int i = 0; i < SOLUTIONS.size(); i++) {
          assertArrayEquals(expected[i], got[i], "solution " + i);
          assertArrayEquals(expected[i], gotHalf[i], 1e-2f, "solution " + i + " in float16");
        }
      }
    }
  }

  @Test
  void fromHuggingFace_scalarConfig_rejected(@TempDir Path tmp) {
    try (NDManager root = NDManager.newBaseManager()) {
      assertThrows(IllegalArgumentException.class,
          () -> ProcessRewardModel.fromHuggingFace(tmp, PrmConfig.scalar(), root, DataType.FLOAT32));
    }
  }

  @Test
  void saveAndLoad_scalar_bitExactWeightsSettingsAndScores(@TempDir Path tmp) throws IOException {
    PrmConfig config = new PrmConfig(PrmConfig.HeadKind.SCALAR, "Problem: ", "\nSolution:\n", "\n\n", " <step>",
        -1, -1, -1);
    try (NDManager root = NDManager.newBaseManager()) {
      Map<String, float[]> weights;
      Map<String, float[]> head;
      float[][] scores;
      try (ProcessRewardModel prm =
          ProcessRewardModel.create(LlamaModel.initialize(TINY, 6, root, true), TOK, config, 9)) {
        weights = prm.backbone().exportWeights();
        head = prm.exportHead();
        scores = prm.score(SOLUTIONS);
        prm.save(tmp.resolve("prm"));
      }

      try (ProcessRewardModel loaded = ProcessRewardModel.load(tmp.resolve("prm"), root, false)) {
        assertEquals(config, loaded.config());
        assertEquals(TOK.symbols(), ((CharTokenizer) loaded.tokenizer()).symbols());
        assertBitEqual(weights, loaded.backbone().exportWeights());
        assertBitEqual(head, loaded.exportHead());
        float[][] again = loaded.score(SOLUTIONS);
        for (int i = 0; i < scores.length; i++) {
          assertArrayEquals(scores[i], again[i], "solution " + i);
        }
      }
      Checkpoint c = Checkpoint.load(tmp.resolve("prm"));
      assertEquals(ProcessRewardModel.PHASE, c.phase());
      assertEquals("scalar", c.metadata().get("prm.head"));
      assertEquals(TINY.dim(), c.weights().get("score.weight").length);
    }
  }

  @Test
  void saveAndLoad_lmTokens_keepsTokenIdsAndScores(@TempDir Path tmp) throws IOException {
    try (NDManager root = NDManager.newBaseManager()) {
      float[][] scores;
      try (ProcessRewardModel prm =
          ProcessRewardModel.create(LlamaModel.initialize(TINY, 7, root, false), TOK, LM, 0)) {
        scores = prm.score(SOLUTIONS);
        prm.save(tmp.resolve("lm"));
      }
      try (ProcessRewardModel loaded = ProcessRewardModel.load(tmp.resolve("lm"), root, false)) {
        assertEquals(LM, loaded.config());
        assertTrue(loaded.exportHead().isEmpty());
        float[][] again = loaded.score(SOLUTIONS);
        for (int i = 0; i < scores.length; i++) {
          assertArrayEquals(scores[i], again[i], "solution " + i);
        }
      }
    }
  }

  @Test
  void load_policyCheckpoint_isAnErrorSayingItIsNoPrm(@TempDir Path tmp) throws IOException {
    try (NDManager root = NDManager.newBaseManager();
        LlamaModel policy = LlamaModel.initialize(TINY, 8, root, false)) {
      new Checkpoint(TINY, TOK, policy.exportWeights(), Map.of(), 0, 0, "sft", Map.of()).save(tmp.resolve("policy"));

      IOException e =
          assertThrows(IOException.class, () -> ProcessRewardModel.load(tmp.resolve("policy"), root, false));
      assertTrue(e.getMessage().contains("not a PRM"), e.getMessage());
    }
  }

  @Test
  void create_tokenIdOutsideVocabulary_rejected() {
    PrmConfig bad = new PrmConfig(PrmConfig.HeadKind.LM_TOKENS, "", " ", "\n", "", TINY.vocabSize(), 5, 6);
    try (NDManager root = NDManager.newBaseManager();
        LlamaModel backbone = LlamaModel.initialize(TINY, 1, root, false)) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> ProcessRewardModel.create(backbone, TOK, bad, 0));
      assertTrue(e.getMessage().contains(Integer.toString(TINY.vocabSize())), e.getMessage());
    }
  }

  @Test
  void score_solutionOverMaxLength_rejectedNamingIt() {
    StepSolution tooLong = new StepSolution("x".repeat(TINY.maxSeqLen()), List.of("1"));
    try (NDManager root = NDManager.newBaseManager();
        ProcessRewardModel prm = scalar(root, 1)) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> prm.score(List.of(SOLUTIONS.get(0), tooLong)));
      assertTrue(e.getMessage().contains("solution 1"), e.getMessage());
    }
  }

  @Test
  void score_afterWarmUp_leavesNoArraysBehind() {
    try (NDManager root = NDManager.newBaseManager();
        ProcessRewardModel prm = scalar(root, 1);
        ProcessRewardModel lm = ProcessRewardModel.create(LlamaModel.initialize(TINY, 2, root, false), TOK, LM, 0)) {
      prm.score(SOLUTIONS);
      lm.score(SOLUTIONS);
      int live = root.getManagedArrays().size();
      for (int i = 0; i < 3; i++) {
        prm.score(SOLUTIONS, 64);
        lm.score(SOLUTIONS);
        prm.exportHead();
      }
      assertEquals(live, root.getManagedArrays().size());
    }
  }

  private static ProcessRewardModel scalar(NDManager root, long seed) {
    return ProcessRewardModel.create(LlamaModel.initialize(TINY, seed, root, false), TOK, PrmConfig.scalar(), seed);
  }

  /** Runs {@code f} on one unpadded row and returns its output as floats. */
  private static float[] oneRow(NDManager root, int[] tokens, java.util.function.Function<NDArray, NDArray> f) {
    return NativeCompute.run(() -> {
      try (NDManager scope = root.newSubManager()) {
        return f.apply(LlamaModel.tokenArray(scope, new int[][] {tokens}, tokens.length, 0)).toFloatArray();
      }
    });
  }

  private static void assertBitEqual(Map<String, float[]> expected, Map<String, float[]> actual) {
    assertEquals(expected.keySet(), actual.keySet());
    for (String name : expected.keySet()) {
      assertArrayEquals(expected.get(name), actual.get(name), name);
    }
  }
}
