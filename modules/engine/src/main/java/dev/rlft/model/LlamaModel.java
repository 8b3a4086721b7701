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

  /** Masked bias in float16, whose largest magnitude is 65504. */
  private static final float MASKED_FP16 = -3e4f;

  private final ModelConfig config;
  private final NDManager manager;
  private final Map<String, NDArray> params;
  private final Map<String, NDArray> adapters;
  private final LoraConfig lora;
  private final DataType dtype;
  private final NDArray cosTable;
  private final NDArray sinTable;
  private final boolean trainable;
  private boolean adaptersEnabled = true;
  private boolean training;

  private LlamaModel(ModelConfig config, NDManager parent, Map<String, float[]> weights, boolean trainable,
      DataType dtype, LoraConfig lora, Map<String, float[]> adapterWeights, long adapterSeed) {
    if (dtype == DataType.BFLOAT16) {
      // Reproduced with DJL 0.33 / PyTorch 2.5.1 on CPU: creating or casting to a bfloat16 NDArray
      // aborts the JVM ("terminate called without an active exception"); refuse instead of dying.
      throw new IllegalArgumentException("bfloat16 is not usable through DJL 0.33's PyTorch binding (it aborts the "
          + "process); use float16 or float32");
    }
    if (dtype != DataType.FLOAT32 && dtype != DataType.FLOAT16) {
      throw new IllegalArgumentException("model dtype must be float32 or float16, got " + dtype);
    }
    if (trainable && dtype != DataType.FLOAT32) {
      throw new IllegalArgumentException("a trainable model keeps float32 weights (mixed-precision training is not "
          + "implemented); use " + dtype + " for rollout, reference and reward models");
    }
    this.config = config;
    this.manager = parent.newSubManager();
    this.trainable = trainable;
    this.dtype = dtype;
    this.lora = lora;
    try {
      this.params = Collections.unmodifiableMap(
          createAll(parameterShapes(config), weights, trainable && lora == null, "tensor"));
      if (lora != null) {
        Map<String, float[]> a = adapterWeights != null ? adapterWeights : initialAdapters(config, lora, adapterSeed);
        this.adapters = Collections.unmodifiableMap(createAll(adapterShapes(config, lora), a, trainable, "adapter"));
      } else {
        if (adapterWeights != null && !adapterWeights.isEmpty()) {
          throw new IllegalArgumentException("adapter weights given without a LoRA config");
        }
        this.adapters = Map.of();
      }
    } catch (RuntimeException e) {
      manager.close();
      throw e;
    }
    int half = config.headDim() / 2;
    double[] inv = config.ropeScaling().inverseFrequencies(config.ropeTheta(), config.headDim());
    float[] cos = new float[config.maxSeqLen() * half];
    float[] sin = new float[config.maxSeqLen() * half];
    for (int pos = 0; pos < config.maxSeqLen(); pos++) {
      for (int i = 0; i < half; i++) {
        // transformers computes the angle in float32: (float) pos * (float) invFreq
        float angle = (float) pos * (float) inv[i];
        cos[pos * half + i] = (float) Math.cos(angle);
        sin[pos * half + i] = (float) Math.sin(angle);
      }
    }
    this.cosTable = cast(manager.create(cos, new Shape(config.maxSeqLen(), half)));
    this.sinTable = cast(manager.create(sin, new Shape(config.maxSeqLen(), half)));
  }

  private Map<String, NDArray> createAll(
      Map<String, Shape> shapes, Map<String, float[]> data, boolean requiresGrad, String what) {
    for (String name : data.keySet()) {
      if (!shapes.containsKey(name)) {
        throw new IllegalArgumentException("unexpected " + what + " '" + name + "' for this model config");
      }
    }
    Map<String, NDArray> p = new LinkedHashMap<>();
    for (Map.Entry<String, Shape> e : shapes.entrySet()) {
      float[] values = data.get(e.getKey());
      if (values == null) {
        throw new IllegalArgumentException("missing " + what + " '" + e.getKey() + "'");
      }
      if (values.length != e.getValue().size()) {
        throw new IllegalArgumentException(
            what + " '" + e.getKey() + "' has " + values.length + " values, expected shape " + e.getValue());
      }
      NDArray a = cast(manager.create(values, e.getValue()));
      a.setName(e.getKey());
      if (requiresGrad) {
        a.setRequiresGradient(true);
      }
      p.put(e.getKey(), a);
    }
    return p;
  }

  private NDArray cast(NDArray a) {
    if (dtype == DataType.FLOAT32) {
      return a;
    }
    NDArray c = a.toType(dtype, false);
    a.close();
    return c;
  }

  /** A freshly initialised model: N(0, 0.02) weights, residual outputs scaled by 1/sqrt(2L), unit norms, zero biases. */
  public static LlamaModel initialize(ModelConfig config, long seed, NDManager parent, boolean trainable) {
    SplittableRandom rng = new SplittableRandom(seed);
    Map<String, float[]> w = new LinkedHashMap<>();
    double residualStd = 0.02 / Math.sqrt(2.0 * config.nLayers());
    for (Map.Entry<String, Shape> e : parameterShapes(config).entrySet()) {
      String name = e.getKey();
      float[] data = new float[Math.toIntExact(e.getValue().size())];
      if (name.endsWith("norm.weight")) {
        Arrays.fill(data, 1f);
      } else if (!name.endsWith(".bias")) {
        double std = name.endsWith("o_proj.weight") || name.endsWith("down_proj.weight") ? residualStd : 0.02;
        for (int i = 0; i < data.length; i++) {
          data[i] = (float) (Gaussian.next(rng) * std);
        }
      }
      w.put(name, data);
    }
    return NativeCompute.run(() -> new LlamaModel(config, parent, w, trainable, DataType.FLOAT32, null, null, 0));
  }

  /** A model holding the given weights (names and sizes must match {@link #parameterShapes}). */
  public static LlamaModel fromWeights(
      ModelConfig config, Map<String, float[]> weights, NDManager parent, boolean trainable) {
    return NativeCompute.run(
        () -> new LlamaModel(config, parent, weights, trainable, DataType.FLOAT32, null, null, 0));
  }

  /** As {@link #fromWeights(ModelConfig, Map, NDManager, boolean)} in another floating-point type (inference only). */
  public static LlamaModel fromWeights(
      ModelConfig config, Map<String, float[]> weights, NDManager parent, boolean trainable, DataType dtype) {
    return NativeCompute.run(() -> new LlamaModel(config, parent, weights, trainable, dtype, null, null, 0));
  }

  /**
   * A model with low-rank adapters on the projections {@code lora} targets. The base weights are
   * frozen; when {@code trainable}, only the adapters take gradients.
   *
   * @param adapterWeights adapters to start from (names from {@link #adapterShapes}), or null for
   *     fresh ones: A uniform in +-1/sqrt(in) from {@code seed}, B zero, so the model starts equal to its base
   */
  public static LlamaModel withLora(ModelConfig config, Map<String, float[]> baseWeights, LoraConfig lora,
      Map<String, float[]> adapterWeights, long seed, NDManager parent, boolean trainable) {
    if (lora == null) {
      throw new IllegalArgumentException("withLora needs a LoRA config");
    }
    return NativeCompute.run(
        () -> new LlamaModel(config, parent, baseWeights, trainable, DataType.FLOAT32, lora, adapterWeights, seed));
  }

  private static Map<String, float[]> initialAdapters(ModelConfig config, LoraConfig lora, long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    Map<String, float[]> a = new LinkedHashMap<>();
    for (Map.Entry<String, Shape> e : adapterShapes(config, lora).entrySet()) {
      float[] data = new float[Math.toIntExact(e.getValue().size())];
      if (e.getKey().endsWith("lora_A.weight")) {
        double bound = 1.0 / Math.sqrt(e.getValue().get(1)); // PEFT: kaiming_uniform(a=sqrt(5))
        for (int i = 0; i < data.length; i++) {
          data[i] = (float) ((rng.nextDouble() * 2 - 1) * bound);
        }
      }
      a.put(e.getKey(), data);
    }
    return a;
  }

  /** Parameter names (Hugging Face naming, shared by Llama, Qwen2 and Mistral) and shapes, in a fixed order. */
  public static Map<String, Shape> parameterShapes(ModelConfig c) {
    Map<String, Shape> s = new LinkedHashMap<>();
    s.put("model.embed_tokens.weight", new Shape(c.vocabSize(), c.dim()));
    for (int l = 0; l < c.nLayers(); l++) {
      String p = "model.layers." + l + ".";
      s.put(p + "input_layernorm.weight", new Shape(c.dim()));
      s.put(p + "self_attn.q_proj.weight", new Shape(c.qDim(), c.dim()));
      s.put(p + "self_attn.k_proj.weight", new Shape(c.kvDim(), c.dim()));
      s.put(p + "self_attn.v_proj.weight", new Shape(c.kvDim(), c.dim()));
      if (c.qkvBias()) {
        s.put(p + "self_attn.q_proj.bias", new Shape(c.qDim()));
        s.put(p + "self_attn.k_proj.bias", new Shape(c.kvDim()));
        s.put(p + "self_attn.v_proj.bias", new Shape(c.kvDim()));
      }
      s.put(p + "self_attn.o_proj.weight", new Shape(c.dim(), c.qDim()));
      if (c.outputBias()) {
        s.put(p + "self_attn.o_proj.bias", new Shape(c.dim()));
      }
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

  /** Adapter names (PEFT naming: {@code <base>.lora_A.weight}, {@code <base>.lora_B.weight}) and shapes. */
  public static Map<String, Shape> adapterShapes(ModelConfig c, LoraConfig lora) {
    Map<String, Shape> s = new LinkedHashMap<>();
    for (Map.Entry<String, Shape> e : parameterShapes(c).entrySet()) {
      String name = e.getKey();
      if (name.startsWith("model.layers.") && lora.targets(name)) {
        long out = e.getValue().get(0);
        long in = e.getValue().get(1);
        s.put(LoraConfig.aName(name), new Shape(lora.rank(), in));
        s.put(LoraConfig.bName(name), new Shape(out, lora.rank()));
      }
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

  public DataType dtype() {
    return dtype;
  }

  /** The adapter settings, or null for a model without adapters. */
  public LoraConfig lora() {
    return lora;
  }

  /** Base parameters by name, in a fixed order (frozen when the model has adapters). */
  public Map<String, NDArray> parameters() {
    return params;
  }

  /** Adapter matrices by name; empty without LoRA. */
  public Map<String, NDArray> adapters() {
    return adapters;
  }

  /** What an optimizer updates: the adapters when there are any, else every parameter. */
  public Map<String, NDArray> trainableParameters() {
    return lora != null ? adapters : params;
  }

  /**
   * Turns the adapters on or off; off, the model computes its frozen base (the reference policy of
   * a LoRA run, without a second copy of the weights).
   */
  public void setAdaptersEnabled(boolean enabled) {
    this.adaptersEnabled = enabled;
  }

  public boolean adaptersEnabled() {
    return adaptersEnabled;
  }

  /** Training mode applies adapter dropout; it is off by default (sampling, scoring). */
  public void setTraining(boolean training) {
    this.training = training;
  }

  /**
   * Copies every weight out to Java float32 arrays under the base names (for checkpoints, the
   * parameter server and Hugging Face export). With adapters the result is merged:
   * {@code W + (alpha / r) B A}, which a model without adapters reproduces exactly.
   */
  public Map<String, float[]> exportWeights() {
    return NativeCompute.run(this::exportWeightsLocked);
  }

  private Map<String, float[]> exportWeightsLocked() {
    Map<String, float[]> out = new LinkedHashMap<>();
    try (NDManager tmp = manager.newSubManager()) {
      for (Map.Entry<String, NDArray> e : params.entrySet()) {
        NDArray w = e.getValue();
        if (lora != null && adapters.containsKey(LoraConfig.aName(e.getKey()))) {
          NDArray a = adapters.get(LoraConfig.aName(e.getKey()));
          NDArray b = adapters.get(LoraConfig.bName(e.getKey()));
          NDArray delta = Scalars.mul(b.matMul(a), lora.scale());
          delta.attach(tmp);
          NDArray merged = w.add(delta);
          merged.attach(tmp);
          out.put(e.getKey(), toFloats(merged));
        } else {
          out.put(e.getKey(), toFloats(w));
        }
      }
    }
    return out;
  }

  /** The frozen base weights, unmerged (same as {@link #exportWeights} without adapters). */
  public Map<String, float[]> exportBaseWeights() {
    return NativeCompute.run(() -> {
      Map<String, float[]> out = new LinkedHashMap<>();
      params.forEach((name, a) -> out.put(name, toFloats(a)));
      return out;
    });
  }

  /** The adapter matrices as Java arrays (what a LoRA weight sync moves); empty without LoRA. */
  public Map<String, float[]> exportAdapters() {
    return NativeCompute.run(() -> {
      Map<String, float[]> out = new LinkedHashMap<>();
      adapters.forEach((name, a) -> out.put(name, toFloats(a)));
      return out;
    });
  }

  private static float[] toFloats(NDArray a) {
    if (a.getDataType() == DataType.FLOAT32) {
      return a.toFloatArray();
    }
    try (NDArray f = a.toType(DataType.FLOAT32, false)) {
      return f.toFloatArray();
    }
  }

  /** Overwrites every base weight in place; names and sizes must match this model. */
  public void loadWeights(Map<String, float[]> weights) {
    overwrite(params, weights, "weights");
  }

  /** Overwrites every adapter in place; names and sizes must match {@link #adapterShapes}. */
  public void loadAdapters(Map<String, float[]> weights) {
    if (lora == null) {
      throw new IllegalStateException("this model has no adapters");
    }
    overwrite(adapters, weights, "adapters");
  }

  /**
   * Overwrites some tensors in place, base weights and adapters alike, leaving the others as they
   * are (a weight sync that moved only what changed). Every name must be one of this model's
   * weights or adapters, with its number of values.
   */
  public void loadTensors(Map<String, float[]> tensors) {
    List<String> unknown = new ArrayList<>();
    for (Map.Entry<String, float[]> e : tensors.entrySet()) {
      NDArray t = params.containsKey(e.getKey()) ? params.get(e.getKey()) : adapters.get(e.getKey());
      if (t == null) {
        unknown.add(e.getKey());
      } else if (e.getValue().length != t.getShape().size()) {
        throw new IllegalArgumentException(
            "tensor '" + e.getKey() + "' has " + e.getValue().length + " values, expected " + t.getShape());
      }
    }
    if (!unknown.isEmpty()) {
      throw new IllegalArgumentException("tensors not in this model: " + unknown);
    }
    NativeCompute.run(() -> {
      for (Map.Entry<String, float[]> e : tensors.entrySet()) {
        NDArray t = params.containsKey(e.getKey()) ? params.get(e.getKey()) : adapters.get(e.getKey());
        write(t, e.getValue());
      }
    });
  }

  private void overwrite(Map<String, NDArray> target, Map<String, float[]> weights, String what) {
    NativeCompute.run(() -> overwriteLocked(target, weights, what));
  }

  private void overwriteLocked(Map<String, NDArray> target, Map<String, float[]> weights, String what) {
    if (!weights.keySet().equals(target.keySet())) {
      List<String> missing = new ArrayList<>(target.keySet());
      missing.removeAll(weights.keySet());
      List<String> extra = new ArrayList<>(weights.keySet());
      extra.removeAll(target.keySet());
      throw new IllegalArgumentException(what + " do not match model: missing " + missing + ", unexpected " + extra);
    }
    for (Map.Entry<String, NDArray> e : target.entrySet()) {
      float[] data = weights.get(e.getKey());
      if (data.length != e.getValue().getShape().size()) {
        throw new IllegalArgumentException(
            "tensor '" + e.getKey() + "' has " + data.length + " values, expected " + e.getValue().getShape());
      }
      write(e.getValue(), data);
    }
  }

  private void write(NDArray target, float[] data) {
    if (dtype == DataType.FLOAT32) {
      target.set(data);
    } else {
      try (NDArray f = manager.create(data, target.getShape()); NDArray c = f.toType(dtype, false)) {
        c.copyTo(target);
      }
    }
  }

  /** A preallocated key/value cache for {@code batch} sequences of up to {@code capacity} slots. */
  public KvCache newCache(NDManager owner, int batch, int capacity) {
    if (capacity > config.maxSeqLen()) {
      throw new IllegalArgumentException(
          "cache capacity " + capacity + " exceeds model max sequence length " + config.maxSeqLen());
    }
    return new KvCache(owner, config.nLayers(), batch, config.nKvHeads(), capacity, config.headDim(), dtype);
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
    NDArray x = hiddenStates(tokens, positions, bias, cache, cacheStart);
    NDArray head = config.tiedEmbeddings() ? params.get("model.embed_tokens.weight") : params.get("lm_head.weight");
    NDArray logits = linear(x, head);
    if (dtype != DataType.FLOAT32) {
      logits = logits.toType(DataType.FLOAT32, false);
    }
    if (logits.getManager() != m) {
      throw new IllegalStateException("activation escaped the caller's manager");
    }
    return logits;
  }

  /**
   * The final (normed) hidden states [B, T, dim] that the output head reads; arguments as {@link
   * #forward}. Scalar heads (a process reward model's score, a PPO critic) read these.
   */
  public NDArray hiddenStates(NDArray tokens, NDArray positions, NDArray bias, KvCache cache, int cacheStart) {
    NDManager m = tokens.getManager();
    long b = tokens.getShape().get(0);
    long t = tokens.getShape().get(1);
    int hd = config.headDim();
    long span = (cache != null ? cacheStart : 0) + t;
    if (config.slidingWindow() > 0 && span > config.slidingWindow()) {
      throw new IllegalArgumentException("sequence of " + span + " tokens exceeds the model's sliding_window "
          + config.slidingWindow() + "; sliding-window attention is not implemented");
    }
    if (dtype != DataType.FLOAT32) {
      bias = (dtype == DataType.FLOAT16 ? bias.maximum(MASKED_FP16) : bias).toType(dtype, false);
    }
    NDArray x = tokens.getNDArrayInternal()
        .embedding(tokens, params.get("model.embed_tokens.weight"), SparseFormat.DENSE).singletonOrThrow();
    NDArray cos = positions.getNDArrayInternal().embedding(positions, cosTable, SparseFormat.DENSE)
        .singletonOrThrow().expandDims(1); // [B,1,T,hd/2]
    NDArray sin = positions.getNDArrayInternal().embedding(positions, sinTable, SparseFormat.DENSE)
        .singletonOrThrow().expandDims(1);
    for (int l = 0; l < config.nLayers(); l++) {
      String p = "model.layers." + l + ".";
      NDArray h = rmsNorm(x, params.get(p + "input_layernorm.weight"));
      NDArray q = project(h, p + "self_attn.q_proj").reshape(b, t, config.nHeads(), hd).transpose(0, 2, 1, 3);
      NDArray k = project(h, p + "self_attn.k_proj").reshape(b, t, config.nKvHeads(), hd).transpose(0, 2, 1, 3);
      NDArray v = project(h, p + "self_attn.v_proj").reshape(b, t, config.nKvHeads(), hd).transpose(0, 2, 1, 3);
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
      NDArray scores = Scalars.mul(q.matMul(k.transpose(0, 1, 3, 2)), 1.0 / Math.sqrt(hd)).add(bias);
      NDArray attn = scores.softmax(-1).matMul(v).transpose(0, 2, 1, 3).reshape(b, t, config.qDim());
      x = x.add(project(attn, p + "self_attn.o_proj"));
      h = rmsNorm(x, params.get(p + "post_attention_layernorm.weight"));
      NDArray gate = project(h, p + "mlp.gate_proj");
      NDArray up = project(h, p + "mlp.up_proj");
      NDArray act = gate.mul(gate.getNDArrayInternal().sigmoid()).mul(up);
      x = x.add(project(act, p + "mlp.down_proj"));
    }
    return rmsNorm(x, params.get("model.norm.weight"));
  }

  /** Final hidden states [B, T, dim] of the full sequences, as {@link #forwardCausal}. */
  public NDArray hiddenCausal(NDArray tokens) {
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
    return hiddenStates(tokens, m.create(pos, new Shape(b, t)), causalBias(m, t), null, 0);
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

  /** {@code x W^T (+ b)} for the projection {@code module}, plus its adapter's {@code (alpha/r) x A^T B^T} when enabled. */
  private NDArray project(NDArray x, String module) {
    NDArray y = x.getNDArrayInternal()
        .linear(x, params.get(module + ".weight"), params.get(module + ".bias")).singletonOrThrow();
    NDArray a = adapters.get(module + ".lora_A.weight");
    if (a == null || !adaptersEnabled) {
      return y;
    }
    NDArray in = x;
    if (training && lora.dropout() > 0) {
      in = x.getNDArrayInternal().dropout(x, lora.dropout(), true).singletonOrThrow();
    }
    NDArray low = linear(in, a);
    return y.add(Scalars.mul(linear(low, adapters.get(module + ".lora_B.weight")), lora.scale()));
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
    NativeCompute.run(manager::close);
  }
}
