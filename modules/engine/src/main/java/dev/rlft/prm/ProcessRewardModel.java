package dev.rlft.prm;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import dev.rlft.checkpoint.Checkpoint;
import dev.rlft.model.HuggingFaceFolder;
import dev.rlft.model.LlamaModel;
import dev.rlft.model.NativeCompute;
import dev.rlft.model.Tokenizer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * A process reward model: a Llama-family transformer with its own weights and tokenizer that gives
 * every step of a solution a score in [0, 1], the estimated probability that the solution is still
 * on track to the right answer after that step.
 *
 * <p>The score is read at each step's end position ({@link StepEncoder}) from either a scalar
 * head on the final hidden states ({@link PrmConfig.HeadKind#SCALAR}, weights {@code score.weight}
 * [1, dim] and {@code score.bias} [1]) or two vocabulary logits of the language-model head ({@link
 * PrmConfig.HeadKind#LM_TOKENS}). Both reduce to {@code sigmoid(logit)} of one logit per step,
 * which {@link #stepLogits(NDArray, int[][], boolean)} computes differentiably for training.
 *
 * <p>The PRM owns its backbone and head; {@link #close()} frees both. Native work goes through
 * {@link NativeCompute#run}. Not thread-safe.
 */
public final class ProcessRewardModel implements AutoCloseable, StepScorer {

  /** Name prefix of the scalar head's tensors in a checkpoint. */
  public static final String HEAD_PREFIX = "score.";

  public static final String HEAD_WEIGHT = HEAD_PREFIX + "weight";

  public static final String HEAD_BIAS = HEAD_PREFIX + "bias";

  /** Default cap on padded tokens (rows x longest row) per scoring forward pass. */
  public static final int DEFAULT_BATCH_TOKENS = 8192;

  /** Checkpoint phase of a saved PRM. */
  public static final String PHASE = "prm";

  private final LlamaModel backbone;
  private final Tokenizer tokenizer;
  private final PrmConfig config;
  private final NDManager manager;
  private final Map<String, NDArray> head;

  private ProcessRewardModel(LlamaModel backbone, Tokenizer tokenizer, PrmConfig config, Map<String, float[]> head) {
    config.checkVocabulary(backbone.config().vocabSize());
    if (tokenizer.vocabSize() > backbone.config().vocabSize()) {
      throw new IllegalArgumentException("the tokenizer has " + tokenizer.vocabSize()
          + " ids but the PRM backbone only " + backbone.config().vocabSize());
    }
    this.backbone = backbone;
    this.tokenizer = tokenizer;
    this.config = config;
    this.manager = backbone.manager().getParentManager().newSubManager();
    Map<String, NDArray> h = new LinkedHashMap<>();
    if (config.head() == PrmConfig.HeadKind.SCALAR) {
      int dim = backbone.config().dim();
      float[] w = head.get(HEAD_WEIGHT);
      float[] b = head.get(HEAD_BIAS);
      if (w == null || b == null || head.size() != 2) {
        manager.close();
        throw new IllegalArgumentException("a SCALAR PRM head is exactly " + HEAD_WEIGHT + " and " + HEAD_BIAS
            + ", got " + head.keySet());
      }
      if (w.length != dim || b.length != 1) {
        manager.close();
        throw new IllegalArgumentException("PRM head shapes must be [1, " + dim + "] and [1], got " + w.length
            + " and " + b.length + " values");
      }
      h.put(HEAD_WEIGHT, param(HEAD_WEIGHT, w, new Shape(1, dim)));
      h.put(HEAD_BIAS, param(HEAD_BIAS, b, new Shape(1)));
    } else if (!head.isEmpty()) {
      manager.close();
      throw new IllegalArgumentException("an LM_TOKENS PRM reads the language-model head and has no " + HEAD_PREFIX
          + "* tensors, got " + head.keySet());
    }
    this.head = Collections.unmodifiableMap(h);
  }

  private NDArray param(String name, float[] data, Shape shape) {
    NDArray a = manager.create(data, shape);
    a.setName(name);
    a.setRequiresGradient(true);
    return a;
  }

  /**
   * A PRM on {@code backbone} (which it then owns) with a fresh head for {@link
   * PrmConfig.HeadKind#SCALAR}: weight N(0, 0.02) from {@code seed}, bias 0.
   */
  public static ProcessRewardModel create(LlamaModel backbone, Tokenizer tokenizer, PrmConfig config, long seed) {
    Map<String, float[]> head = new LinkedHashMap<>();
    if (config.head() == PrmConfig.HeadKind.SCALAR) {
      SplittableRandom rng = new SplittableRandom(seed);
      float[] w = new float[backbone.config().dim()];
      for (int i = 0; i < w.length; i++) {
        w[i] = (float) (0.02 * dev.rlft.model.Gaussian.next(rng));
      }
      head.put(HEAD_WEIGHT, w);
      head.put(HEAD_BIAS, new float[1]);
    }
    return withHead(backbone, tokenizer, config, head);
  }

  /** A PRM on {@code backbone} (which it then owns) with the given {@code score.*} tensors (none for LM_TOKENS). */
  public static ProcessRewardModel withHead(
      LlamaModel backbone, Tokenizer tokenizer, PrmConfig config, Map<String, float[]> head) {
    return NativeCompute.run(() -> new ProcessRewardModel(backbone, tokenizer, config, head));
  }

  /**
   * A Hugging Face causal-LM folder used as an {@link PrmConfig.HeadKind#LM_TOKENS} PRM (for
   * example Math-Shepherd's, a Mistral model), frozen, in {@code dtype} (float32 or float16).
   */
  public static ProcessRewardModel fromHuggingFace(Path folder, PrmConfig config, NDManager parent, DataType dtype)
      throws IOException {
    if (config.head() != PrmConfig.HeadKind.LM_TOKENS) {
      throw new IllegalArgumentException("a Hugging Face causal LM has no scalar head; use an LM_TOKENS PRM config");
    }
    HuggingFaceFolder.Pretrained p = HuggingFaceFolder.read(folder);
    if (p.tokenizer() == null) {
      throw new IOException(folder + ": a PRM folder needs a tokenizer (tokenizer.json, tokenizer.model or "
          + "vocab.json + merges.txt)");
    }
    LlamaModel backbone = LlamaModel.fromWeights(p.config(), p.weights(), parent, false, dtype);
    try {
      return withHead(backbone, p.tokenizer(), config, Map.of());
    } catch (RuntimeException e) {
      backbone.close();
      throw e;
    }
  }

  /** Reads a PRM saved by {@link #save}; {@code trainable} makes the backbone (or its adapters) take gradients. */
  public static ProcessRewardModel load(Path dir, NDManager parent, boolean trainable) throws IOException {
    Checkpoint c = Checkpoint.load(dir);
    try {
      return fromCheckpoint(c, parent, trainable);
    } catch (IllegalArgumentException e) {
      throw new IOException(dir + ": not a usable PRM checkpoint: " + e.getMessage(), e);
    }
  }

  /** The PRM a checkpoint holds: backbone weights, {@code score.*} head tensors and {@code prm.*} metadata. */
  public static ProcessRewardModel fromCheckpoint(Checkpoint c, NDManager parent, boolean trainable) {
    if (!c.metadata().containsKey(PrmConfig.KEY_HEAD)) {
      throw new IllegalArgumentException("checkpoint has no '" + PrmConfig.KEY_HEAD + "' metadata: not a PRM");
    }
    PrmConfig config = PrmConfig.fromMetadata(c.metadata());
    Map<String, float[]> base = new LinkedHashMap<>();
    Map<String, float[]> head = new LinkedHashMap<>();
    c.weights().forEach((name, w) -> (name.startsWith(HEAD_PREFIX) ? head : base).put(name, w));
    LlamaModel backbone = c.lora() != null
        ? LlamaModel.withLora(c.model(), base, c.lora(), c.adapters(), 0, parent, trainable)
        : LlamaModel.fromWeights(c.model(), base, parent, trainable);
    try {
      return withHead(backbone, c.tokenizer(), config, head);
    } catch (RuntimeException e) {
      backbone.close();
      throw e;
    }
  }

  /**
   * This PRM as a checkpoint: backbone weights (the frozen base with LoRA, adapters beside), head
   * tensors under {@code score.*}, settings as {@code prm.*} metadata, phase {@value #PHASE}.
   *
   * @param optimizerState moments of what was trained ({@link PrmTrainer#optimizerState()}), or empty
   */
  public Checkpoint toCheckpoint(Map<String, float[]> optimizerState, long optimizerSteps) {
    Map<String, float[]> weights = new LinkedHashMap<>(
        backbone.lora() != null ? backbone.exportBaseWeights() : backbone.exportWeights());
    weights.putAll(exportHead());
    return new Checkpoint(backbone.config(), tokenizer, weights, optimizerState, optimizerSteps, 0, PHASE,
        config.toMetadata(), backbone.lora(), backbone.lora() != null ? backbone.exportAdapters() : Map.of());
  }

  /** Writes {@link #toCheckpoint} without optimizer state to {@code dir}, atomically. */
  public void save(Path dir) throws IOException {
    toCheckpoint(Map.of(), 0).save(dir);
  }

  /** The head tensors as Java arrays ({@code score.weight}, {@code score.bias}); empty for LM_TOKENS. */
  public Map<String, float[]> exportHead() {
    return NativeCompute.run(() -> {
      Map<String, float[]> out = new LinkedHashMap<>();
      head.forEach((name, a) -> out.put(name, a.toFloatArray()));
      return out;
    });
  }

  /** The scalar head's parameters (take gradients); empty for LM_TOKENS. */
  public Map<String, NDArray> headParameters() {
    return head;
  }

  public LlamaModel backbone() {
    return backbone;
  }

  public Tokenizer tokenizer() {
    return tokenizer;
  }

  public PrmConfig config() {
    return config;
  }

  /** {@link StepEncoder#encode} with this PRM's tokenizer and settings. */
  public StepEncoder.Encoded encode(StepSolution solution) {
    return StepEncoder.encode(tokenizer, config, solution);
  }

  /** Step scores in [0, 1], one array per solution in order (empty for a solution without steps). */
  @Override
  public float[][] score(List<StepSolution> solutions) {
    return score(solutions, DEFAULT_BATCH_TOKENS);
  }

  /** As {@link #score(List)}, with at most {@code maxBatchTokens} padded tokens per forward pass (at least one row). */
  public float[][] score(List<StepSolution> solutions, int maxBatchTokens) {
    float[][] logits = stepLogits(solutions, maxBatchTokens);
    for (float[] row : logits) {
      for (int i = 0; i < row.length; i++) {
        row[i] = sigmoid(row[i]);
      }
    }
    return logits;
  }

  /** {@code 1 / (1 + exp(-x))} in double, rounded to float. */
  static float sigmoid(float x) {
    return (float) (1.0 / (1.0 + Math.exp(-(double) x)));
  }

  /**
   * Step logits (scores before the sigmoid), one array per solution, computed in batches of
   * similar length without gradients.
   */
  public float[][] stepLogits(List<StepSolution> solutions, int maxBatchTokens) {
    if (maxBatchTokens < 1) {
      throw new IllegalArgumentException("max batch tokens must be >= 1, got " + maxBatchTokens);
    }
    List<StepEncoder.Encoded> encoded = new ArrayList<>(solutions.size());
    for (int i = 0; i < solutions.size(); i++) {
      encoded.add(encodeChecked(solutions.get(i), i));
    }
    float[][] out = new float[solutions.size()][];
    int[] length = new int[solutions.size()];
    List<Integer> order = new ArrayList<>();
    for (int i = 0; i < encoded.size(); i++) {
      int steps = encoded.get(i).stepEnds().length;
      out[i] = new float[steps];
      length[i] = encoded.get(i).tokens().length;
      if (steps > 0) {
        order.add(i);
      }
    }
    // longest first, so each batch's width is its first row's length
    order.sort(Comparator.comparingInt((Integer i) -> -length[i]).thenComparingInt(i -> i));
    int from = 0;
    while (from < order.size()) {
      int width = length[order.get(from)];
      int to = from + 1;
      while (to < order.size() && (long) (to - from + 1) * width <= maxBatchTokens) {
        to++;
      }
      List<Integer> chunk = order.subList(from, to);
      int[][] rows = new int[chunk.size()][];
      int[][] ends = new int[chunk.size()][];
      for (int r = 0; r < rows.length; r++) {
        rows[r] = encoded.get(chunk.get(r)).tokens();
        ends[r] = encoded.get(chunk.get(r)).stepEnds();
      }
      float[] flat = NativeCompute.run(() -> {
        try (NDManager scope = manager.newSubManager()) {
          NDArray tokens = LlamaModel.tokenArray(scope, rows, width, padId());
          return stepLogits(tokens, ends, false).toFloatArray();
        }
      });
      int n = 0;
      for (int r = 0; r < rows.length; r++) {
        float[] dst = out[chunk.get(r)];
        System.arraycopy(flat, n, dst, 0, dst.length);
        n += dst.length;
      }
      from = to;
    }
    return out;
  }

  /** Encodes and checks the length against the backbone's maximum. */
  StepEncoder.Encoded encodeChecked(StepSolution solution, int index) {
    StepEncoder.Encoded e = encode(solution);
    int max = backbone.config().maxSeqLen();
    if (e.tokens().length > max) {
      throw new IllegalArgumentException("solution " + index + " is " + e.tokens().length
          + " PRM tokens, over the PRM's max sequence length " + max);
    }
    return e;
  }

  /** Id that right-pads rows; never read, as causal attention keeps real tokens from seeing it. */
  int padId() {
    return Math.max(0, tokenizer.padId());
  }

  /**
   * Differentiable step logits of a right-padded batch.
   *
   * <p>SCALAR: {@code x = w . h + b}; LM_TOKENS: {@code x = (W[good] - W[bad]) . h =
   * logit[good] - logit[bad]}, so {@code sigmoid(x) = p(good) / (p(good) + p(bad))} under the
   * language-model head W. {@code h} is the final (normed) hidden state at a step's end position;
   * padded positions are never read. Call through {@link NativeCompute#run}.
   *
   * @param tokens [B, T] int64 ids
   * @param stepEnds per row, the step end positions (each &lt; T), in order
   * @param backboneGradient whether gradients flow into the backbone; false stops them at the
   *     hidden states (head-only training, scoring)
   * @return [N] float32 logits, N = total number of steps, row by row, in the manager of {@code tokens}
   */
  public NDArray stepLogits(NDArray tokens, int[][] stepEnds, boolean backboneGradient) {
    NDManager m = tokens.getManager();
    long b = tokens.getShape().get(0);
    long t = tokens.getShape().get(1);
    if (stepEnds.length != b) {
      throw new IllegalArgumentException(stepEnds.length + " step-end rows for a batch of " + b);
    }
    int dim = backbone.config().dim();
    int n = Arrays.stream(stepEnds).mapToInt(e -> e.length).sum();
    long[] index = new long[n];
    int k = 0;
    for (int r = 0; r < stepEnds.length; r++) {
      for (int end : stepEnds[r]) {
        if (end < 0 || end >= t) {
          throw new IllegalArgumentException("step end " + end + " outside row " + r + " of width " + t);
        }
        index[k++] = r * t + end;
      }
    }
    NDArray hidden = backbone.hiddenCausal(tokens);
    if (!backboneGradient) {
      hidden = hidden.stopGradient();
    }
    NDArray rows = m.create(index, new Shape(n));
    NDArray picked = rows.getNDArrayInternal()
        .embedding(rows, hidden.reshape(b * t, dim), SparseFormat.DENSE).singletonOrThrow(); // [N, dim]
    if (picked.getDataType() != DataType.FLOAT32) {
      picked = picked.toType(DataType.FLOAT32, false);
    }
    NDArray logits;
    if (config.head() == PrmConfig.HeadKind.SCALAR) {
      logits = picked.getNDArrayInternal()
          .linear(picked, head.get(HEAD_WEIGHT), head.get(HEAD_BIAS)).singletonOrThrow().reshape(n);
    } else {
      NDArray lmHead = backbone.config().tiedEmbeddings()
          ? backbone.parameters().get("model.embed_tokens.weight")
          : backbone.parameters().get("lm_head.weight");
      // gathered through an index array of the caller's manager, so nothing lands in the backbone's
      NDArray ids = m.create(new long[] {config.goodId(), config.badId()}, new Shape(2));
      NDArray pair = ids.getNDArrayInternal().embedding(ids, lmHead, SparseFormat.DENSE).singletonOrThrow();
      if (pair.getDataType() != DataType.FLOAT32) {
        pair = pair.toType(DataType.FLOAT32, false);
      }
      NDArray diff = pair.get(0).sub(pair.get(1));
      logits = picked.matMul(diff.reshape(dim, 1)).reshape(n);
    }
    if (logits.getManager() != m) {
      throw new IllegalStateException("PRM activation escaped the caller's manager");
    }
    return logits;
  }

  @Override
  public void close() {
    NativeCompute.run(() -> {
      manager.close();
      backbone.close();
    });
  }
}
