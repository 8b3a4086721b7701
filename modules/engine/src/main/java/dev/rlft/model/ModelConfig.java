package dev.rlft.model;

/**
 * Shape of a Llama-style decoder-only transformer.
 *
 * @param vocabSize number of token ids
 * @param dim model (residual stream) width
 * @param nLayers transformer blocks
 * @param nHeads query heads; {@code dim} must be divisible by it
 * @param nKvHeads key/value heads (grouped-query attention); divides {@code nHeads}
 * @param hiddenDim SwiGLU inner width
 * @param maxSeqLen longest sequence (prompt + completion) the rotary tables cover
 * @param ropeTheta rotary base frequency
 * @param normEps RMSNorm epsilon
 * @param tiedEmbeddings whether the output head reuses the input embedding matrix
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
    boolean tiedEmbeddings) {

  public ModelConfig {
    positive("vocabSize", vocabSize);
    positive("dim", dim);
    positive("nLayers", nLayers);
    positive("nHeads", nHeads);
    positive("nKvHeads", nKvHeads);
    positive("hiddenDim", hiddenDim);
    positive("maxSeqLen", maxSeqLen);
    if (dim % nHeads != 0) {
      throw new IllegalArgumentException(
          "model.dim (" + dim + ") must be divisible by model.heads (" + nHeads + ")");
    }
    if (nHeads % nKvHeads != 0) {
      throw new IllegalArgumentException(
          "model.heads (" + nHeads + ") must be divisible by model.kv-heads (" + nKvHeads + ")");
    }
    if ((dim / nHeads) % 2 != 0) {
      throw new IllegalArgumentException(
          "head size dim/heads = " + dim / nHeads + " must be even for rotary embeddings");
    }
    if (!(ropeTheta > 0)) {
      throw new IllegalArgumentException("model.rope-theta must be > 0, got " + ropeTheta);
    }
    if (!(normEps > 0)) {
      throw new IllegalArgumentException("model.norm-eps must be > 0, got " + normEps);
    }
  }

  private static void positive(String name, int value) {
    if (value <= 0) {
      throw new IllegalArgumentException("model." + name + " must be > 0, got " + value);
    }
  }

  public int headDim() {
    return dim / nHeads;
  }

  /** Number of trainable scalars. */
  public long parameterCount() {
    long perLayer =
        2L * dim // norms
            + (long) dim * dim * 2 // q, o
            + (long) dim * headDim() * nKvHeads * 2 // k, v
            + 3L * dim * hiddenDim; // gate, up, down
    long embed = (long) vocabSize * dim;
    return embed + (tiedEmbeddings ? 0 : embed) + dim + perLayer * nLayers;
  }

  public ModelConfig withVocabSize(int newVocab) {
    return new ModelConfig(
        newVocab, dim, nLayers, nHeads, nKvHeads, hiddenDim, maxSeqLen, ropeTheta, normEps,
        tiedEmbeddings);
  }
}
