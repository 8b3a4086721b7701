package dev.rlft.model;

/**
 * One sampled completion.
 *
 * @param tokens generated ids, including the final EOS when the model stopped
 * @param logprobs log-probability of each generated token under the tempered sampling distribution
 *     (temperature 1 for greedy), before top-p/top-k truncation
 * @param finish why generation ended
 * @param stop the stop string that ended it ({@link Finish#STOP}), else null; the tokens end with
 *     the token that completed it, so the decoded text contains it
 */
public record Generation(int[] tokens, float[] logprobs, Finish finish, String stop) {

  /** Why a completion ended. */
  public enum Finish {
    /** An end-of-sequence token (any of the configured ids). */
    EOS,
    /** One of the sequence's stop strings appeared in its decoded text. */
    STOP,
    /** The max-new-tokens cap. */
    LENGTH
  }

  public Generation {
    if (tokens.length != logprobs.length) {
      throw new IllegalArgumentException("tokens and logprobs differ in length: " + tokens.length + " vs " + logprobs.length);
    }
    if ((finish == Finish.STOP) != (stop != null)) {
      throw new IllegalArgumentException("a stop string is given exactly when finish is STOP");
    }
  }

  public Generation(int[] tokens, float[] logprobs, Finish finish) {
    this(tokens, logprobs, finish, null);
  }
}
