package dev.rlft.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import dev.rlft.algo.AdvantageEstimator;
import dev.rlft.algo.Advantages;
import dev.rlft.algo.KlEstimator;
import dev.rlft.algo.LossAggregation;
import dev.rlft.algo.PolicyLoss;
import dev.rlft.model.LlamaModel;
import dev.rlft.model.TokenLogProbs;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One GRPO policy update (Shao et al., arXiv 2402.03300): group-normalised advantages from scalar
 * rewards, clipped importance ratio against the sampling log-probabilities, KL to a frozen
 * reference policy, aggregated over tokens as configured.
 */
public final class GrpoUpdate {

  /** Loss settings. */
  public record Config(
      AdvantageEstimator advantage,
      float clipLow,
      float clipHigh,
      float beta,
      KlEstimator kl,
      LossAggregation aggregation,
      float temperature,
      LrSchedule schedule) {
    public Config {
      if (!(clipLow > 0 && clipLow < 1) || !(clipHigh > 0)) {
        throw new IllegalArgumentException("clip range must satisfy 0 < clip-low < 1 and clip-high > 0, got "
            + clipLow + ", " + clipHigh);
      }
      if (!(beta >= 0)) {
        throw new IllegalArgumentException("beta must be >= 0, got " + beta);
      }
      if (!(temperature > 0)) {
        throw new IllegalArgumentException("training temperature must be > 0, got " + temperature);
      }
    }
  }

  /** Updates in a row that may be skipped for non-finite gradients before the run fails. */
  public static final int MAX_CONSECUTIVE_SKIPS = 3;

  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(GrpoUpdate.class);

  private int consecutiveSkips;
  private final LlamaModel policy;
  private final LlamaModel reference;
  private final AdamW optimizer;
  private Config config;
  private final int pad;

  public GrpoUpdate(LlamaModel policy, LlamaModel reference, AdamW optimizer, Config config, int padId) {
    if (!policy.trainable()) {
      throw new IllegalArgumentException("GRPO needs a trainable policy");
    }
    if (reference != null && reference.trainable()) {
      throw new IllegalArgumentException("the reference policy must be frozen");
    }
    if (config.beta() > 0 && reference == null && policy.lora() == null) {
      throw new IllegalArgumentException("beta > 0 needs a reference policy (or a LoRA policy, whose base is one)");
    }
    this.policy = policy;
    this.reference = reference;
    this.optimizer = optimizer;
    this.config = config;
    this.pad = padId;
  }

  /**
   * Updates the policy on complete groups laid out consecutively ({@code groupSize} trajectories
   * per prompt).
   *
   * @return metrics: loss, pg_loss, kl, clip_frac, ratio, entropy, grad_norm, lr, adv_abs, tokens,
   *     zero_adv_groups, skipped (1 when the gradient was non-finite and the update was dropped; more
   *     than {@link #MAX_CONSECUTIVE_SKIPS} in a row is an error)
   */
  public Map<String, Double> step(List<Trajectory> batch, int groupSize) {
    return dev.rlft.model.NativeCompute.run(() -> stepLocked(batch, groupSize, null));
  }

  /**
   * As {@link #step(List, int)} with per-token advantages given by the caller instead of the
   * group-normalised scalar rewards: process-supervised GRPO, where each token's advantage is the
   * sum of the group-normalised rewards of its step and the later ones.
   *
   * @param tokenAdvantages one array per trajectory, aligned with its completion tokens
   */
  public Map<String, Double> step(List<Trajectory> batch, int groupSize, List<float[]> tokenAdvantages) {
    if (tokenAdvantages == null || tokenAdvantages.size() != batch.size()) {
      throw new IllegalArgumentException("need one token-advantage array per trajectory");
    }
    for (int i = 0; i < batch.size(); i++) {
      if (tokenAdvantages.get(i).length != batch.get(i).completion().length) {
        throw new IllegalArgumentException("trajectory " + i + " has " + batch.get(i).completion().length
            + " completion tokens but " + tokenAdvantages.get(i).length + " advantages");
      }
    }
    return dev.rlft.model.NativeCompute.run(() -> stepLocked(batch, groupSize, tokenAdvantages));
  }

  private Map<String, Double> stepLocked(List<Trajectory> batch, int groupSize, List<float[]> tokenAdvantages) {
    if (batch.isEmpty() || batch.size() % groupSize != 0) {
      throw new IllegalArgumentException("batch of " + batch.size() + " is not whole groups of " + groupSize);
    }
    float[] rewards = new float[batch.size()];
    for (int i = 0; i < rewards.length; i++) {
      rewards[i] = batch.get(i).reward();
      if (i % groupSize != 0 && batch.get(i).groupId() != batch.get(i - 1).groupId()) {
        throw new IllegalArgumentException("trajectory " + i + " breaks group " + batch.get(i - 1).groupId());
      }
    }
    float[] adv = Advantages.compute(config.advantage(), rewards, groupSize);
    int flatGroups = 0;
    for (int g = 0; g < adv.length; g += groupSize) {
      boolean allZero = true;
      for (int i = g; i < g + groupSize; i++) {
        allZero &= adv[i] == 0f;
      }
      flatGroups += allZero ? 1 : 0;
    }
    List<int[]> seqs = new ArrayList<>(batch.size());
    List<float[]> old = new ArrayList<>(batch.size());
    int[] starts = new int[batch.size()];
    for (int i = 0; i < batch.size(); i++) {
      Trajectory t = batch.get(i);
      int[] seq = new int[t.prompt().length + t.completion().length];
      System.arraycopy(t.prompt(), 0, seq, 0, t.prompt().length);
      System.arraycopy(t.completion(), 0, seq, t.prompt().length, t.completion().length);
      seqs.add(seq);
      starts[i] = t.completion().length == 0 ? seq.length : t.prompt().length;
      old.add(t.logprobs());
    }
    SequenceBatch sb = new SequenceBatch(seqs, starts);
    float lr = config.schedule().at(optimizer.steps() + 1);
    Map<String, Double> metrics = new LinkedHashMap<>();
    float lossValue;
    try (NDManager step = policy.manager().getParentManager().newSubManager()) {
      NDArray tokens = sb.tokens(step, pad);
      NDArray mask = sb.mask(step);
      NDArray oldLogp = sb.alignTargets(step, old);
      NDArray advantages = tokenAdvantages == null ? step.create(adv) : sb.alignTargets(step, tokenAdvantages);
      NDArray refLogp = null;
      if (config.beta() > 0) {
        refLogp = TokenLogProbs.reference(policy, reference, tokens, config.temperature());
      }
      if (refLogp != null) {
        refLogp = refLogp.mul(mask);
      }
      try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
        TokenLogProbs.Result cur;
        policy.setTraining(true);
        try {
          cur = TokenLogProbs.of(policy, tokens, config.temperature(), true);
        } finally {
          policy.setTraining(false);
        }
        // Padding positions are masked out of the loss, but their terms must still be finite:
        // 0 * inf is NaN. Zeroing logp there (old and ref are 0 too) makes ratio 1 and KL 0.
        NDArray logp = cur.logp().mul(mask);
        PolicyLoss.Result r = PolicyLoss.compute(logp, oldLogp, refLogp, advantages, mask,
            config.clipLow(), config.clipHigh(), config.beta(), config.kl(), config.aggregation());
        lossValue = r.loss().getFloat();
        if (Float.isFinite(lossValue)) {
          gc.backward(r.loss());
        }
        metrics.put("loss", (double) r.loss().getFloat());
        metrics.put("pg_loss", (double) r.policyLoss());
        metrics.put("kl", (double) r.kl());
        metrics.put("clip_frac", (double) r.clipFraction());
        metrics.put("ratio", (double) r.meanRatio());
        NDArray ent = cur.entropy().stopGradient();
        metrics.put("entropy", (double) (ent.mul(mask).sum().getFloat() / Math.max(1f, mask.sum().getFloat())));
      }
    }
    float norm;
    try {
      if (!Float.isFinite(lossValue)) {
        optimizer.zeroGrad();
        throw new AdamW.NonFiniteGradientException("non-finite GRPO loss " + lossValue + " at update "
            + (optimizer.steps() + 1));
      }
      norm = optimizer.step(lr);
      consecutiveSkips = 0;
      metrics.put("skipped", 0.0);
    } catch (AdamW.NonFiniteGradientException e) {
      // One poisoned batch must not end a long run, nor be applied: drop its update, keep going,
      // and give up only if it keeps happening.
      consecutiveSkips++;
      if (consecutiveSkips > MAX_CONSECUTIVE_SKIPS) {
        throw new IllegalStateException(consecutiveSkips + " updates in a row had non-finite gradients; last: "
            + e.getMessage(), e);
      }
      LOG.warn("skipping update: {}", e.getMessage());
      norm = Float.NaN;
      metrics.put("skipped", 1.0);
    }
    double absAdv = 0;
    for (float a : adv) {
      absAdv += Math.abs(a);
    }
    metrics.put("grad_norm", (double) norm);
    metrics.put("lr", (double) lr);
    metrics.put("adv_abs", absAdv / adv.length);
    metrics.put("tokens", (double) sb.targetCount());
    metrics.put("zero_adv_groups", (double) flatGroups);
    return metrics;
  }

  public long steps() {
    return optimizer.steps();
  }

  public Config config() {
    return config;
  }

  /** Multiplies the KL weight by {@code factor} from the next update on (a reward-hacking guard). */
  public void scaleBeta(float factor) {
    if (!(factor >= 1) || Float.isInfinite(factor)) {
      throw new IllegalArgumentException("beta factor must be finite and >= 1, got " + factor);
    }
    if (config.beta() > 0 && reference == null && policy.lora() == null) {
      throw new IllegalStateException("no reference policy");
    }
    config = new Config(config.advantage(), config.clipLow(), config.clipHigh(), config.beta() * factor, config.kl(),
        config.aggregation(), config.temperature(), config.schedule());
  }
}
