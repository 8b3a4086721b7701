package dev.rlft.model;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Loads a Hugging Face Llama model folder ({@code config.json} + {@code model.safetensors}) into a
 * {@link LlamaModel}. Sharded checkpoints, Qwen2 biases and tokenizers come with the real-model
 * work; an unsupported architecture or a missing tensor is an error naming it.
 */
public final class HuggingFaceFolder {

  private HuggingFaceFolder() {}

  public static ModelConfig readConfig(Path folder) throws IOException {
    Path file = folder.resolve("config.json");
    if (!Files.isRegularFile(file)) {
      throw new IOException(folder + ": no config.json");
    }
    JsonNode c = new ObjectMapper().readTree(file.toFile());
    String type = c.path("model_type").asText("");
    if (!type.equals("llama")) {
      throw new IOException(file + ": unsupported model_type '" + type + "' (supported: llama)");
    }
    int dim = c.path("hidden_size").asInt();
    int heads = c.path("num_attention_heads").asInt();
    if (c.has("head_dim") && c.get("head_dim").asInt() * heads != dim) {
      throw new IOException(file + ": head_dim * num_attention_heads != hidden_size is not supported");
    }
    return new ModelConfig(
        c.path("vocab_size").asInt(),
        dim,
        c.path("num_hidden_layers").asInt(),
        heads,
        c.path("num_key_value_heads").asInt(heads),
        c.path("intermediate_size").asInt(),
        c.path("max_position_embeddings").asInt(2048),
        (float) c.path("rope_theta").asDouble(10000.0),
        (float) c.path("rms_norm_eps").asDouble(1e-6),
        c.path("tie_word_embeddings").asBoolean(false));
  }

  /**
   * Writes {@code weights} as a Hugging Face {@code LlamaForCausalLM} folder: {@code config.json}
   * and {@code model.safetensors} (float32, transformers' tensor names), loadable by transformers
   * and by {@link #load}.
   */
  public static void save(Path folder, ModelConfig config, Map<String, float[]> weights) throws IOException {
    Files.createDirectories(folder);
    Map<String, Safetensors.Tensor> tensors = new LinkedHashMap<>();
    for (Map.Entry<String, ai.djl.ndarray.types.Shape> e : LlamaModel.parameterShapes(config).entrySet()) {
      float[] data = weights.get(e.getKey());
      if (data == null) {
        throw new IllegalArgumentException("missing tensor '" + e.getKey() + "'");
      }
      tensors.put(e.getKey(), new Safetensors.Tensor(e.getValue().getShape(), data));
    }
    Safetensors.write(folder.resolve("model.safetensors"), tensors, Map.of("format", "pt"));
    com.fasterxml.jackson.databind.node.ObjectNode c = new ObjectMapper().createObjectNode();
    c.putArray("architectures").add("LlamaForCausalLM");
    c.put("model_type", "llama");
    c.put("vocab_size", config.vocabSize());
    c.put("hidden_size", config.dim());
    c.put("intermediate_size", config.hiddenDim());
    c.put("num_hidden_layers", config.nLayers());
    c.put("num_attention_heads", config.nHeads());
    c.put("num_key_value_heads", config.nKvHeads());
    c.put("head_dim", config.headDim());
    c.put("hidden_act", "silu");
    c.put("max_position_embeddings", config.maxSeqLen());
    c.put("rms_norm_eps", config.normEps());
    c.put("rope_theta", config.ropeTheta());
    c.put("tie_word_embeddings", config.tiedEmbeddings());
    c.put("attention_bias", false);
    c.put("mlp_bias", false);
    c.put("torch_dtype", "float32");
    Files.writeString(folder.resolve("config.json"),
        new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(c));
  }

  public static LlamaModel load(Path folder, NDManager parent, boolean trainable) throws IOException {
    ModelConfig config = readConfig(folder);
    Path weightsFile = folder.resolve("model.safetensors");
    if (!Files.isRegularFile(weightsFile)) {
      throw new IOException(folder + ": no model.safetensors");
    }
    Map<String, Safetensors.Tensor> tensors = Safetensors.read(weightsFile);
    Map<String, float[]> weights = new LinkedHashMap<>();
    for (String name : LlamaModel.parameterShapes(config).keySet()) {
      Safetensors.Tensor t = tensors.get(name);
      if (t == null) {
        throw new IOException(weightsFile + ": missing tensor '" + name + "'");
      }
      weights.put(name, t.data());
    }
    return LlamaModel.fromWeights(config, weights, parent, trainable);
  }
}
