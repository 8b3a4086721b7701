package dev.rlft.model;

/**
 * Rotary frequency scaling, as Hugging Face's {@code rope_scaling} in config.json.
 *
 * @param type {@code NONE}, {@code LINEAR} (positions divided by {@code factor}) or {@code LLAMA3}
 *     (Llama 3.1's wavelength-dependent scaling)
 * @param factor scaling factor; 1 for NONE
 * @param lowFreqFactor LLAMA3 only
 * @param highFreqFactor LLAMA3 only
 * @param originalMaxPositions LLAMA3 only: the context length the model was pretrained with
 */
public record RopeScaling(Type type, float factor, float lowFreqFactor, float highFreqFactor, int originalMaxPositions) {

  /** Scaling rules. */
  public enum Type {
    NONE,
    LINEAR,
    LLAMA3
  }

  public static final RopeScaling NONE = new RopeScaling(Type.NONE, 1f, 0f, 0f, 0);

  public RopeScaling {
    if (type == null) {
      throw new IllegalArgumentException("rope scaling type must be set");
    }
    if (type != Type.NONE && !(factor > 0)) {
      throw new IllegalArgumentException("rope_scaling.factor must be > 0, got " + factor);
    }
    if (type == Type.LLAMA3 && !(highFreqFactor > lowFreqFactor && lowFreqFactor > 0 && originalMaxPositions > 0)) {
      throw new IllegalArgumentException("llama3 rope_scaling needs 0 < low_freq_factor < high_freq_factor and "
          + "original_max_position_embeddings > 0, got " + lowFreqFactor + ", " + highFreqFactor + ", "
          + originalMaxPositions);
    }
  }

  public static RopeScaling linear(float factor) {
    return new RopeScaling(Type.LINEAR, factor, 0f, 0f, 0);
  }

  public static RopeScaling llama3(float factor, float lowFreqFactor, float highFreqFactor, int originalMaxPositions) {
    return new RopeScaling(Type.LLAMA3, factor, lowFreqFactor, highFreqFactor, originalMaxPositions);
  }

  /**
   * Inverse frequencies for a head of {@code headDim}: {@code theta^(-2i/headDim)}, scaled by this
   * rule (transformers' {@code _compute_linear_scaling_rope_parameters} and {@code
   * _compute_llama3_parameters}).
   */
  public double[] inverseFrequencies(double theta, int headDim) {
    int half = headDim / 2;
    double[] inv = new double[half];
    for (int i = 0; i < half; i++) {
      double f = 1.0 / Math.pow(theta, (2.0 * i) / headDim);
      inv[i] = switch (type) {
        case NONE -> f;
        case LINEAR -> f / factor;
        case LLAMA3 -> llama3(f);
      };
    }
    return inv;
  }

  private double llama3(double f) {
    double lowFreqWavelen = originalMaxPositions / (double) lowFreqFactor;
    double highFreqWavelen = originalMaxPositions / (double) highFreqFactor;
    double wavelen = 2 * Math.PI / f;
    if (wavelen < highFreqWavelen) {
      return f;
    }
    if (wavelen > lowFreqWavelen) {
      return f / factor;
    }
    double smooth = (originalMaxPositions / wavelen - lowFreqFactor) / (highFreqFactor - lowFreqFactor);
    return (1 - smooth) * f / factor + smooth * f;
  }
}
