package dev.rlft.model;

/**
 * Shape of a Llama-family decoder-only transformer (Llama, Qwen2, Mistral).
 *
 * @param vocabSize number of token ids
 * @param dim model (residual stream) width
 * @param nLayers transformer blocks
 * @param nHeads query heads
 * @param nKvHeads key/value heads (grouped-query attention); divides {@code nHeads}
 * @param hiddenDim SwiGLU inner width
 * @param maxSeqLen longest sequence (prompt + completion) the rotary tables cover
 * @param ropeTheta rotary base frequency
 * @param normEps RMSNorm epsilon
 * @param tiedEmbeddings whether the output head reuses the input embedding matrix
 * @param architecture which Hugging Face family the weights follow (names, config.json)
 * @param headDim width of one attention head; usually {@code dim / nHeads}
 * @param qkvBias whether the query, key and value projections have a bias (Qwen2)
 * @param outputBias whether the attention output projection has a bias (Llama attention_bias)
 * @param ropeScaling rotary frequency scaling for long contexts
 * @param slidingWindow Mistral's attention window in tokens; 0 = full causal attention
 */
public record ModelConfig(
    int vocabSize,
    int dim,
    int nLayers,
    int nHeads,
    int nKvHeads,
    int hiddenDim,
    int maxSeqLen,
    float ropeTheta,
    float normEps,
    boolean tiedEmbeddings,
    Architecture architecture,
    int headDim,
    boolean qkvBias,
    boolean outputBias,
    RopeScaling ropeScaling,
    int slidingWindow) {

  /** The model families rlft reads and writes. */
  public enum Architecture {
    LLAMA("llama", "LlamaForCausalLM"),
    QWEN2("qwen2", "Qwen2ForCausalLM"),
    MISTRAL("mistral", "MistralForCausalLM");

    private final String modelType;
    private final String className;

    Architecture(String modelType, String className) {
      this.modelType = modelType;
      this.className = className;
    }

    /** config.json's {@code model_type}. */
    public String modelType() {
      return modelType;
    }

    /** config.json's {@code architectures[0]}. */
    public String className() {
      return className;
    }

    public static Architecture fromModelType(String type) {
      for (Architecture a : values()) {
        if (a.modelType.equals(type)) {
          return a;
        }
      }
      throw new IllegalArgumentException("unsupported model_type '" + type + "' (supported: llama, qwen2, mistral)");
    }
  }

  public ModelConfig {
    positive("vocabSize", vocabSize);
    positive("dim", dim);
    positive("nLayers", nLayers);
    positive("nHeads", nHeads);
    positive("nKvHeads", nKvHeads);
    positive("hiddenDim", hiddenDim);
    positive("maxSeqLen", maxSeqLen);
    positive("headDim", headDim);
    if (architecture == null || ropeScaling == null) {
      throw new IllegalArgumentException("architecture and rope scaling must be set");
    }
    if (nHeads % nKvHeads != 0) {
      throw new IllegalArgumentException(
          "model.heads (" + nHeads + ") must be divisible by model.kv-heads (" + nKvHeads + ")");
    }
    if (headDim % 2 != 0) {
      throw new IllegalArgumentException("head size " + headDim + " must be even for rotary embeddings");
    }
    if (!(ropeTheta > 0)) {
      throw new IllegalArgumentException("model.rope-theta must be > 0, got " + ropeTheta);
    }
    if (!(normEps > 0)) {
      throw new IllegalArgumentException("model.norm-eps must be > 0, got " + normEps);
    }
    if (slidingWindow < 0) {
      throw new IllegalArgumentException("sliding window must be >= 0, got " + slidingWindow);
    }
  }

  /** A plain Llama shape with head size {@code dim / nHeads}. */
  public ModelConfig(int vocabSize, int dim, int nLayers, int nHeads, int nKvHeads, int hiddenDim, int maxSeqLen,
      float ropeTheta, float normEps, boolean tiedEmbeddings) {
    this(vocabSize, dim, nLayers, nHeads, nKvHeads, hiddenDim, maxSeqLen, ropeTheta, normEps, tiedEmbeddings,
        Architecture.LLAMA, llamaHeadDim(dim, nHeads), false, false, RopeScaling.NONE, 0);
  }

  private static int llamaHeadDim(int dim, int nHeads) {
    if (nHeads > 0 && dim % nHeads != 0) {
      throw new IllegalArgumentException(
          "model.dim (" + dim + ") must be divisible by model.heads (" + nHeads + ")");
    }
    return nHeads > 0 ? dim / nHeads : 0;
  }

  private static void positive(String name, int value) {
    if (value <= 0) {
      throw new IllegalArgumentException("model." + name + " must be > 0, got " + value);
    }
  }

  /** Width of all query heads together. */
  public int qDim() {
    return nHeads * headDim;
  }

  /** Width of all key (or value) heads together. */
  public int kvDim() {
    return nKvHeads * headDim;
  }

  /** Number of trainable scalars. */
  public long parameterCount() {
    long perLayer =
        2L * dim // norms
            + 2L * dim * qDim() // q, o
            + 2L * dim * kvDim() // k, v
            + (qkvBias ? qDim() + 2L * kvDim() : 0)
            + (outputBias ? dim : 0)
            + 3L * dim * hiddenDim; // gate, up, down
    long embed = (long) vocabSize * dim;
    return embed + (tiedEmbeddings ? 0 : embed) + dim + perLayer * nLayers;
  }

  public ModelConfig withVocabSize(int newVocab) {
    return new ModelConfig(newVocab, dim, nLayers, nHeads, nKvHeads, hiddenDim, maxSeqLen, ropeTheta, normEps,
        tiedEmbeddings, architecture, headDim, qkvBias, outputBias, ropeScaling, slidingWindow);
  }

  public ModelConfig withMaxSeqLen(int newMax) {
    return new ModelConfig(vocabSize, dim, nLayers, nHeads, nKvHeads, hiddenDim, newMax, ropeTheta, normEps,
        tiedEmbeddings, architecture, headDim, qkvBias, outputBias, ropeScaling, slidingWindow);
  }
}
