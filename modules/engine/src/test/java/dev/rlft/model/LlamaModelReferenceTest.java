package dev.rlft.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The forward pass and sampler against a real pretrained model's reference numbers (stories260K). */
class LlamaModelReferenceTest {

  private static final Path FOLDER = Path.of("src/test/resources/models/stories260K");
  private static final int[] PROMPT = {1, 403, 407, 261, 378};
  private static NDManager root;
  private static LlamaModel model;
  private static JsonNode reference;

  @BeforeAll
  static void load() throws Exception {
    root = NDManager.newBaseManager();
    model = HuggingFaceFolder.load(FOLDER.resolve("hf"), root, false);
    reference = new ObjectMapper().readTree(FOLDER.resolve("reference.json").toFile());
  }

  @AfterAll
  static void close() {
    model.close();
    root.close();
  }

  @Test
  void forward_promptLogits_matchReferenceWithin1e4() {
    try (NDManager step = root.newSubManager()) {
      NDArray tokens = LlamaModel.tokenArray(step, new int[][] {PROMPT}, PROMPT.length, 0);
      float[] last = model.forwardCausal(tokens).get(new NDIndex("0, -1, :")).toFloatArray();
      JsonNode expected = reference.path("forward_reference").path("last_position_logits_f64");
      assertEquals(512, expected.size());
      double maxDiff = 0;
      for (int i = 0; i < 512; i++) {
        maxDiff = Math.max(maxDiff, Math.abs(last[i] - expected.get(i).asDouble()));
      }
      assertTrue(maxDiff < 1e-4, "max |logit diff| = " + maxDiff);
    }
  }

  @Test
  void forward_everyPromptPosition_matchesReferenceFirstLogits() {
    try (NDManager step = root.newSubManager()) {
      NDArray tokens = LlamaModel.tokenArray(step, new int[][] {PROMPT}, PROMPT.length, 0);
      NDArray logits = model.forwardCausal(tokens);
      for (JsonNode pos : reference.path("forward_reference").path("per_position")) {
        int p = pos.path("pos").asInt();
        float[] row = logits.get(new NDIndex("0, {}, :5", p)).toFloatArray();
        for (int i = 0; i < 5; i++) {
          assertEquals(pos.path("logits_first5_f64").get(i).asDouble(), row[i], 1e-4, "pos " + p + " logit " + i);
        }
      }
    }
  }

  @Test
  void generate_greedyWithCache_matchesReferenceTokens() {
    JsonNode expected = reference.path("greedy_after_prompt").path("tokens");
    int[] want = new int[expected.size()];
    for (int i = 0; i < want.length; i++) {
      want[i] = expected.get(i).asInt();
    }
    List<Generation> g = Sampler.generate(model, List.of(PROMPT), SamplingParams.greedy(want.length), 2, root);
    assertArrayEquals(want, g.get(0).tokens());
  }

  @Test
  void generate_greedyFromBos256_matchesGoldenStory() {
    JsonNode expected = reference.path("golden_from_bos_256").path("tokens");
    int[] want = new int[expected.size()];
    for (int i = 0; i < want.length; i++) {
      want[i] = expected.get(i).asInt();
    }
    List<Generation> g = Sampler.generate(model, List.of(new int[] {1}), SamplingParams.greedy(want.length), 2, root);
    assertArrayEquals(want, g.get(0).tokens());
  }

  @Test
  void generate_cacheAndNoCache_giveSameGreedyTokensAndLogprobs() {
    List<int[]> prompts = List.of(PROMPT, new int[] {1, 403}, new int[] {1});
    SamplingParams p = SamplingParams.greedy(12);
    List<Generation> cached = Sampler.generate(model, prompts, p, 2, false, root);
    List<Generation> plain = Sampler.generate(model, prompts, p, 2, true, root);
    for (int i = 0; i < prompts.size(); i++) {
      assertArrayEquals(plain.get(i).tokens(), cached.get(i).tokens(), "row " + i);
      assertArrayEquals(plain.get(i).logprobs(), cached.get(i).logprobs(), 1e-4f, "row " + i);
    }
  }

  @Test
  void generate_leftPaddedBatch_rowsMatchSingleRowRuns() {
    List<int[]> prompts = List.of(PROMPT, new int[] {1, 403});
    SamplingParams p = new SamplingParams(1.0f, 1f, 0, 10, 7);
    List<Generation> batch = Sampler.generate(model, prompts, p, 2, root);
    List<Generation> alone = Sampler.generate(model, List.of(new int[] {1, 403}), SamplingParams.greedy(10), 2, root);
    List<Generation> batchGreedy = Sampler.generate(model, prompts, SamplingParams.greedy(10), 2, root);
    assertArrayEquals(alone.get(0).tokens(), batchGreedy.get(1).tokens());
    assertArrayEquals(alone.get(0).logprobs(), batchGreedy.get(1).logprobs(), 1e-4f);
    assertEquals(2, batch.size());
  }

  @Test
  void samplerLogprobs_equalLearnerRecomputation() {
    assertSamplerMatchesLearner(model, 0.8f, 11);
  }

  @Test
  void samplerLogprobs_ofALoraModel_equalLearnerRecomputation() {
    LoraConfig lora = new LoraConfig(4, 8f, 0f, java.util.Set.of("q_proj", "v_proj", "up_proj"));
    java.util.Map<String, float[]> adapters = new java.util.LinkedHashMap<>();
    java.util.SplittableRandom rng = new java.util.SplittableRandom(5);
    LlamaModel.adapterShapes(model.config(), lora).forEach((name, shape) -> {
      float[] a = new float[Math.toIntExact(shape.size())];
      for (int i = 0; i < a.length; i++) {
        a[i] = (float) ((rng.nextDouble() - 0.5) * 0.2);
      }
      adapters.put(name, a);
    });
    try (LlamaModel adapted = LlamaModel.withLora(model.config(), model.exportWeights(), lora, adapters, 0, root, false)) {
      List<float[]> adaptedLogp = assertSamplerMatchesLearner(adapted, 0.9f, 3);
      boolean differs = false;
      try (NDManager step = root.newSubManager()) {
        NDArray tokens = LlamaModel.tokenArray(step, new int[][] {PROMPT}, PROMPT.length, 0);
        float[] base = TokenLogProbs.of(model, tokens, 0.9f, false).logp().toFloatArray();
        float[] withAdapters = TokenLogProbs.of(adapted, tokens, 0.9f, false).logp().toFloatArray();
        for (int i = 0; i < base.length; i++) {
          differs |= Math.abs(base[i] - withAdapters[i]) > 1e-3;
        }
      }
      org.junit.jupiter.api.Assertions.assertTrue(differs && !adaptedLogp.isEmpty(), "the adapters must change the model");
    }
  }

  /**
   * Samples a left-padded batch from {@code m} and checks each completion's sampler log-probabilities
   * against the learner's recomputation ({@link TokenLogProbs}) within 1e-4; returns the recomputed ones.
   */
  private List<float[]> assertSamplerMatchesLearner(LlamaModel m, float temperature, long seed) {
    List<int[]> prompts = List.of(PROMPT, new int[] {1, 403, 407});
    List<Generation> gens = Sampler.generate(m, prompts, new SamplingParams(temperature, 1f, 0, 16, seed), 2, root);
    List<float[]> out = new java.util.ArrayList<>();
    for (int i = 0; i < prompts.size(); i++) {
      int[] prompt = prompts.get(i);
      int[] gen = gens.get(i).tokens();
      int[] seq = new int[prompt.length + gen.length];
      System.arraycopy(prompt, 0, seq, 0, prompt.length);
      System.arraycopy(gen, 0, seq, prompt.length, gen.length);
      try (NDManager step = root.newSubManager()) {
        NDArray tokens = LlamaModel.tokenArray(step, new int[][] {seq}, seq.length, 0);
        float[] logp = TokenLogProbs.of(m, tokens, temperature, false).logp().toFloatArray();
        float[] completion = java.util.Arrays.copyOfRange(logp, prompt.length - 1, logp.length);
        assertArrayEquals(gens.get(i).logprobs(), completion, 1e-4f, "row " + i);
        out.add(completion);
      }
    }
    return out;
  }

  @Test
  void forward_inStepManager_leavesNothingInModelManager() {
    int before = model.manager().getManagedArrays().size();
    try (NDManager step = root.newSubManager()) {
      NDArray tokens = LlamaModel.tokenArray(step, new int[][] {PROMPT}, PROMPT.length, 0);
      model.forwardCausal(tokens);
      TokenLogProbs.of(model, tokens, 1f, true);
    }
    Sampler.generate(model, List.of(PROMPT), SamplingParams.greedy(4), 2, root);
    assertEquals(before, model.manager().getManagedArrays().size());
  }
}
