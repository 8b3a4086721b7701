package dev.rlft.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.rlft.model.LlamaModel;
import dev.rlft.model.LoraConfig;
import dev.rlft.model.ModelConfig;
import dev.rlft.model.NativeCompute;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * A PPO critic: a Llama-family backbone (usually started from the policy's SFT weights) with a
 * scalar value head, {@code V = w . h + b}, on the final hidden state {@code h} of every position.
 *
 * <p>{@link #values(NDArray)} is aligned like {@link dev.rlft.model.TokenLogProbs}: entry {@code
 * [b, j]} is the value of the state {@code tokens[b, 0..j]}, before token {@code j + 1} is emitted,
 * so it pairs with {@code logp[b, j]} and with a reward for emitting token {@code j + 1}.
 *
 * <p>The head, {@code value_head.weight} [1, dim] and {@code value_head.bias} [1], always takes
 * gradients; the backbone does when it was built trainable (all weights, or only its LoRA adapters).
 * The critic owns its backbone and head; {@link #close()} frees both. Not thread-safe.
 */
public final class ValueModel implements AutoCloseable {

  public static final String HEAD_WEIGHT = "value_head.weight";

  public static final String HEAD_BIAS = "value_head.bias";

  private static final String LM_HEAD = "lm_head.weight";

  private final LlamaModel backbone;
  private final NDManager manager;
  private final Map<String, NDArray> head;
  private final Map<String, NDArray> trainable;

  private ValueModel(LlamaModel backbone, Map<String, float[]> headWeights) {
    int dim = backbone.config().dim();
    float[] w = headWeights.get(HEAD_WEIGHT);
    float[] b = headWeights.get(HEAD_BIAS);
    if (w == null || b == null || headWeights.size() != 2) {
      throw new IllegalArgumentException("a value head is exactly " + HEAD_WEIGHT + " and " + HEAD_BIAS + ", got "
          + headWeights.keySet());
    }
    if (w.length != dim || b.length != 1) {
      throw new IllegalArgumentException("value head shapes must be [1, " + dim + "] and [1], got " + w.length
          + " and " + b.length + " values");
    }
    this.backbone = backbone;
    this.manager = backbone.manager().getParentManager().newSubManager();
    Map<String, NDArray> h = new LinkedHashMap<>();
    h.put(HEAD_WEIGHT, param(HEAD_WEIGHT, w, new Shape(1, dim)));
    h.put(HEAD_BIAS, param(HEAD_BIAS, b, new Shape(1)));
    this.head = Collections.unmodifiableMap(h);
    Map<String, NDArray> t = new LinkedHashMap<>();
    if (backbone.trainable()) {
      // The critic never reads the language-model head; leaving it out spares its optimizer state.
      backbone.trainableParameters().forEach((name, p) -> {
        if (!name.equals(LM_HEAD)) {
          t.put(name, p);
        }
      });
    }
    t.putAll(head);
    this.trainable = Collections.unmodifiableMap(t);
  }

  private NDArray param(String name, float[] data, Shape shape) {
    NDArray a = manager.create(data, shape);
    a.setName(name);
    a.setRequiresGradient(true);
    return a;
  }

  /**
   * Default standard deviation of the head weight, {@code 1 / (dim + 1)}, a common choice for
   * RLHF critics: values start near 0 (the hidden states are RMS-normed) while the backbone still
   * receives gradient from the first update.
   */
  public static float defaultHeadStd(int dim) {
    return 1f / (dim + 1);
  }

  /**
   * A critic on {@code backbone} (which it then owns) with a fresh head: weight N(0, headStd^2)
   * from {@code seed}, bias 0. {@code headStd = 0} gives a zero head (every value 0 at the start;
   * the backbone then receives no gradient until the head has moved).
   */
  public static ValueModel create(LlamaModel backbone, float headStd, long seed) {
    if (!(headStd >= 0) || Float.isInfinite(headStd)) {
      throw new IllegalArgumentException("value head std must be finite and >= 0, got " + headStd);
    }
    SplittableRandom rng = new SplittableRandom(seed);
    float[] w = new float[backbone.config().dim()];
    for (int i = 0; i < w.length && headStd > 0; i++) {
      w[i] = (float) (headStd * dev.rlft.model.Gaussian.next(rng));
    }
    Map<String, float[]> h = new LinkedHashMap<>();
    h.put(HEAD_WEIGHT, w);
    h.put(HEAD_BIAS, new float[1]);
    return withHead(backbone, h);
  }

  /** A critic on {@code backbone} (which it then owns) with the given head tensors ({@link #exportHead()}). */
  public static ValueModel withHead(LlamaModel backbone, Map<String, float[]> head) {
    return NativeCompute.run(() -> new ValueModel(backbone, head));
  }

  /**
   * A trainable critic started from {@code weights} (for example the policy's SFT weights): all
   * weights train when {@code lora} is null, otherwise fresh adapters from {@code seed} on the
   * frozen weights; the head is fresh with {@link #defaultHeadStd} from {@code seed}.
   */
  public static ValueModel fromWeights(
      ModelConfig config, Map<String, float[]> weights, LoraConfig lora, long seed, NDManager parent) {
    LlamaModel backbone = lora == null
        ? LlamaModel.fromWeights(config, weights, parent, true)
        : LlamaModel.withLora(config, weights, lora, null, seed, parent, true);
    try {
      return create(backbone, defaultHeadStd(config.dim()), seed);
    } catch (RuntimeException e) {
      backbone.close();
      throw e;
    }
  }

  /**
   * Values of every state of right-padded sequences: {@code [B, T-1]} float32 in the manager of
   * {@code tokens}, differentiable with respect to {@link #trainableParameters()} under a gradient
   * collector. Entries at padding are finite but meaningless. Call through {@link NativeCompute#run}.
   *
   * @param tokens {@code [B, T]} int64, each row starting with BOS, {@code T >= 2}
   */
  public NDArray values(NDArray tokens) {
    if (tokens.getShape().dimension() != 2 || tokens.getShape().get(1) < 2) {
      throw new IllegalArgumentException("tokens must be [B, T] with T >= 2, got shape " + tokens.getShape());
    }
    NDArray hidden = backbone.hiddenCausal(tokens).get(new NDIndex(":, :-1, :"));
    if (hidden.getDataType() != DataType.FLOAT32) {
      hidden = hidden.toType(DataType.FLOAT32, false);
    }
    NDArray v = hidden.getNDArrayInternal()
        .linear(hidden, head.get(HEAD_WEIGHT), head.get(HEAD_BIAS)).singletonOrThrow().squeeze(-1);
    if (v.getManager() != tokens.getManager()) {
      throw new IllegalStateException("critic activation escaped the caller's manager");
    }
    return v;
  }

  /**
   * What the critic's optimizer updates: the head, and the backbone's trainable parameters (all
   * weights but {@code lm_head.weight}, or the adapters) when the backbone is trainable. Names are
   * the backbone's and the head's, so they do not collide.
   */
  public Map<String, NDArray> trainableParameters() {
    return trainable;
  }

  /** The head tensors; they take gradients. */
  public Map<String, NDArray> headParameters() {
    return head;
  }

  /** The head tensors as Java arrays, for {@link #withHead} and checkpoints. */
  public Map<String, float[]> exportHead() {
    return NativeCompute.run(() -> {
      Map<String, float[]> out = new LinkedHashMap<>();
      head.forEach((name, a) -> out.put(name, a.toFloatArray()));
      return out;
    });
  }

  /**
   * The backbone's weights (merged, with adapters) and the head in one map, as {@link
   * #fromExport} reads them back and a checkpoint stores them; the names do not collide.
   */
  public Map<String, float[]> exportWeights() {
    Map<String, float[]> out = new LinkedHashMap<>(backbone.exportWeights());
    out.putAll(exportHead());
    return out;
  }

  /**
   * A critic from {@link #exportWeights()}: a full-weight backbone of shape {@code config},
   * trainable or frozen, and the saved head.
   *
   * @throws IllegalArgumentException when the head or a backbone tensor is missing or misshaped
   */
  public static ValueModel fromExport(ModelConfig config, Map<String, float[]> weights, NDManager parent,
      boolean trainable) {
    Map<String, float[]> backboneWeights = new LinkedHashMap<>(weights);
    Map<String, float[]> head = new LinkedHashMap<>();
    for (String name : new String[] {HEAD_WEIGHT, HEAD_BIAS}) {
      float[] t = backboneWeights.remove(name);
      if (t == null) {
        throw new IllegalArgumentException("critic weights lack " + name);
      }
      head.put(name, t);
    }
    LlamaModel backbone = LlamaModel.fromWeights(config, backboneWeights, parent, trainable);
    try {
      return withHead(backbone, head);
    } catch (RuntimeException e) {
      backbone.close();
      throw e;
    }
  }

  public LlamaModel backbone() {
    return backbone;
  }

  /** Training mode applies the backbone's adapter dropout; off by default. */
  public void setTraining(boolean training) {
    backbone.setTraining(training);
  }

  @Override
  public void close() {
    NativeCompute.run(() -> {
      manager.close();
      backbone.close();
    });
  }
}
