package dev.rlft.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.rlft.tokenizer.FileTokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Qwen2 and Mistral folders, RoPE scaling, head size, dtype and export with tokenizer files. */
class ArchitecturesTest {

  private static final Path STORIES = Path.of("src/test/resources/models/stories260K/hf");

  private static final String QWEN2 = """
      {"architectures": ["Qwen2ForCausalLM"], "model_type": "qwen2", "vocab_size": 64, "hidden_size": 32,
       "intermediate_size": 48, "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2,
       "max_position_embeddings": 128, "rope_theta": 1000000.0, "rms_norm_eps": 1e-6, "tie_word_embeddings": true,
       "hidden_act": "silu", "use_sliding_window": false, "sliding_window": 4096}
      """;

  private static void writeConfig(Path dir, String json) throws IOException {
    Files.createDirectories(dir);
    Files.writeString(dir.resolve("config.json"), json);
  }

  @Test
  void qwen2Config_hasQkvBiasOnly_andGqa(@TempDir Path tmp) throws IOException {
    writeConfig(tmp, QWEN2);
    ModelConfig c = HuggingFaceFolder.readConfig(tmp);
    assertEquals(ModelConfig.Architecture.QWEN2, c.architecture());
    assertTrue(c.qkvBias());
    assertFalse(c.outputBias());
    assertEquals(2, c.nKvHeads());
    assertEquals(8, c.headDim());
    assertEquals(1e6f, c.ropeTheta());
    assertEquals(0, c.slidingWindow(), "use_sliding_window = false");
    Map<String, ai.djl.ndarray.types.Shape> shapes = LlamaModel.parameterShapes(c);
    assertEquals(new ai.djl.ndarray.types.Shape(16), shapes.get("model.layers.0.self_attn.k_proj.bias"));
    assertFalse(shapes.containsKey("model.layers.0.self_attn.o_proj.bias"));
    assertFalse(shapes.containsKey("lm_head.weight"));
  }

  @Test
  void qwen2Model_savesAndReloadsBitExact_andBiasesChangeTheOutput(@TempDir Path tmp) throws IOException {
    writeConfig(tmp.resolve("cfg"), QWEN2);
    ModelConfig c = HuggingFaceFolder.readConfig(tmp.resolve("cfg"));
    try (NDManager root = NDManager.newBaseManager();
        LlamaModel random = LlamaModel.initialize(c, 4, root, false)) {
      Map<String, float[]> w = new LinkedHashMap<>(random.exportWeights());
      float[] kBias = w.get("model.layers.1.self_attn.k_proj.bias");
      for (int i = 0; i < kBias.length; i++) {
        kBias[i] = 0.5f * (i % 3 - 1);
      }
      w.get("model.layers.0.self_attn.q_proj.bias")[3] = 2f;
      HuggingFaceFolder.save(tmp.resolve("out"), c, w);
      HuggingFaceFolder.Pretrained again = HuggingFaceFolder.read(tmp.resolve("out"));
      assertEquals(c, again.config());
      for (String name : w.keySet()) {
        assertArrayEquals(w.get(name), again.weights().get(name), 0f, name);
      }
      String config = Files.readString(tmp.resolve("out/config.json"));
      assertTrue(config.contains("\"Qwen2ForCausalLM\""), config);
      try (LlamaModel withBias = LlamaModel.fromWeights(c, w, root, false);
          NDManager step = root.newSubManager()) {
        NDArray tokens = LlamaModel.tokenArray(step, new int[][] {{1, 5, 9, 12}}, 4, 0);
        float[] a = withBias.forwardCausal(tokens).toFloatArray();
        float[] b = random.forwardCausal(tokens).toFloatArray();
        assertFalse(java.util.Arrays.equals(a, b), "q/k/v biases must take part in the forward pass");
      }
    }
  }

  @Test
  void mistralConfig_readsSlidingWindow_andRefusesSequencesBeyondIt(@TempDir Path tmp) throws IOException {
    writeConfig(tmp, QWEN2.replace("qwen2", "mistral").replace("Qwen2", "Mistral").replace("\"sliding_window\": 4096", "\"sliding_window\": 6"));
    ModelConfig c = HuggingFaceFolder.readConfig(tmp);
    assertEquals(ModelConfig.Architecture.MISTRAL, c.architecture());
    assertFalse(c.qkvBias());
    assertEquals(6, c.slidingWindow());
    try (NDManager root = NDManager.newBaseManager();
        LlamaModel m = LlamaModel.initialize(c, 1, root, false);
        NDManager step = root.newSubManager()) {
      m.forwardCausal(LlamaModel.tokenArray(step, new int[][] {{1, 2, 3, 4, 5, 6}}, 6, 0));
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> m.forwardCausal(LlamaModel.tokenArray(step, new int[][] {{1, 2, 3, 4, 5, 6, 7}}, 7, 0)));
      assertTrue(e.getMessage().contains("sliding_window"), e.getMessage());
    }
  }

  @Test
  void unsupportedOptions_areErrorsNamingThem(@TempDir Path tmp) throws IOException {
    writeConfig(tmp, QWEN2.replace("\"hidden_act\": \"silu\"", "\"hidden_act\": \"gelu\""));
    assertTrue(assertThrows(IOException.class, () -> HuggingFaceFolder.readConfig(tmp)).getMessage().contains("gelu"));
    writeConfig(tmp, QWEN2.replace("\"tie_word_embeddings\": true", "\"rope_scaling\": {\"rope_type\": \"yarn\", \"factor\": 4}"));
    assertTrue(assertThrows(IOException.class, () -> HuggingFaceFolder.readConfig(tmp)).getMessage().contains("yarn"));
    writeConfig(tmp, QWEN2.replace("\"hidden_size\": 32,", ""));
    assertTrue(assertThrows(IOException.class, () -> HuggingFaceFolder.readConfig(tmp)).getMessage().contains("hidden_size"));
  }

  @Test
  void llama3RopeScaling_matchesTransformersRule() {
    // transformers' _compute_llama3_parameters: factor 8, low 1, high 4, original 8192
    RopeScaling r = RopeScaling.llama3(8f, 1f, 4f, 8192);
    double[] plain = RopeScaling.NONE.inverseFrequencies(500000, 128);
    double[] scaled = r.inverseFrequencies(500000, 128);
    assertEquals(plain[0], scaled[0], 0, "high frequencies (short wavelengths) are kept");
    assertEquals(plain[63] / 8, scaled[63], 1e-15, "low frequencies are divided by the factor");
    boolean smoothed = false;
    for (int i = 0; i < 64; i++) {
      double wavelen = 2 * Math.PI / plain[i];
      if (wavelen > 8192 / 4.0 && wavelen < 8192 / 1.0) {
        double s = (8192 / wavelen - 1) / (4 - 1);
        assertEquals((1 - s) * plain[i] / 8 + s * plain[i], scaled[i], 1e-15);
        smoothed = true;
      }
    }
    assertTrue(smoothed, "some frequencies lie in the smoothing band");
    assertEquals(plain[5] / 4, RopeScaling.linear(4f).inverseFrequencies(500000, 128)[5], 1e-18);
  }

  @Test
  void explicitHeadDim_differentFromDimOverHeads_runs(@TempDir Path tmp) throws IOException {
    writeConfig(tmp, QWEN2.replace("\"num_attention_heads\": 4,", "\"num_attention_heads\": 4, \"head_dim\": 16,"));
    ModelConfig c = HuggingFaceFolder.readConfig(tmp);
    assertEquals(16, c.headDim());
    assertEquals(64, c.qDim());
    try (NDManager root = NDManager.newBaseManager();
        LlamaModel m = LlamaModel.initialize(c, 1, root, false);
        NDManager step = root.newSubManager()) {
      NDArray logits = m.forwardCausal(LlamaModel.tokenArray(step, new int[][] {{1, 2, 3}}, 3, 0));
      assertEquals(new ai.djl.ndarray.types.Shape(1, 3, 64), logits.getShape());
    }
  }

  @Test
  void float16Model_tracksFloat32Logits_onTheRealModel() throws IOException {
    HuggingFaceFolder.Pretrained p = HuggingFaceFolder.read(STORIES);
    try (NDManager root = NDManager.newBaseManager();
        LlamaModel f32 = LlamaModel.fromWeights(p.config(), p.weights(), root, false);
        LlamaModel bf16 = LlamaModel.fromWeights(p.config(), p.weights(), root, false, DataType.FLOAT16);
        NDManager step = root.newSubManager()) {
      NDArray tokens = LlamaModel.tokenArray(step, new int[][] {{1, 403, 407, 261, 378}}, 5, 0);
      float[] a = f32.forwardCausal(tokens).toFloatArray();
      float[] b = bf16.forwardCausal(tokens).toFloatArray();
      double maxAbs = 0;
      double maxDiff = 0;
      int agree = 0;
      int vocab = p.config().vocabSize();
      for (int t = 0; t < 5; t++) {
        agree += argmax(a, t * vocab, vocab) == argmax(b, t * vocab, vocab) ? 1 : 0;
      }
      for (int i = 0; i < a.length; i++) {
        maxAbs = Math.max(maxAbs, Math.abs(a[i]));
        maxDiff = Math.max(maxDiff, Math.abs(a[i] - b[i]));
      }
      assertTrue(maxDiff < 0.01 * maxAbs, "fp16 logits drift " + maxDiff + " of " + maxAbs);
      assertTrue(agree >= 4, "fp16 argmax agrees at " + agree + " of 5 positions");
      assertEquals(DataType.FLOAT16, bf16.dtype());
      Map<String, float[]> back = bf16.exportWeights();
      assertEquals(p.weights().keySet(), back.keySet());
      assertThrows(IllegalArgumentException.class,
          () -> LlamaModel.fromWeights(p.config(), p.weights(), root, true, DataType.FLOAT16));
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> LlamaModel.fromWeights(p.config(), p.weights(), root, false, DataType.BFLOAT16));
      assertTrue(e.getMessage().contains("bfloat16"), e.getMessage());
      List<Generation> g = Sampler.generate(bf16, List.of(new int[] {1, 403, 407, 261, 378}),
          SamplingParams.greedy(8), 2, root);
      assertEquals(8, g.get(0).tokens().length);
    }
  }

  private static int argmax(float[] a, int from, int n) {
    int best = from;
    for (int i = from; i < from + n; i++) {
      if (a[i] > a[best]) {
        best = i;
      }
    }
    return best - from;
  }

  @Test
  void stories260K_exportWithTokenizer_reloadsIdentically(@TempDir Path tmp) throws IOException {
    HuggingFaceFolder.Pretrained p = HuggingFaceFolder.read(STORIES);
    assertTrue(p.tokenizer() != null, "the stories260K folder has a tokenizer");
    HuggingFaceFolder.save(tmp, p.config(), p.weights(), p.tokenizer());
    HuggingFaceFolder.Pretrained again = HuggingFaceFolder.read(tmp);
    assertEquals(p.config(), again.config());
    for (String name : p.weights().keySet()) {
      assertArrayEquals(p.weights().get(name), again.weights().get(name), 0f, name);
    }
    FileTokenizer t = again.tokenizer();
    assertEquals(p.tokenizer().form(), t.form());
    String text = "Once upon a time, there was a little girl.";
    assertArrayEquals(p.tokenizer().encode(text), t.encode(text));
    assertEquals(p.tokenizer().eosId(), again.generation().eosIds().get(0));
  }

  @Test
  void qwen2Forward_matchesAnIndependentPyTorchImplementation() throws IOException {
    Path dir = Path.of("src/test/resources/models/qwen2-tiny");
    com.fasterxml.jackson.databind.JsonNode ref =
        new com.fasterxml.jackson.databind.ObjectMapper().readTree(dir.resolve("torch_reference.json").toFile());
    int[] prompt = new int[ref.get("prompt").size()];
    for (int i = 0; i < prompt.length; i++) {
      prompt[i] = ref.get("prompt").get(i).asInt();
    }
    try (NDManager root = NDManager.newBaseManager();
        LlamaModel m = HuggingFaceFolder.load(dir, root, false);
        NDManager step = root.newSubManager()) {
      assertEquals(ModelConfig.Architecture.QWEN2, m.config().architecture());
      NDArray logits = m.forwardCausal(LlamaModel.tokenArray(step, new int[][] {prompt}, prompt.length, 0));
      float[] last = logits.get(new ai.djl.ndarray.index.NDIndex("0, -1, :")).toFloatArray();
      assertEquals(ref.get("logits").size(), last.length);
      for (int i = 0; i < last.length; i++) {
        assertEquals(ref.get("logits").get(i).asDouble(), last[i], 1e-4, "logit " + i);
      }
    }
  }
}
