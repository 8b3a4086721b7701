package dev.rlft.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * A Llama-style decoder-only transformer (RMSNorm, rotary position embedding with the
 * rotate-half convention of Hugging Face, causal grouped-query self-attention, SwiGLU MLP), written
 * as named steps over a map of parameters whose names follow Hugging Face's {@code
 * LlamaForCausalLM} so checkpoints can be exchanged.
 *
 * <p>Every parameter lives in this model's own manager; every activation lands in the manager of
 * the caller's input arrays, so a caller that creates its inputs in a per-step sub-manager frees
 * all intermediates by closing it. Not thread-safe: one owner at a time.
 */
public final class LlamaModel implements AutoCloseable {

  /** Large negative additive bias for masked attention logits (finite, so no NaN on empty rows). */
  public static final float MASKED = -1e9f;

  private final ModelConfig config;
  private final NDManager manager;
  private final Map<String, NDArray> params;
  private final NDArray cosTable;
  private final NDArray sinTable;
  private final boolean trainable;

  private LlamaModel(ModelConfig config, NDManager parent, Map<String, float[]> weights, boolean trainable) {
    this.config = config;
    this.manager = parent.newSubManager();
    this.trainable = trainable;
    Map<String, Shape> shapes = parameterShapes(config);
    for (String name : weights.keySet()) {
      if (!shapes.containsKey(name)) {
        manager.close();
        throw new IllegalArgumentException("unexpected tensor '" + name + "' for this model config");
      }
    }
    Map<String, NDArray> p = new LinkedHashMap<>();
    for (Map.Entry<String, Shape> e : shapes.entrySet()) {
      float[] data = weights.get(e.getKey());
      if (data == null) {
        manager.close();
        throw new IllegalArgumentException("missing tensor '" + e.getKey() + "'");
      }
      if (data.length != e.getValue().size()) {
        manager.close();
        throw new IllegalArgumentException(
            "tensor '" + e.getKey() + "' has " + data.length + " values, expected shape " + e.getValue());
      }
      NDArray a = manager.create(data, e.getValue());
      a.setName(e.getKey());
      if (trainable) {
        a.setRequiresGradient(true);
      }
      p.put(e.getKey(), a);
    }
    this.params = Collections.unmodifiableMap(p);
    int half = config.headDim() / 2;
    float[] cos = new float[config.maxSeqLen() * half];
    float[] sin = new float[config.maxSeqLen() * half];
    for (int pos = 0; pos < config.maxSeqLen(); pos++) {
      for (int i = 0; i < half; i++) {
        double invFreq = 1.0 / Math.pow(config.ropeTheta(), (2.0 * i) / config.headDim());
        double angle = pos * invFreq;
        cos[pos * half + i] = (float) Math.cos(angle);
        sin[pos * half + i] = (float) Math.sin(angle);
      }
    }
    this.cosTable = manager.create(cos, new Shape(config.maxSeqLen(), half));
    this.sinTable = manager.create(sin, new Shape(config.maxSeqLen(), half));
  }

  /** A freshly initialised model: N(0, 0.02) weights, residual outputs scaled by 1/sqrt(2L), unit norms. */
  public static LlamaModel initialize(ModelConfig config, long seed, NDManager parent, boolean trainable) {
    SplittableRandom rng = new SplittableRandom(seed);
    Map<String, float[]> w = new LinkedHashMap<>();
    double residualStd = 0.02 / Math.sqrt(2.0 * config.nLayers());
    for (Map.Entry<String, Shape> e : parameterShapes(config).entrySet()) {
      String name = e.getKey();
      float[] data = new float[Math.toIntExact(e.getValue().size())];
      if (name.endsWith("norm.weight")) {
        Arrays.fill(data, 1f);
      } else {
        double std = name.endsWith("o_proj.weight") || name.endsWith("down_proj.weight") ? residualStd : 0.02;
        for (int i = 0; i < data.length; i++) {
          data[i] = (float) (gaussian(rng) * std);
        }
      }
      w.put(name, data);
    }
    return new LlamaModel(config, parent, w, trainable);
  }

  /** A model holding the given weights (names and sizes must match {@link #parameterShapes}). */
  public static LlamaModel fromWeights(
      ModelConfig config, Map<String, float[]> weights, NDManager parent, boolean trainable) {
    return new LlamaModel(config, parent, weights, trainable);
  }

  private static double gaussian(SplittableRandom rng) {
    double u1 = rng.nextDouble();
    double u2 = rng.nextDouble();
    return Math.sqrt(-2 * Math.log(1 - u1)) * Math.cos(2 * Math.PI * u2);
  }

  /** Parameter names (Hugging Face Llama naming) and shapes, in a fixed order. */
  public static Map<String, Shape> parameterShapes(ModelConfig c) {
    Map<String, Shape> s = new LinkedHashMap<>();
    int kvDim = c.nKvHeads() * c.headDim();
    s.put("model.embed_tokens.weight", new Shape(c.vocabSize(), c.dim()));
    for (int l = 0; l < c.nLayers(); l++) {
      String p = "model.layers." + l + ".";
      s.put(p + "input_layernorm.weight", new Shape(c.dim()));
      s.put(p + "self_attn.q_proj.weight", new Shape(c.dim(), c.dim()));
      s.put(p + "self_attn.k_proj.weight", new Shape(kvDim, c.dim()));
      s.put(p + "self_attn.v_proj.weight", new Shape(kvDim, c.dim()));
      s.put(p + "self_attn.o_proj.weight", new Shape(c.dim(), c.dim()));
      s.put(p + "post_attention_layernorm.weight", new Shape(c.dim()));
      s.put(p + "mlp.gate_proj.weight", new Shape(c.hiddenDim(), c.dim()));
      s.put(p + "mlp.up_proj.weight", new Shape(c.hiddenDim(), c.dim()));
      s.put(p + "mlp.down_proj.weight", new Shape(c.dim(), c.hiddenDim()));
    }
    s.put("model.norm.weight", new Shape(c.dim()));
    if (!c.tiedEmbeddings()) {
      s.put("lm_head.weight", new Shape(c.vocabSize(), c.dim()));
    }
    return s;
  }

  public ModelConfig config() {
    return config;
  }

  public NDManager manager() {
    return manager;
  }

  public boolean trainable() {
    return trainable;
  }

  /** Parameters by name, in a fixed order. */
  public Map<String, NDArray> parameters() {
    return params;
  }

  /** Copies every weight out to Java arrays (for checkpoints and the parameter server). */
  public Map<String, float[]> exportWeights() {
    Map<String, float[]> out = new LinkedHashMap<>();
    params.forEach((name, a) -> out.put(name, a.toFloatArray()));
    return out;
  }

  /** Overwrites every weight in place; names and sizes must match this model. */
  public void loadWeights(Map<String, float[]> weights) {
    if (!weights.keySet().equals(params.keySet())) {
      List<String> missing = new ArrayList<>(params.keySet());
      missing.removeAll(weights.keySet());
      List<String> extra = new ArrayList<>(weights.keySet());
      extra.removeAll(params.keySet());
      throw new IllegalArgumentException("weights do not match model: missing " + missing + ", unexpected " + extra);
    }
    for (Map.Entry<String, NDArray> e : params.entrySet()) {
      float[] data = weights.get(e.getKey());
      if (data.length != e.getValue().getShape().size()) {
        throw new IllegalArgumentException(
            "tensor '" + e.getKey() + "' has " + data.length + " values, expected " + e.getValue().getShape());
      }
      e.getValue().set(data);
    }
  }

  /** A preallocated key/value cache for {@code batch} sequences of up to {@code capacity} slots. */
  public KvCache newCache(NDManager owner, int batch, int capacity) {
    if (capacity > config.maxSeqLen()) {
      throw new IllegalArgumentException(
          "cache capacity " + capacity + " exceeds model max sequence length " + config.maxSeqLen());
    }
    return new KvCache(owner, config.nLayers(), batch, config.nKvHeads(), capacity, config.headDim());
  }

  /**
   * Runs the transformer.
   *
   * @param tokens [B, T] int64 token ids
   * @param positions [B, T] int64 rotary positions
   * @param bias [B or 1, 1, T, S] float32 additive attention bias (0 = attend, {@link #MASKED} =
   *     masked) where S = T without cache, or {@code cacheStart + T} with one
   * @param cache key/value cache to write slots {@code [cacheStart, cacheStart + T)} of and attend
   *     over, or null
   * @param cacheStart first cache slot written by this call
   * @return [B, T, V] float32 logits, in the manager of {@code tokens}
   */
  public NDArray forward(NDArray tokens, NDArray positions, NDArray bias, KvCache cache, int cacheStart) {
    NDManager m = tokens.getManager();
    long b = tokens.getShape().get(0);
    long t = tokens.getShape().get(1);
    int hd = config.headDim();
    NDArray x = tokens.getNDArrayInternal()
        .embedding(tokens, params.get("model.embed_tokens.weight"), SparseFormat.DENSE).singletonOrThrow();
    NDArray cos = positions.getNDArrayInternal().embedding(positions, cosTable, SparseFormat.DENSE)
        .singletonOrThrow().expandDims(1); // [B,1,T,hd/2]
    NDArray sin = positions.getNDArrayInternal().embedding(positions, sinTable, SparseFormat.DENSE)
        .singletonOrThrow().expandDims(1);
    for (int l = 0; l < config.nLayers(); l++) {
      String p = "model.layers." + l + ".";
      NDArray h = rmsNorm(x, params.get(p + "input_layernorm.weight"));
      NDArray q = linear(h, params.get(p + "self_attn.q_proj.weight"))
          .reshape(b, t, config.nHeads(), hd).transpose(0, 2, 1, 3);
      NDArray k = linear(h, params.get(p + "self_attn.k_proj.weight"))
          .reshape(b, t, config.nKvHeads(), hd).transpose(0, 2, 1, 3);
      NDArray v = linear(h, params.get(p + "self_attn.v_proj.weight"))
          .reshape(b, t, config.nKvHeads(), hd).transpose(0, 2, 1, 3);
      q = rotate(q, cos, sin);
      k = rotate(k, cos, sin);
      if (cache != null) {
        cache.write(l, cacheStart, k, v);
        k = cache.keys(l, cacheStart + (int) t, m);
        v = cache.values(l, cacheStart + (int) t, m);
      }
      int rep = config.nHeads() / config.nKvHeads();
      if (rep > 1) {
        k = k.repeat(1, rep);
        v = v.repeat(1, rep);
      }
      NDArray scores = q.matMul(k.transpose(0, 1, 3, 2)).mul(1.0 / Math.sqrt(hd)).add(bias);
      NDArray attn = scores.softmax(-1).matMul(v).transpose(0, 2, 1, 3).reshape(b, t, config.dim());
      x = x.add(linear(attn, params.get(p + "self_attn.o_proj.weight")));
      h = rmsNorm(x, params.get(p + "post_attention_layernorm.weight"));
      NDArray gate = linear(h, params.get(p + "mlp.gate_proj.weight"));
      NDArray up = linear(h, params.get(p + "mlp.up_proj.weight"));
      NDArray act = gate.mul(gate.getNDArrayInternal().sigmoid()).mul(up);
      x = x.add(linear(act, params.get(p + "mlp.down_proj.weight")));
    }
    x = rmsNorm(x, params.get("model.norm.weight"));
    NDArray head = config.tiedEmbeddings() ? params.get("model.embed_tokens.weight") : params.get("lm_head.weight");
    NDArray logits = linear(x, head);
    if (logits.getManager() != m) {
      throw new IllegalStateException("activation escaped the caller's manager");
    }
    return logits;
  }

  /** Logits of the full sequences, positions 0..T-1, causal mask; rows are right-padded. */
  public NDArray forwardCausal(NDArray tokens) {
    NDManager m = tokens.getManager();
    long b = tokens.getShape().get(0);
    int t = Math.toIntExact(tokens.getShape().get(1));
    if (t > config.maxSeqLen()) {
      throw new IllegalArgumentException("sequence length " + t + " exceeds model max " + config.maxSeqLen());
    }
    long[] pos = new long[Math.toIntExact(b) * t];
    for (int i = 0; i < pos.length; i++) {
      pos[i] = i % t;
    }
    NDArray positions = m.create(pos, new Shape(b, t));
    return forward(tokens, positions, causalBias(m, t), null, 0);
  }

  /** [1, 1, T, T] additive bias: 0 on and below the diagonal, {@link #MASKED} above. */
  public static NDArray causalBias(NDManager m, int t) {
    float[] bias = new float[t * t];
    for (int i = 0; i < t; i++) {
      for (int j = i + 1; j < t; j++) {
        bias[i * t + j] = MASKED;
      }
    }
    return m.create(bias, new Shape(1, 1, t, t));
  }

  private NDArray rmsNorm(NDArray x, NDArray weight) {
    NDArray ms = x.square().mean(new int[] {-1}, true);
    return x.div(ms.add(config.normEps()).sqrt()).mul(weight);
  }

  private static NDArray linear(NDArray x, NDArray weight) {
    return x.getNDArrayInternal().linear(x, weight, null).singletonOrThrow();
  }

  /** Hugging Face rotate-half RoPE: [x1, x2] -> [x1 cos - x2 sin, x2 cos + x1 sin]. */
  private NDArray rotate(NDArray x, NDArray cos, NDArray sin) {
    int half = config.headDim() / 2;
    NDArray x1 = x.get(new NDIndex("..., :" + half));
    NDArray x2 = x.get(new NDIndex("..., " + half + ":"));
    return x1.mul(cos).sub(x2.mul(sin)).concat(x2.mul(cos).add(x1.mul(sin)), -1);
  }

  /** Token ids as an int64 [B, T] array, right-padded with {@code pad}. */
  public static NDArray tokenArray(NDManager m, int[][] rows, int width, int pad) {
    long[] flat = new long[rows.length * width];
    Arrays.fill(flat, pad);
    for (int i = 0; i < rows.length; i++) {
      for (int j = 0; j < rows[i].length && j < width; j++) {
        flat[i * width + j] = rows[i][j];
      }
    }
    return m.create(flat, new Shape(rows.length, width)).toType(DataType.INT64, false);
  }

  @Override
  public void close() {
    manager.close();
  }
}
