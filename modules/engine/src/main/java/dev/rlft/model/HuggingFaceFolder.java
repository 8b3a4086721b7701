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
 * Loads a Hugging Face Llama model folder ({@code config.json} + {@code model.safetensors}, or
 * shards listed in {@code model.safetensors.index.json}) into a {@link LlamaModel}, and saves one
 * back. An unsupported architecture, a missing tensor or a tensor of the wrong shape is an error
 * naming it. Qwen2 biases and Mistral come with the real-model work.
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

  /**
   * All tensors of a folder: {@code model.safetensors}, or the shards named by
   * {@code model.safetensors.index.json} ({@code weight_map}: tensor name to shard file).
   */
  public static Map<String, Safetensors.Tensor> readTensors(Path folder) throws IOException {
    Path single = folder.resolve("model.safetensors");
    Path index = folder.resolve("model.safetensors.index.json");
    if (Files.isRegularFile(single)) {
      return Safetensors.read(single);
    }
    if (!Files.isRegularFile(index)) {
      throw new IOException(folder + ": no model.safetensors or model.safetensors.index.json");
    }
    JsonNode map = new ObjectMapper().readTree(index.toFile()).path("weight_map");
    if (!map.isObject() || map.size() == 0) {
      throw new IOException(index + ": no weight_map");
    }
    Map<String, String> shardOf = new LinkedHashMap<>();
    map.fields().forEachRemaining(e -> shardOf.put(e.getKey(), e.getValue().asText()));
    Map<String, Safetensors.Tensor> out = new LinkedHashMap<>();
    for (String shard : new java.util.LinkedHashSet<>(shardOf.values())) {
      Path file = folder.resolve(shard).normalize();
      if (!file.startsWith(folder.normalize()) || !Files.isRegularFile(file)) {
        throw new IOException(index + ": shard '" + shard + "' not found in " + folder);
      }
      Map<String, Safetensors.Tensor> tensors = Safetensors.read(file);
      shardOf.forEach((name, s) -> {
        if (s.equals(shard) && tensors.containsKey(name)) {
          out.put(name, tensors.get(name));
        }
      });
    }
    for (String name : shardOf.keySet()) {
      if (!out.containsKey(name)) {
        throw new IOException(index + ": tensor '" + name + "' is not in its shard " + shardOf.get(name));
      }
    }
    return out;
  }

  public static LlamaModel load(Path folder, NDManager parent, boolean trainable) throws IOException {
    ModelConfig config = readConfig(folder);
    Map<String, Safetensors.Tensor> tensors = readTensors(folder);
    Map<String, float[]> weights = new LinkedHashMap<>();
    for (Map.Entry<String, ai.djl.ndarray.types.Shape> e : LlamaModel.parameterShapes(config).entrySet()) {
      Safetensors.Tensor t = tensors.get(e.getKey());
      if (t == null) {
        throw new IOException(folder + ": missing tensor '" + e.getKey() + "'");
      }
      if (!java.util.Arrays.equals(t.shape(), e.getValue().getShape())) {
        throw new IOException(folder + ": tensor '" + e.getKey() + "' has shape " + java.util.Arrays.toString(t.shape())
            + ", config.json implies " + e.getValue());
      }
      weights.put(e.getKey(), t.data());
    }
    return LlamaModel.fromWeights(config, weights, parent, trainable);
  }
}
