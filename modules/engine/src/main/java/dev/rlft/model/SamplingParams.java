package dev.rlft.model;

/**
 * How to draw completions.
 *
 * @param temperature softmax temperature; 0 means greedy (argmax)
 * @param topP nucleus mass in (0, 1]; 1 disables
 * @param topK keep the k most likely tokens; 0 disables
 * @param maxNewTokens completion length cap
 * @param seed random seed; the same seed, prompts and weights give the same completions
 * @param stop strings that end a completion once its decoded text contains one (may be empty)
 */
public record SamplingParams(float temperature, float topP, int topK, int maxNewTokens, long seed, String[] stop) {

  public SamplingParams(float temperature, float topP, int topK, int maxNewTokens, long seed) {
    this(temperature, topP, topK, maxNewTokens, seed, new String[0]);
  }

  public SamplingParams {
    stop = stop == null ? new String[0] : stop.clone();
    for (String s : stop) {
      if (s == null || s.isEmpty()) {
        throw new IllegalArgumentException("stop strings must be non-empty");
      }
    }
    if (!(temperature >= 0) || Float.isInfinite(temperature)) {
      throw new IllegalArgumentException("temperature must be >= 0, got " + temperature);
    }
    if (!(topP > 0 && topP <= 1)) {
      throw new IllegalArgumentException("top-p must be in (0, 1], got " + topP);
    }
    if (topK < 0) {
      throw new IllegalArgumentException("top-k must be >= 0, got " + topK);
    }
    if (maxNewTokens <= 0) {
      throw new IllegalArgumentException("max-new-tokens must be > 0, got " + maxNewTokens);
    }
  }

  public static SamplingParams greedy(int maxNewTokens) {
    return new SamplingParams(0f, 1f, 0, maxNewTokens, 0L);
  }

  public SamplingParams withSeed(long newSeed) {
    return new SamplingParams(temperature, topP, topK, maxNewTokens, newSeed, stop);
  }
}
