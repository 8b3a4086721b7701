package dev.rlft.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;

/** Per-token log-probabilities (and entropies) of whole sequences under a model. */
public final class TokenLogProbs {

  private TokenLogProbs() {}

  /** Log-probabilities [B, T-1] and entropies [B, T-1] of next tokens. */
  public record Result(NDArray logp, NDArray entropy) {}

  /**
   * Scores {@code tokens[:, 1:]} given their prefixes.
   *
   * <p>logp[b, j] = log softmax(logits[b, j] / temperature)[tokens[b, j+1]]; the same tempered
   * distribution the {@link Sampler} draws from and reports, so PPO/GRPO ratios are unbiased.
   *
   * @param tokens [B, T] int64, right-padded, each row starting with BOS
   * @param temperature softmax temperature, &gt; 0
   * @param withEntropy whether to compute the entropy of each next-token distribution
   */
  public static Result of(LlamaModel model, NDArray tokens, float temperature, boolean withEntropy) {
    if (!(temperature > 0)) {
      throw new IllegalArgumentException("temperature must be > 0 to score tokens, got " + temperature);
    }
    NDArray logits = model.forwardCausal(tokens).get(new NDIndex(":, :-1, :"));
    if (temperature != 1f) {
      logits = Scalars.div(logits, temperature);
    }
    NDArray lsm = logits.logSoftmax(-1);
    NDArray targets = tokens.get(new NDIndex(":, 1:")).expandDims(-1);
    NDArray logp = lsm.gather(targets, -1).squeeze(-1);
    NDArray entropy = withEntropy ? lsm.exp().mul(lsm).sum(new int[] {-1}).neg() : null;
    return new Result(logp, entropy);
  }

  /**
   * Reference log-probabilities [B, T-1] for a KL penalty, without gradient: under {@code reference}
   * when there is one, else under {@code policy}'s base with its LoRA adapters switched off for
   * the call (a LoRA policy's reference is its own base).
   */
  public static NDArray reference(LlamaModel policy, LlamaModel reference, NDArray tokens, float temperature) {
    if (reference != null) {
      return of(reference, tokens, temperature, false).logp();
    }
    policy.setAdaptersEnabled(false);
    try {
      return of(policy, tokens, temperature, false).logp().stopGradient();
    } finally {
      policy.setAdaptersEnabled(true);
    }
  }
}
