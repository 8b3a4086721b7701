package dev.rlft.train;

/**
 * One sampled completion with everything the learner needs; plain arrays only, so it can cross
 * actor and node boundaries.
 *
 * @param groupId identifies the prompt group (G completions of one prompt share it)
 * @param prompt prompt token ids, starting with BOS
 * @param completion generated ids, including a final EOS when generation stopped there
 * @param logprobs sampling log-probability of each completion token (old policy)
 * @param weightVersion parameter-server version of the weights that generated it
 * @param reward scalar reward
 * @param correct whether the final answer matched the truth
 */
public record Trajectory(
    long groupId, int[] prompt, int[] completion, float[] logprobs, long weightVersion, float reward, boolean correct) {

  public Trajectory {
    if (prompt.length == 0) {
      throw new IllegalArgumentException("trajectory prompt is empty");
    }
    if (completion.length != logprobs.length) {
      throw new IllegalArgumentException(
          "completion and logprobs differ in length: " + completion.length + " vs " + logprobs.length);
    }
  }

  public Trajectory withReward(float newReward, boolean isCorrect) {
    return new Trajectory(groupId, prompt, completion, logprobs, weightVersion, newReward, isCorrect);
  }
}
