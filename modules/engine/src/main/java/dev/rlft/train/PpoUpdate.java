package dev.rlft.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import dev.rlft.algo.Gae;
import dev.rlft.algo.KlEstimator;
import dev.rlft.algo.LossAggregation;
import dev.rlft.algo.PolicyLoss;
import dev.rlft.algo.TokenPolicyLoss;
import dev.rlft.algo.ValueLoss;
import dev.rlft.model.LlamaModel;
import dev.rlft.model.NativeCompute;
import dev.rlft.model.Scalars;
import dev.rlft.model.TokenLogProbs;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One PPO update with a learned critic (Schulman et al., arXiv 1707.06347) on trajectories with
 * per-token rewards (process-reward-model step rewards plus the outcome reward at the final token):
 * GAE advantages and returns from the critic's values ({@link Gae}), the clipped surrogate with
 * token-level advantages ({@link TokenPolicyLoss}, token-mean), an optional KL penalty to a frozen
 * reference as in {@link GrpoUpdate}, and the clipped value loss ({@link ValueLoss}, token-mean).
 *
 * <p>The objective is {@code pg + beta * kl + vfCoef * vf}. Policy and critic are separate models
 * with separate {@link AdamW} optimizers, so each has its own learning-rate schedule and gradient
 * clipping (a critic often trains at a larger learning rate, and one global norm would let the
 * critic's gradient throttle the policy's). The KL penalty is a loss term, as in {@link
 * GrpoUpdate}, not a per-token penalty folded into the rewards before GAE. The two graphs share no parameter, so one backward
 * pass over the sum gives each model exactly its own gradient; {@code vfCoef} then only scales the
 * critic's gradient before its clipping. A skip is atomic: both models' gradients are checked
 * before either optimizer steps.
 *
 * <p>A rollout is first {@link #prepare}d (old values, reference log-probabilities, advantages and
 * returns, computed once without gradient and kept as Java arrays), then {@link #step(Batch)}ped
 * once per PPO epoch (or per minibatch, {@link Batch#rows}); {@link #step(List, List)} does both
 * for one epoch, {@link #train} runs several epochs of shuffled minibatches. The policy optimizer
 * must cover {@code policy.trainableParameters()} and the critic optimizer {@code
 * critic.trainableParameters()}.
 */
public final class PpoUpdate {

  /**
   * PPO settings.
   *
   * @param gamma GAE discount in [0, 1]
   * @param lambda GAE trade-off in [0, 1]: 0 one-step TD, 1 Monte Carlo returns
   * @param whitenAdvantages whether to whiten advantages over the batch's completion tokens
   *     ({@link Gae#whiten}); the returns are never whitened
   * @param clipLow policy ratio clipped below at {@code 1 - clipLow}, in (0, 1)
   * @param clipHigh policy ratio clipped above at {@code 1 + clipHigh}, {@code > 0}
   * @param clipValue value predictions clipped to {@code oldValue +- clipValue}, {@code > 0};
   *     {@code +infinity} disables value clipping
   * @param vfCoef weight of the value loss in the objective, finite and {@code > 0}
   * @param beta weight of the KL penalty to the reference, {@code >= 0}; 0 disables it
   * @param kl KL estimator for the penalty
   * @param temperature softmax temperature of the policy's log-probabilities, as sampled, {@code > 0}
   * @param policySchedule policy learning rate by policy optimizer step
   * @param criticSchedule critic learning rate by critic optimizer step
   */
  public record Config(
      float gamma,
      float lambda,
      boolean whitenAdvantages,
      float clipLow,
      float clipHigh,
      float clipValue,
      float vfCoef,
      float beta,
      KlEstimator kl,
      float temperature,
      LrSchedule policySchedule,
      LrSchedule criticSchedule) {

    public Config {
      if (!(gamma >= 0 && gamma <= 1)) {
        throw new IllegalArgumentException("ppo gamma must be in [0, 1], got " + gamma);
      }
      if (!(lambda >= 0 && lambda <= 1)) {
        throw new IllegalArgumentException("ppo lambda must be in [0, 1], got " + lambda);
      }
      if (!(clipLow > 0 && clipLow < 1) || !(clipHigh > 0) || Float.isInfinite(clipHigh)) {
        throw new IllegalArgumentException("clip range must satisfy 0 < clip-low < 1 and finite clip-high > 0, got "
            + clipLow + ", " + clipHigh);
      }
      if (!(clipValue > 0)) {
        throw new IllegalArgumentException("value clip range must be > 0 (Infinity disables it), got " + clipValue);
      }
      if (!(vfCoef > 0) || Float.isInfinite(vfCoef)) {
        throw new IllegalArgumentException("vf-coef must be finite and > 0, got " + vfCoef);
      }
      if (!(beta >= 0) || Float.isInfinite(beta)) {
        throw new IllegalArgumentException("beta must be finite and >= 0, got " + beta);
      }
      Objects.requireNonNull(kl, "kl estimator");
      if (!(temperature > 0) || Float.isInfinite(temperature)) {
        throw new IllegalArgumentException("training temperature must be finite and > 0, got " + temperature);
      }
      Objects.requireNonNull(policySchedule, "policy lr schedule");
      Objects.requireNonNull(criticSchedule, "critic lr schedule");
    }

    /**
     * TRL's {@code PPOConfig} defaults for gamma (1), lambda (0.95), the policy and value clip
     * ranges (0.2 each) and vf-coef (0.1), with whitened advantages, no KL penalty (k3 when one is
     * set) and temperature 1.
     */
    public static Config defaults(LrSchedule policySchedule, LrSchedule criticSchedule) {
      return new Config(1f, 0.95f, true, 0.2f, 0.2f, 0.2f, 0.1f, 0f, KlEstimator.K3, 1f, policySchedule,
          criticSchedule);
    }
  }

  /**
   * A rollout ready for PPO epochs; Java arrays only, not copied (do not change them). Every
   * {@code [B][W-1]} array is aligned with {@link SequenceBatch}'s mask: entry {@code [b][j]}
   * belongs to predicting token {@code j + 1} of row {@code b}, and is 0 where the mask is 0.
   *
   * @param sequences prompt + completion of every trajectory
   * @param mask 1 at completion tokens
   * @param oldLogp sampling log-probabilities ({@link Trajectory#logprobs()})
   * @param refLogp reference log-probabilities, or null when {@code beta == 0}
   * @param oldValues the critic's values when prepared
   * @param advantages GAE advantages, whitened when configured
   * @param returns GAE returns, the critic's targets
   * @param metrics adv_mean, adv_std (Bessel) and adv_abs (mean absolute value) of the advantages
   *     before whitening, return_mean, value_mean (of the old values), explained_variance (returns
   *     vs old values, {@link ValueLoss#explainedVariance}), reward_sum (mean per trajectory), tokens
   */
  public record Batch(
      SequenceBatch sequences,
      float[][] mask,
      float[][] oldLogp,
      float[][] refLogp,
      float[][] oldValues,
      float[][] advantages,
      float[][] returns,
      Map<String, Double> metrics) {

    /**
     * A minibatch: the trajectories {@code indices} with their prepared arrays (advantages stay as
     * prepared over the whole rollout, whitening included) and the whole rollout's metrics.
     */
    public Batch rows(int[] indices) {
      SequenceBatch sb = sequences.rows(indices);
      int w = sb.width() - 1;
      return new Batch(sb, pick(mask, indices, w), pick(oldLogp, indices, w),
          refLogp == null ? null : pick(refLogp, indices, w), pick(oldValues, indices, w),
          pick(advantages, indices, w), pick(returns, indices, w), metrics);
    }

    /** Rows cut to {@code width}: what lies beyond a row's own length is padding, 0 in every array. */
    private static float[][] pick(float[][] a, int[] indices, int width) {
      float[][] out = new float[indices.length][];
      for (int i = 0; i < indices.length; i++) {
        out[i] = java.util.Arrays.copyOf(a[indices[i]], width);
      }
      return out;
    }
  }

  /** Updates in a row that may be skipped for a non-finite loss or gradient before the run fails. */
  public static final int MAX_CONSECUTIVE_SKIPS = GrpoUpdate.MAX_CONSECUTIVE_SKIPS;

  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(PpoUpdate.class);

  private final LlamaModel policy;
  private final LlamaModel reference;
  private final AdamW policyOptimizer;
  private final ValueModel critic;
  private final AdamW criticOptimizer;
  private Config config;
  private final int pad;
  private int consecutiveSkips;

  /**
   * @param reference frozen reference policy for the KL penalty, or null (no penalty, or a LoRA
   *     policy whose base serves as the reference)
   * @param padId token id that right-pads rows
   * @throws IllegalArgumentException for a frozen policy, a trainable reference, {@code beta > 0}
   *     without any reference, one optimizer for both models, or a critic that cannot read the
   *     policy's tokens
   */
  public PpoUpdate(LlamaModel policy, LlamaModel reference, AdamW policyOptimizer, ValueModel critic,
      AdamW criticOptimizer, Config config, int padId) {
    Objects.requireNonNull(policy, "policy");
    Objects.requireNonNull(policyOptimizer, "policyOptimizer");
    Objects.requireNonNull(critic, "critic");
    Objects.requireNonNull(criticOptimizer, "criticOptimizer");
    Objects.requireNonNull(config, "config");
    if (!policy.trainable()) {
      throw new IllegalArgumentException("PPO needs a trainable policy");
    }
    if (reference != null && reference.trainable()) {
      throw new IllegalArgumentException("the reference policy must be frozen");
    }
    if (config.beta() > 0 && reference == null && policy.lora() == null) {
      throw new IllegalArgumentException("beta > 0 needs a reference policy (or a LoRA policy, whose base is one)");
    }
    if (policyOptimizer == criticOptimizer) {
      throw new IllegalArgumentException("policy and critic need separate optimizers");
    }
    if (critic.backbone() == policy) {
      throw new IllegalArgumentException("the critic needs its own backbone, not the policy model");
    }
    if (critic.backbone().config().vocabSize() < policy.config().vocabSize()) {
      throw new IllegalArgumentException("the critic reads " + critic.backbone().config().vocabSize()
          + " token ids but the policy emits " + policy.config().vocabSize());
    }
    this.policy = policy;
    this.reference = reference;
    this.policyOptimizer = policyOptimizer;
    this.critic = critic;
    this.criticOptimizer = criticOptimizer;
    this.config = config;
    this.pad = padId;
  }

  /** {@link #prepare} then one {@link #step(Batch)}; returns the step's metrics. */
  public Map<String, Double> step(List<Trajectory> batch, List<float[]> tokenRewards) {
    return step(prepare(batch, tokenRewards));
  }

  /**
   * Computes, without gradient, what stays fixed across the PPO epochs of one rollout: the
   * critic's old values, the reference log-probabilities (when {@code beta > 0}), GAE advantages
   * and returns.
   *
   * @param batch trajectories; their {@code logprobs} are the old (sampling) log-probabilities
   * @param tokenRewards per trajectory, one reward per completion token (the reward for emitting
   *     that token), in order
   * @throws IllegalArgumentException for an empty batch, one without any completion token, or a
   *     reward array whose length differs from its completion's
   */
  public Batch prepare(List<Trajectory> batch, List<float[]> tokenRewards) {
    Objects.requireNonNull(batch, "batch");
    Objects.requireNonNull(tokenRewards, "tokenRewards");
    if (batch.isEmpty()) {
      throw new IllegalArgumentException("PPO batch is empty");
    }
    if (tokenRewards.size() != batch.size()) {
      throw new IllegalArgumentException(
          tokenRewards.size() + " reward arrays for a batch of " + batch.size() + " trajectories");
    }
    List<int[]> seqs = new ArrayList<>(batch.size());
    int[] starts = new int[batch.size()];
    int completionTokens = 0;
    for (int i = 0; i < batch.size(); i++) {
      Trajectory t = batch.get(i);
      float[] r = Objects.requireNonNull(tokenRewards.get(i), "tokenRewards[" + i + "]");
      if (r.length != t.completion().length) {
        throw new IllegalArgumentException("trajectory " + i + " has " + r.length + " token rewards for "
            + t.completion().length + " completion tokens");
      }
      int[] seq = new int[t.prompt().length + t.completion().length];
      System.arraycopy(t.prompt(), 0, seq, 0, t.prompt().length);
      System.arraycopy(t.completion(), 0, seq, t.prompt().length, t.completion().length);
      seqs.add(seq);
      starts[i] = t.completion().length == 0 ? seq.length : t.prompt().length;
      completionTokens += t.completion().length;
    }
    if (completionTokens == 0) {
      throw new IllegalArgumentException("PPO batch has no completion tokens");
    }
    SequenceBatch sb = new SequenceBatch(seqs, starts);
    float[][] mask = sb.maskArray();
    float[][] rewards = new float[batch.size()][];
    float[][] oldLogp = new float[batch.size()][];
    for (int i = 0; i < batch.size(); i++) {
      rewards[i] = align(tokenRewards.get(i), starts[i], sb.width());
      oldLogp[i] = align(batch.get(i).logprobs(), starts[i], sb.width());
    }
    float[][][] scored = NativeCompute.run(() -> {
      try (NDManager scope = policy.manager().getParentManager().newSubManager()) {
        NDArray tokens = sb.tokens(scope, pad);
        float[][] values = rows(critic.values(tokens).stopGradient().toFloatArray(), mask);
        float[][] ref = config.beta() > 0
            ? rows(TokenLogProbs.reference(policy, reference, tokens, config.temperature()).toFloatArray(), mask)
            : null;
        return new float[][][] {values, ref};
      }
    });
    float[][] oldValues = scored[0];
    Gae.Output gae = Gae.compute(rewards, oldValues, mask, config.gamma(), config.lambda());
    Gae.Moments adv = Gae.Moments.of(gae.advantages(), mask);
    Map<String, Double> metrics = new LinkedHashMap<>();
    metrics.put("adv_mean", adv.mean());
    metrics.put("adv_std", adv.std());
    metrics.put("adv_abs", meanAbs(gae.advantages(), mask));
    metrics.put("return_mean", Gae.Moments.of(gae.returns(), mask).mean());
    metrics.put("value_mean", Gae.Moments.of(oldValues, mask).mean());
    metrics.put("explained_variance", explainedVariance(gae.returns(), oldValues, mask));
    double rewardSum = 0;
    for (float[] r : tokenRewards) {
      for (float x : r) {
        rewardSum += x;
      }
    }
    metrics.put("reward_sum", rewardSum / batch.size());
    metrics.put("tokens", (double) sb.targetCount());
    float[][] advantages = config.whitenAdvantages() ? Gae.whiten(gae.advantages(), mask) : gae.advantages();
    return new Batch(sb, mask, oldLogp, scored[1], oldValues, advantages, gae.returns(),
        Collections.unmodifiableMap(metrics));
  }

  /**
   * One gradient step of policy and critic on a prepared rollout.
   *
   * @return metrics: loss, pg_loss, value_loss (before vf-coef), kl, clip_frac, value_clip_frac, ratio,
   *     entropy, grad_norm and critic_grad_norm (before clipping; NaN when skipped), lr, critic_lr,
   *     skipped (1 when the loss or a gradient was non-finite and the update was dropped for both
   *     models; more than {@link #MAX_CONSECUTIVE_SKIPS} in a row is an error), then the batch's
   *     {@link Batch#metrics()}
   */
  public Map<String, Double> step(Batch batch) {
    Objects.requireNonNull(batch, "batch");
    return NativeCompute.run(() -> stepLocked(batch));
  }

  private Map<String, Double> stepLocked(Batch b) {
    float lr = config.policySchedule().at(policyOptimizer.steps() + 1);
    float criticLr = config.criticSchedule().at(criticOptimizer.steps() + 1);
    Map<String, Double> metrics = new LinkedHashMap<>();
    float lossValue;
    try (NDManager step = policy.manager().getParentManager().newSubManager()) {
      NDArray tokens = b.sequences().tokens(step, pad);
      NDArray mask = step.create(b.mask());
      NDArray oldLogp = step.create(b.oldLogp());
      NDArray refLogp = b.refLogp() == null ? null : step.create(b.refLogp());
      NDArray advantages = step.create(b.advantages());
      NDArray returns = step.create(b.returns());
      NDArray oldValues = step.create(b.oldValues());
      try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
        TokenLogProbs.Result cur;
        NDArray values;
        policy.setTraining(true);
        critic.setTraining(true);
        try {
          cur = TokenLogProbs.of(policy, tokens, config.temperature(), true);
          values = critic.values(tokens);
        } finally {
          policy.setTraining(false);
          critic.setTraining(false);
        }
        // Zero logp at padding (old and ref are 0 there): ratio 1 and KL 0, so no 0 * inf = NaN.
        NDArray logp = cur.logp().mul(mask);
        PolicyLoss.Result pg = TokenPolicyLoss.compute(logp, oldLogp, refLogp, advantages, mask, config.clipLow(),
            config.clipHigh(), config.beta(), config.kl());
        ValueLoss.Result vf = ValueLoss.compute(values, oldValues, returns, mask, config.clipValue(),
            LossAggregation.TOKEN_MEAN);
        NDArray loss = pg.loss().add(Scalars.mul(vf.loss(), config.vfCoef()));
        lossValue = loss.getFloat();
        if (Float.isFinite(lossValue)) {
          gc.backward(loss);
        }
        metrics.put("loss", (double) lossValue);
        metrics.put("pg_loss", (double) pg.policyLoss());
        metrics.put("value_loss", (double) vf.loss().getFloat());
        metrics.put("kl", (double) pg.kl());
        metrics.put("clip_frac", (double) pg.clipFraction());
        metrics.put("value_clip_frac", (double) vf.clipFraction());
        metrics.put("ratio", (double) pg.meanRatio());
        NDArray ent = cur.entropy().stopGradient();
        metrics.put("entropy", (double) (ent.mul(mask).sum().getFloat() / Math.max(1f, mask.sum().getFloat())));
      }
    }
    String problem = Float.isFinite(lossValue) ? nonFiniteGradient() : "non-finite PPO loss " + lossValue;
    float policyNorm = Float.NaN;
    float criticNorm = Float.NaN;
    if (problem == null) {
      policyNorm = policyOptimizer.step(lr);
      criticNorm = criticOptimizer.step(criticLr);
      consecutiveSkips = 0;
      metrics.put("skipped", 0.0);
    } else {
      // One poisoned batch must not end a long run, nor be applied to either model: drop the
      // update, keep going, and give up only if it keeps happening.
      policyOptimizer.zeroGrad();
      criticOptimizer.zeroGrad();
      consecutiveSkips++;
      String what = problem + " at update " + (policyOptimizer.steps() + 1);
      if (consecutiveSkips > MAX_CONSECUTIVE_SKIPS) {
        throw new IllegalStateException(
            consecutiveSkips + " PPO updates in a row had a non-finite loss or gradient; last: " + what);
      }
      LOG.warn("skipping PPO update: {}", what);
      metrics.put("skipped", 1.0);
    }
    metrics.put("grad_norm", (double) policyNorm);
    metrics.put("critic_grad_norm", (double) criticNorm);
    metrics.put("lr", (double) lr);
    metrics.put("critic_lr", (double) criticLr);
    metrics.putAll(b.metrics());
    return metrics;
  }

  /**
   * One rollout's whole PPO update: {@link #prepare}, then {@code epochs} passes over it, each in
   * {@code minibatches} minibatches of shuffled trajectories (sizes differ by at most one), one
   * gradient step of policy and critic per minibatch. A skipped step (non-finite loss or gradient)
   * ends the update: more passes over a batch that poisoned one step would only repeat it, and it
   * counts once towards {@link #MAX_CONSECUTIVE_SKIPS}.
   *
   * @param seed the minibatch shuffle's seed
   * @return the mean over the steps taken of each {@link #step(Batch)} metric (non-finite values
   *     left out of the mean), lr and critic_lr of the last step, skipped (1 only when no step was
   *     applied, so the weights did not change; then the skipped step's metrics), ppo_steps (steps
   *     applied), then the rollout's {@link Batch#metrics()}
   * @throws IllegalArgumentException for {@code epochs < 1}, {@code minibatches < 1} or more
   *     minibatches than trajectories, and what {@link #prepare} rejects
   */
  public Map<String, Double> train(List<Trajectory> batch, List<float[]> tokenRewards, int epochs, int minibatches,
      long seed) {
    if (epochs < 1) {
      throw new IllegalArgumentException("ppo epochs must be >= 1, got " + epochs);
    }
    if (minibatches < 1 || minibatches > batch.size()) {
      throw new IllegalArgumentException("ppo minibatches must be in [1, " + batch.size()
          + "] (the batch's trajectories), got " + minibatches);
    }
    Batch prepared = prepare(batch, tokenRewards);
    java.util.SplittableRandom rng = new java.util.SplittableRandom(seed);
    Map<String, double[]> sums = new LinkedHashMap<>(); // key -> {sum, count}
    Map<String, Double> last = null;
    int applied = 0;
    epochs:
    for (int e = 0; e < epochs; e++) {
      int[] order = minibatches == 1 ? null : shuffled(batch.size(), rng);
      for (int k = 0; k < minibatches; k++) {
        Batch part = order == null ? prepared : prepared.rows(java.util.Arrays.copyOfRange(order,
            k * batch.size() / minibatches, (k + 1) * batch.size() / minibatches));
        if (part.sequences().targetCount() == 0) {
          continue; // only empty completions: nothing to learn from, and a token mean of nothing
        }
        last = step(part);
        if (last.get("skipped") > 0) {
          break epochs;
        }
        applied++;
        for (Map.Entry<String, Double> m : last.entrySet()) {
          if (!notAveraged(m.getKey()) && Double.isFinite(m.getValue())) {
            double[] acc = sums.computeIfAbsent(m.getKey(), x -> new double[2]);
            acc[0] += m.getValue();
            acc[1]++;
          }
        }
      }
    }
    if (applied == 0) {
      Map<String, Double> out = new LinkedHashMap<>(last);
      out.put("ppo_steps", 0.0);
      return out;
    }
    Map<String, Double> out = new LinkedHashMap<>();
    sums.forEach((k, acc) -> out.put(k, acc[0] / acc[1]));
    out.put("lr", last.get("lr"));
    out.put("critic_lr", last.get("critic_lr"));
    out.put("skipped", 0.0);
    out.put("ppo_steps", (double) applied);
    out.putAll(prepared.metrics());
    return out;
  }

  /** Keys of a step's metrics that {@link #train} reports otherwise than as a mean over its steps. */
  private static boolean notAveraged(String key) {
    return key.equals("skipped") || key.equals("lr") || key.equals("critic_lr");
  }

  private static int[] shuffled(int n, java.util.SplittableRandom rng) {
    int[] order = new int[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    for (int i = n - 1; i > 0; i--) {
      int j = rng.nextInt(i + 1);
      int t = order[i];
      order[i] = order[j];
      order[j] = t;
    }
    return order;
  }

  /**
   * Multiplies the KL weight beta by {@code factor} from the next step on (the reward-hacking
   * sentinel's raise-beta); a beta of 0 stays 0.
   *
   * @throws IllegalArgumentException for a factor below 1 or not finite
   */
  public void scaleBeta(float factor) {
    if (!(factor >= 1) || Float.isInfinite(factor)) {
      throw new IllegalArgumentException("beta factor must be finite and >= 1, got " + factor);
    }
    Config c = config;
    config = new Config(c.gamma(), c.lambda(), c.whitenAdvantages(), c.clipLow(), c.clipHigh(), c.clipValue(),
        c.vfCoef(), c.beta() * factor, c.kl(), c.temperature(), c.policySchedule(), c.criticSchedule());
  }

  public Config config() {
    return config;
  }

  /** Mean of {@code |x|} where the mask is 1, in double; 0 with no such entry. */
  private static double meanAbs(float[][] x, float[][] mask) {
    double sum = 0;
    long n = 0;
    for (int b = 0; b < mask.length; b++) {
      for (int t = 0; t < mask[b].length; t++) {
        if (mask[b][t] == 1f) {
          sum += Math.abs(x[b][t]);
          n++;
        }
      }
    }
    return n == 0 ? 0 : sum / n;
  }

  /**
   * Names the first tensors whose gradient has a non-finite sum of squares (the test {@link
   * AdamW#step} applies), or null when both models' gradients are finite.
   */
  private String nonFiniteGradient() {
    List<String> bad = new ArrayList<>();
    try (NDManager scope = policy.manager().getParentManager().newSubManager()) {
      collectNonFinite(policy.trainableParameters(), "policy ", scope, bad);
      collectNonFinite(critic.trainableParameters(), "critic ", scope, bad);
    }
    return bad.isEmpty() ? null
        : "non-finite gradient in " + bad.size() + " tensor(s), first " + bad.subList(0, Math.min(3, bad.size()));
  }

  private static void collectNonFinite(Map<String, NDArray> params, String prefix, NDManager scope,
      List<String> bad) {
    for (Map.Entry<String, NDArray> e : params.entrySet()) {
      NDArray g = e.getValue().getGradient();
      g.attach(scope);
      if (!Float.isFinite(g.square().sum().getFloat())) {
        bad.add(prefix + e.getKey());
      }
    }
  }

  /**
   * {@link ValueLoss#explainedVariance}, or NaN when an input is non-finite (a poisoned batch is
   * reported by the step's skip, not rejected here).
   */
  private static double explainedVariance(float[][] returns, float[][] values, float[][] mask) {
    for (int b = 0; b < mask.length; b++) {
      for (int t = 0; t < mask[b].length; t++) {
        if (!Float.isFinite(returns[b][t]) || !Float.isFinite(values[b][t])) {
          return Double.NaN;
        }
      }
    }
    return ValueLoss.explainedVariance(returns, values, mask);
  }

  /** Per-completion-token values placed at their positions in a row of {@code width - 1}. */
  private static float[] align(float[] perToken, int start, int width) {
    float[] row = new float[width - 1];
    System.arraycopy(perToken, 0, row, start - 1, perToken.length);
    return row;
  }

  /** A flat [B * (W-1)] array as rows, zeroed where the mask is 0. */
  private static float[][] rows(float[] flat, float[][] mask) {
    float[][] out = new float[mask.length][];
    for (int b = 0; b < mask.length; b++) {
      int width = mask[b].length;
      out[b] = new float[width];
      for (int j = 0; j < width; j++) {
        out[b][j] = mask[b][j] == 1f ? flat[b * width + j] : 0f;
      }
    }
    return out;
  }

  /** Policy optimizer steps taken (skipped updates do not count). */
  public long steps() {
    return policyOptimizer.steps();
  }
}
