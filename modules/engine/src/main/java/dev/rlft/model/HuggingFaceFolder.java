package dev.rlft.model;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rlft.tokenizer.FileTokenizer;
import dev.rlft.tokenizer.TokenizerFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads and writes Hugging Face model folders of the Llama family: Llama, Qwen2 (biases on the
 * query, key and value projections) and Mistral. {@code config.json} gives the shape (grouped-query
 * attention, head size, RoPE theta and scaling, tied or untied embeddings, RMSNorm epsilon); the
 * weights come from {@code model.safetensors} or the shards listed in {@code
 * model.safetensors.index.json}. An unsupported architecture or option, a missing tensor, an
 * unexpected tensor or one of the wrong shape is an IOException naming it.
 */
public final class HuggingFaceFolder {

  /** Everything a model folder holds: shape, weights, tokenizer (null if the folder has none) and decoding defaults. */
  public record Pretrained(ModelConfig config, Map<String, float[]> weights, FileTokenizer tokenizer,
      GenerationConfig generation) {}

  /** Tensors some checkpoints carry that the model recomputes (rotary tables). */
  private static final java.util.regex.Pattern IGNORED = java.util.regex.Pattern.compile(".*rotary_emb\\.inv_freq$");

  private HuggingFaceFolder() {}

  public static ModelConfig readConfig(Path folder) throws IOException {
    Path file = folder.resolve("config.json");
    if (!Files.isRegularFile(file)) {
      throw new IOException(folder + ": no config.json");
    }
    JsonNode c = new ObjectMapper().readTree(file.toFile());
    try {
      return parseConfig(c);
    } catch (IllegalArgumentException e) {
      throw new IOException(file + ": " + e.getMessage(), e);
    }
  }

  static ModelConfig parseConfig(JsonNode c) {
    ModelConfig.Architecture arch = ModelConfig.Architecture.fromModelType(c.path("model_type").asText(""));
    for (String field : List.of("hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size",
        "vocab_size")) {
      if (!c.path(field).canConvertToInt()) {
        throw new IllegalArgumentException("missing or non-integer '" + field + "'");
      }
    }
    String act = c.path("hidden_act").asText("silu");
    if (!act.equals("silu")) {
      throw new IllegalArgumentException("unsupported hidden_act '" + act + "' (supported: silu)");
    }
    if (c.path("mlp_bias").asBoolean(false)) {
      throw new IllegalArgumentException("mlp_bias = true is not supported");
    }
    int dim = c.get("hidden_size").asInt();
    int heads = c.get("num_attention_heads").asInt();
    int headDim = c.path("head_dim").canConvertToInt() ? c.get("head_dim").asInt() : dim / heads;
    if (!c.path("head_dim").canConvertToInt() && dim % heads != 0) {
      throw new IllegalArgumentException("hidden_size " + dim + " is not divisible by num_attention_heads " + heads);
    }
    boolean qkvBias;
    boolean outputBias;
    int window = 0;
    switch (arch) {
      case QWEN2 -> {
        qkvBias = true;
        outputBias = false;
        if (c.path("use_sliding_window").asBoolean(false)) {
          window = c.path("sliding_window").asInt(0);
        }
      }
      case MISTRAL -> {
        qkvBias = false;
        outputBias = false;
        window = c.path("sliding_window").canConvertToInt() ? c.get("sliding_window").asInt() : 0;
      }
      default -> {
        qkvBias = c.path("attention_bias").asBoolean(false);
        outputBias = qkvBias;
      }
    }
    return new ModelConfig(
        c.get("vocab_size").asInt(),
        dim,
        c.get("num_hidden_layers").asInt(),
        heads,
        c.path("num_key_value_heads").asInt(heads),
        c.get("intermediate_size").asInt(),
        c.path("max_position_embeddings").asInt(2048),
        (float) c.path("rope_theta").asDouble(10000.0),
        (float) c.path("rms_norm_eps").asDouble(1e-6),
        c.path("tie_word_embeddings").asBoolean(false),
        arch,
        headDim,
        qkvBias,
        outputBias,
        ropeScaling(c.path("rope_scaling")),
        window);
  }

  private static RopeScaling ropeScaling(JsonNode r) {
    if (r.isMissingNode() || r.isNull()) {
      return RopeScaling.NONE;
    }
    String type = r.path("rope_type").asText(r.path("type").asText(""));
    float factor = (float) r.path("factor").asDouble(1.0);
    return switch (type) {
      case "default" -> RopeScaling.NONE;
      case "linear" -> RopeScaling.linear(factor);
      case "llama3" -> RopeScaling.llama3(factor, (float) r.path("low_freq_factor").asDouble(),
          (float) r.path("high_freq_factor").asDouble(), r.path("original_max_position_embeddings").asInt());
      default -> throw new IllegalArgumentException(
          "unsupported rope_scaling type '" + type + "' (supported: linear, llama3)");
    };
  }

  /**
   * Writes {@code weights} as a Hugging Face folder of the config's architecture: {@code
   * config.json}, {@code model.safetensors} (float32, transformers' tensor names), {@code
   * generation_config.json} and, when {@code tokenizer} is given, its files ({@code tokenizer.json}
   * and friends; a {@link CharTokenizer} is written as an equivalent fast tokenizer). Loadable by
   * transformers and by {@link #load}.
   */
  public static void save(Path folder, ModelConfig config, Map<String, float[]> weights, Tokenizer tokenizer)
      throws IOException {
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
    ObjectMapper json = new ObjectMapper();
    ObjectNode c = json.createObjectNode();
    c.putArray("architectures").add(config.architecture().className());
    c.put("model_type", config.architecture().modelType());
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
    RopeScaling r = config.ropeScaling();
    if (r.type() == RopeScaling.Type.NONE) {
      c.putNull("rope_scaling");
    } else {
      ObjectNode rs = c.putObject("rope_scaling");
      rs.put("rope_type", r.type().name().toLowerCase());
      rs.put("factor", r.factor());
      if (r.type() == RopeScaling.Type.LLAMA3) {
        rs.put("low_freq_factor", r.lowFreqFactor());
        rs.put("high_freq_factor", r.highFreqFactor());
        rs.put("original_max_position_embeddings", r.originalMaxPositions());
      }
    }
    switch (config.architecture()) {
      case LLAMA -> {
        if (config.qkvBias() != config.outputBias()) {
          throw new IllegalArgumentException("Llama's attention_bias covers q, k, v and o together");
        }
        c.put("attention_bias", config.qkvBias());
        c.put("mlp_bias", false);
      }
      case QWEN2 -> {
        c.put("use_sliding_window", config.slidingWindow() > 0);
        c.put("sliding_window", config.slidingWindow() > 0 ? config.slidingWindow() : config.maxSeqLen());
        c.put("max_window_layers", config.nLayers());
      }
      case MISTRAL -> {
        if (config.slidingWindow() > 0) {
          c.put("sliding_window", config.slidingWindow());
        } else {
          c.putNull("sliding_window");
        }
      }
    }
    c.put("torch_dtype", "float32");
    ObjectNode g = json.createObjectNode();
    if (tokenizer != null) {
      Map<String, byte[]> files = tokenizer instanceof FileTokenizer f ? f.files()
          : tokenizer instanceof CharTokenizer ch ? TokenizerFiles.forCharTokenizer(ch) : null;
      if (files == null) {
        throw new IllegalArgumentException("cannot save tokenizer " + tokenizer + " as Hugging Face files");
      }
      TokenizerFiles.write(folder, files);
      putId(c, "bos_token_id", tokenizer.bosId());
      putId(c, "eos_token_id", tokenizer.eosId());
      putId(g, "bos_token_id", tokenizer.bosId());
      putId(g, "eos_token_id", tokenizer.eosId());
      putId(g, "pad_token_id", tokenizer.padId());
    }
    Files.writeString(folder.resolve("config.json"), json.writerWithDefaultPrettyPrinter().writeValueAsString(c));
    Files.writeString(folder.resolve("generation_config.json"),
        json.writerWithDefaultPrettyPrinter().writeValueAsString(g));
  }

  private static void putId(ObjectNode node, String field, int id) {
    if (id >= 0) {
      node.put(field, id);
    }
  }

  /** As {@link #save(Path, ModelConfig, Map, Tokenizer)} without tokenizer files. */
  public static void save(Path folder, ModelConfig config, Map<String, float[]> weights) throws IOException {
    save(folder, config, weights, null);
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

  /** The weights of a folder, checked against its config.json. */
  public static Map<String, float[]> readWeights(Path folder, ModelConfig config) throws IOException {
    Map<String, Safetensors.Tensor> tensors = readTensors(folder);
    Map<String, ai.djl.ndarray.types.Shape> expected = LlamaModel.parameterShapes(config);
    Map<String, float[]> weights = new LinkedHashMap<>();
    for (Map.Entry<String, ai.djl.ndarray.types.Shape> e : expected.entrySet()) {
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
    for (String name : tensors.keySet()) {
      boolean tiedHead = name.equals("lm_head.weight") && config.tiedEmbeddings();
      if (!expected.containsKey(name) && !tiedHead && !IGNORED.matcher(name).matches()) {
        throw new IOException(folder + ": unexpected tensor '" + name + "' for a " + config.architecture().modelType()
            + " model with this config.json");
      }
    }
    return weights;
  }

  public static LlamaModel load(Path folder, NDManager parent, boolean trainable) throws IOException {
    ModelConfig config = readConfig(folder);
    return LlamaModel.fromWeights(config, readWeights(folder, config), parent, trainable);
  }

  /** Config, weights, tokenizer (if the folder has one) and generation defaults of a model folder. */
  public static Pretrained read(Path folder) throws IOException {
    ModelConfig config = readConfig(folder);
    Map<String, float[]> weights = readWeights(folder, config);
    FileTokenizer tokenizer = TokenizerFiles.present(folder) ? TokenizerFiles.load(folder) : null;
    if (tokenizer != null && tokenizer.vocabSize() > config.vocabSize()) {
      throw new IOException(folder + ": the tokenizer has " + tokenizer.vocabSize() + " ids but the model only "
          + config.vocabSize());
    }
    return new Pretrained(config, weights, tokenizer, GenerationConfig.read(folder));
  }

  /** Whether {@code folder} looks like a Hugging Face model folder (has config.json). */
  public static boolean isModelFolder(Path folder) {
    return Files.isRegularFile(folder.resolve("config.json"));
  }
}
