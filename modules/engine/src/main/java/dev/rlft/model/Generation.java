package dev.rlft.model;

/**
 * One sampled completion.
 *
 * @param tokens generated ids, including the final EOS when the model stopped
 * @param logprobs log-probability of each generated token under the tempered sampling distribution
 *     (temperature 1 for greedy), before top-p/top-k truncation
 * @param finish why generation ended
 */
public record Generation(int[] tokens, float[] logprobs, Finish finish) {

  /** Why a completion ended. */
  public enum Finish {
    EOS,
    LENGTH
  }

  public Generation {
    if (tokens.length != logprobs.length) {
      throw new IllegalArgumentException("tokens and logprobs differ in length: " + tokens.length + " vs " + logprobs.length);
    }
  }
}
