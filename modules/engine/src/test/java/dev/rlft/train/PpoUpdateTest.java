package dev.rlft.train;

import static dev.rlft.train.PpoFixtures.TOK;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.rlft.algo.KlEstimator;
import dev.rlft.model.GcChurn;
import dev.rlft.model.LlamaModel;
import dev.rlft.model.LoraConfig;
import dev.rlft.model.ModelConfig;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** PPO updates of a one-layer policy and critic on a fixed batch with per-token rewards. */
class PpoUpdateTest {

  private static final ModelConfig TINY = TinyModel.CONFIG;
  private static final AdamW.Config NO_DECAY = TinyModel.NO_DECAY;

  @BeforeAll
  static void oneThread() {
    TinyModel.useOneTorchThread();
  }

  /** Policy, frozen reference copy, critic started from the policy's weights, and their optimizers. */
  private static final class Models implements AutoCloseable {
    final NDManager root = NDManager.newBaseManager();
    final LlamaModel policy;
    final LlamaModel reference;
    final ValueModel critic;
    final AdamW policyOpt;
    final AdamW criticOpt;

    Models(long seed) {
      policy = LlamaModel.initialize(TINY, seed, root, true);
      reference = LlamaModel.fromWeights(TINY, policy.exportWeights(), root, false);
      critic = ValueModel.fromWeights(TINY, policy.exportWeights(), null, seed, root);
      policyOpt = new AdamW(policy.trainableParameters(), NO_DECAY, root);
      criticOpt = new AdamW(critic.trainableParameters(), NO_DECAY, root);
    }

    PpoUpdate update(PpoUpdate.Config config) {
      return new PpoUpdate(policy, reference, policyOpt, critic, criticOpt, config, TOK.padId());
    }

    @Override
    public void close() {
      criticOpt.close();
      policyOpt.close();
      critic.close();
      reference.close();
      policy.close();
      root.close();
    }
  }

  private static Map<String, float[]> export(Map<String, NDArray> params) {
    Map<String, float[]> out = new LinkedHashMap<>();
    params.forEach((name, p) -> out.put(name, p.toFloatArray()));
    return out;
  }

  /**
   * The same update repeated with learning rates 0 must give the same loss and gradients every
   * time, also while the garbage collector frees and overwrites direct buffers. Constants that
   * DJL wraps in Java memory and autograd saves for backward (the attention scale, the KL weight,
   * the value-loss coefficient, the temperature) made about four in five of these repeats differ.
   */
  @Test
  void step_repeatedAtZeroLearningRateWhileGarbageIsCollected_sameLossAndGradientsEveryTime() throws Exception {
    PpoUpdate.Config config = new PpoUpdate.Config(1f, 0.95f, true, 0.2f, 0.2f, 0.2f, 0.5f, 0.04f, KlEstimator.K3,
        0.9f, LrSchedule.constant(0f), LrSchedule.constant(0f));
    try (Models m = new Models(1); GcChurn churn = new GcChurn()) {
      PpoUpdate update = m.update(config);
      List<Trajectory> batch = PpoFixtures.batch(m.policy);
      PpoUpdate.Batch prepared = update.prepare(batch, PpoFixtures.rewardOn(batch, '7'));
      Map<String, Double> first = update.step(prepared);
      assertTrue(first.get("critic_grad_norm") > 0, "the critic gets a gradient");
      for (int i = 0; i < 20; i++) {
        Map<String, Double> again = update.step(prepared);
        for (String k : List.of("loss", "value_loss", "kl", "grad_norm", "critic_grad_norm")) {
          assertEquals(first.get(k), again.get(k), k + " at repeat " + (i + 1));
        }
      }
    }
  }

  @Test
  void step_oldLogProbsRecomputedFromPolicy_ratioOneNoClippingNoKl() {
    try (Models m = new Models(1)) {
      List<Trajectory> batch = PpoFixtures.batch(m.policy);

      Map<String, Double> metrics = m.update(PpoFixtures.config(0.95f, true, 0.04f)).step(batch,
          PpoFixtures.rewardOn(batch, '7'));

      assertEquals(1.0, metrics.get("ratio"), 1e-5);
      assertEquals(0.0, metrics.get("clip_frac"), 0.0);
      assertEquals(0.0, metrics.get("kl"), 1e-5, "policy equals the reference");
      assertEquals(0.0, metrics.get("value_clip_frac"), 0.0, "values equal the old values");
      assertEquals(0.0, metrics.get("skipped"), 0.0);
    }
  }

  @Test
  void step_mixedRewards_lossFiniteEveryPolicyAndCriticParameterMovedReferenceUnchanged() {
    try (Models m = new Models(2)) {
      List<Trajectory> batch = PpoFixtures.batch(m.policy);
      Map<String, float[]> policyBefore = m.policy.exportWeights();
      Map<String, float[]> criticBefore = export(m.critic.trainableParameters());

      Map<String, Double> metrics = m.update(PpoFixtures.config(0.95f, true, 0.04f)).step(batch,
          PpoFixtures.rewardOn(batch, '7'));

      assertTrue(Double.isFinite(metrics.get("loss")), "loss " + metrics.get("loss"));
      assertTrue(metrics.get("grad_norm") > 0 && metrics.get("critic_grad_norm") > 0, metrics.toString());
      Map<String, float[]> policyAfter = m.policy.exportWeights();
      Map<String, float[]> criticAfter = export(m.critic.trainableParameters());
      Map<String, float[]> ref = m.reference.exportWeights();
      for (String name : policyBefore.keySet()) {
        assertFalse(Arrays.equals(policyBefore.get(name), policyAfter.get(name)), "policy " + name + " did not move");
        assertArrayEquals(policyBefore.get(name), ref.get(name), "reference " + name + " changed");
      }
      for (String name : criticBefore.keySet()) {
        assertFalse(Arrays.equals(criticBefore.get(name), criticAfter.get(name)), "critic " + name + " did not move");
      }
    }
  }

  @Test
  void step_positiveRewardOnSomeTokens_raisesTheirLogProbabilities() {
    try (Models m = new Models(3)) {
      PpoUpdate update = m.update(PpoFixtures.config(0.95f, true, 0f));
      List<Trajectory> batch = PpoFixtures.batch(m.policy);
      List<float[]> rewards = PpoFixtures.rewardOn(batch, '7');
      List<float[]> before = logprobs(batch);

      for (int i = 0; i < 4; i++) {
        update.step(PpoFixtures.batch(m.policy), rewards);
      }

      List<float[]> after = logprobs(PpoFixtures.batch(m.policy));
      double rewardedBefore = PpoFixtures.rewardedLogProb(before, rewards);
      double rewardedAfter = PpoFixtures.rewardedLogProb(after, rewards);
      assertTrue(rewardedAfter > rewardedBefore + 1,
          "log-probability of the rewarded tokens went from " + rewardedBefore + " to " + rewardedAfter);
      double[] meanGain = new double[2]; // rewarded, unrewarded
      int[] count = new int[2];
      for (int b = 0; b < rewards.size(); b++) {
        for (int j = 0; j < rewards.get(b).length; j++) {
          int k = rewards.get(b)[j] > 0 ? 0 : 1;
          meanGain[k] += after.get(b)[j] - before.get(b)[j];
          count[k]++;
        }
      }
      assertTrue(meanGain[0] / count[0] > meanGain[1] / count[1] + 0.25, "mean log-probability gain of rewarded "
          + meanGain[0] / count[0] + " vs other tokens " + meanGain[1] / count[1]);
    }
  }

  private static List<float[]> logprobs(List<Trajectory> batch) {
    List<float[]> out = new ArrayList<>();
    batch.forEach(t -> out.add(t.logprobs()));
    return out;
  }

  @Test
  void step_repeatedOnFixedBatch_valueLossFalls() {
    try (Models m = new Models(4)) {
      // lambda = 1: the returns are the rewards-to-go, a target that does not move with the critic
      PpoUpdate update = m.update(PpoFixtures.config(1f, true, 0f));
      List<Trajectory> batch = PpoFixtures.batch(m.policy);
      List<float[]> rewards = PpoFixtures.rewardOn(batch, '7');
      List<Double> losses = new ArrayList<>();

      for (int i = 0; i < 12; i++) {
        losses.add(update.step(batch, rewards).get("value_loss"));
      }

      assertTrue(losses.get(11) < 0.5 * losses.get(0), "value loss " + losses);
      assertTrue(losses.get(11) < losses.get(10) + 1e-3, "value loss " + losses);
    }
  }

  @Test
  void prepare_zeroValueCriticGammaLambdaOne_advantagesAndReturnsAreRewardsToGoAtCompletionPositions() {
    try (Models m = new Models(5);
        ValueModel zero = ValueModel.create(LlamaModel.initialize(TINY, 5, m.root, true), 0f, 5);
        AdamW zeroOpt = new AdamW(zero.trainableParameters(), NO_DECAY, m.root)) {
      PpoUpdate update = new PpoUpdate(m.policy, null, m.policyOpt, zero, zeroOpt, PpoFixtures.config(1f, false, 0f),
          TOK.padId());
      List<Trajectory> batch = PpoFixtures.batch(m.policy);
      List<float[]> rewards = new ArrayList<>();
      for (Trajectory t : batch) {
        float[] r = new float[t.completion().length];
        r[1] = 0.5f; // a step reward
        r[r.length - 1] = 1f; // the outcome reward at the final token
        rewards.add(r);
      }

      PpoUpdate.Batch prepared = update.prepare(batch, rewards);

      assertNull(prepared.refLogp());
      for (int b = 0; b < batch.size(); b++) {
        int start = batch.get(b).prompt().length - 1;
        int n = batch.get(b).completion().length;
        float[] expectedAdvantage = new float[prepared.mask()[b].length];
        float[] expectedMask = new float[expectedAdvantage.length];
        float[] expectedOld = new float[expectedAdvantage.length];
        for (int i = 0; i < n; i++) {
          expectedAdvantage[start + i] = i <= 1 ? 1.5f : 1f;
          expectedMask[start + i] = 1f;
          expectedOld[start + i] = batch.get(b).logprobs()[i];
        }
        assertArrayEquals(expectedMask, prepared.mask()[b], "mask " + b);
        assertArrayEquals(new float[expectedAdvantage.length], prepared.oldValues()[b], 0f, "values " + b);
        assertArrayEquals(expectedAdvantage, prepared.advantages()[b], 0f, "advantages " + b);
        assertArrayEquals(expectedAdvantage, prepared.returns()[b], 0f, "returns " + b);
        assertArrayEquals(expectedOld, prepared.oldLogp()[b], 0f, "old logprobs " + b);
      }
      assertEquals(1.5, prepared.metrics().get("reward_sum"), 1e-6);
      double absSum = 0;
      int tokens = 0;
      for (Trajectory t : batch) {
        absSum += 2 * 1.5 + (t.completion().length - 2) * 1.0;
        tokens += t.completion().length;
      }
      assertEquals(absSum / tokens, prepared.metrics().get("adv_abs"), 1e-6);
      assertEquals(0.0, prepared.metrics().get("value_mean"), 0.0);
    }
  }

  @Test
  void step_preparedBatchTwice_secondEpochKeepsOldLogProbsAndValues() {
    try (Models m = new Models(6)) {
      PpoUpdate update = m.update(PpoFixtures.config(0.95f, true, 0f));
      List<Trajectory> batch = PpoFixtures.batch(m.policy);
      PpoUpdate.Batch prepared = update.prepare(batch, PpoFixtures.rewardOn(batch, '7'));

      Map<String, Double> first = update.step(prepared);
      Map<String, Double> second = update.step(prepared);

      assertEquals(1.0, first.get("ratio"), 1e-5);
      assertNotEquals(1.0, second.get("ratio"), 1e-5, "the policy moved since the rollout");
      assertEquals(first.get("adv_mean"), second.get("adv_mean"), "advantages are fixed for the rollout");
      assertEquals(2, update.steps());
    }
  }

  @Test
  void step_loraPolicyAndCritic_baseIsReferenceOnlyAdaptersAndHeadMove() {
    LoraConfig lora = new LoraConfig(2, 4f, 0f, Set.of("q_proj", "v_proj", "down_proj"));
    try (NDManager root = NDManager.newBaseManager();
        LlamaModel sft = LlamaModel.initialize(TINY, 7, root, false);
        LlamaModel policy = LlamaModel.withLora(TINY, sft.exportWeights(), lora, null, 7, root, true);
        ValueModel critic = ValueModel.fromWeights(TINY, sft.exportWeights(), lora, 8, root);
        AdamW policyOpt = new AdamW(policy.trainableParameters(), NO_DECAY, root);
        AdamW criticOpt = new AdamW(critic.trainableParameters(), NO_DECAY, root)) {
      PpoUpdate update =
          new PpoUpdate(policy, null, policyOpt, critic, criticOpt, PpoFixtures.config(0.95f, true, 0.04f),
              TOK.padId());
      List<Trajectory> batch = PpoFixtures.batch(policy);
      Map<String, float[]> criticBefore = export(critic.trainableParameters());
      Map<String, float[]> adaptersBefore = policy.exportAdapters();

      Map<String, Double> first = update.step(batch, PpoFixtures.rewardOn(batch, '7'));
      Map<String, Double> second = update.step(PpoFixtures.batch(policy), PpoFixtures.rewardOn(batch, '7'));

      assertEquals(0.0, first.get("kl"), 1e-6, "fresh adapters: the policy is its base");
      assertTrue(second.get("kl") > 0, "kl " + second.get("kl"));
      Map<String, float[]> criticAfter = export(critic.trainableParameters());
      for (String name : criticBefore.keySet()) {
        assertFalse(Arrays.equals(criticBefore.get(name), criticAfter.get(name)), "critic " + name + " did not move");
      }
      Map<String, float[]> adaptersAfter = policy.exportAdapters();
      for (String name : adaptersBefore.keySet()) {
        assertFalse(Arrays.equals(adaptersBefore.get(name), adaptersAfter.get(name)), "adapter " + name);
      }
      Map<String, float[]> base = sft.exportWeights();
      policy.exportBaseWeights().forEach((name, w) -> assertArrayEquals(base.get(name), w, "policy base " + name));
      critic.backbone().exportBaseWeights()
          .forEach((name, w) -> assertArrayEquals(base.get(name), w, "critic base " + name));
    }
  }

  @Test
  void step_anyBatch_reportsEveryMetricFinite() {
    try (Models m = new Models(9)) {
      List<Trajectory> batch = PpoFixtures.batch(m.policy);

      Map<String, Double> metrics = m.update(PpoFixtures.config(0.95f, true, 0.04f)).step(batch,
          PpoFixtures.rewardOn(batch, '7'));

      assertEquals(Set.of("loss", "pg_loss", "value_loss", "kl", "clip_frac", "value_clip_frac", "ratio", "entropy",
          "skipped", "grad_norm", "critic_grad_norm", "lr", "critic_lr", "adv_mean", "adv_std", "adv_abs",
          "return_mean", "value_mean", "explained_variance", "reward_sum", "tokens"), metrics.keySet());
      metrics.forEach((k, v) -> assertTrue(Double.isFinite(v), k + " = " + v));
      assertTrue(metrics.get("entropy") > 0, "entropy " + metrics.get("entropy"));
      assertTrue(metrics.get("value_loss") > 0, "value_loss " + metrics.get("value_loss"));
      int tokens = batch.stream().mapToInt(t -> t.completion().length).sum();
      assertEquals(tokens, metrics.get("tokens"), 0.0);
    }
  }

  @Test
  void stepsAfterWarmUp_leaveNoArraysBehind() {
    try (Models m = new Models(10)) {
      PpoUpdate update = m.update(PpoFixtures.config(0.95f, true, 0.04f));
      List<Trajectory> batch = PpoFixtures.batch(m.policy);
      List<float[]> rewards = PpoFixtures.rewardOn(batch, '7');
      update.step(batch, rewards);
      int live = m.root.getManagedArrays().size();

      for (int i = 0; i < 3; i++) {
        update.step(PpoFixtures.batch(m.policy), rewards);
      }
      update.step(update.prepare(batch, rewards));

      assertEquals(live, m.root.getManagedArrays().size());
    }
  }

  @Test
  void prepare_badRewards_rejectedNamingTrajectory() {
    try (Models m = new Models(11)) {
      PpoUpdate update = m.update(PpoFixtures.config(0.95f, true, 0f));
      List<Trajectory> batch = PpoFixtures.batch(m.policy);
      List<float[]> rewards = new ArrayList<>(PpoFixtures.rewardOn(batch, '7'));
      rewards.set(2, new float[3]);

      IllegalArgumentException length = assertThrows(IllegalArgumentException.class,
          () -> update.prepare(batch, rewards));
      IllegalArgumentException count = assertThrows(IllegalArgumentException.class,
          () -> update.prepare(batch, rewards.subList(0, 3)));
      IllegalArgumentException empty = assertThrows(IllegalArgumentException.class,
          () -> update.prepare(List.of(), List.of()));

      assertTrue(length.getMessage().contains("trajectory 2") && length.getMessage().contains("3 token rewards"),
          length.getMessage());
      assertTrue(count.getMessage().contains("3 reward arrays"), count.getMessage());
      assertTrue(empty.getMessage().contains("empty"), empty.getMessage());
      assertEquals(0, update.steps());
    }
  }

  @Test
  void constructor_badModelsOrOptimizers_rejected() {
    try (Models m = new Models(12); LlamaModel frozen = LlamaModel.initialize(TINY, 12, m.root, false)) {
      PpoUpdate.Config kl = PpoFixtures.config(0.95f, true, 0.04f);
      PpoUpdate.Config noKl = PpoFixtures.config(0.95f, true, 0f);
      int pad = TOK.padId();

      IllegalArgumentException frozenPolicy = assertThrows(IllegalArgumentException.class,
          () -> new PpoUpdate(frozen, null, m.policyOpt, m.critic, m.criticOpt, noKl, pad));
      IllegalArgumentException trainableRef = assertThrows(IllegalArgumentException.class,
          () -> new PpoUpdate(m.policy, m.policy, m.policyOpt, m.critic, m.criticOpt, noKl, pad));
      IllegalArgumentException noRef = assertThrows(IllegalArgumentException.class,
          () -> new PpoUpdate(m.policy, null, m.policyOpt, m.critic, m.criticOpt, kl, pad));
      IllegalArgumentException shared = assertThrows(IllegalArgumentException.class,
          () -> new PpoUpdate(m.policy, m.reference, m.policyOpt, m.critic, m.policyOpt, noKl, pad));

      assertTrue(frozenPolicy.getMessage().contains("trainable policy"), frozenPolicy.getMessage());
      assertTrue(trainableRef.getMessage().contains("frozen"), trainableRef.getMessage());
      assertTrue(noRef.getMessage().contains("beta"), noRef.getMessage());
      assertTrue(shared.getMessage().contains("separate optimizers"), shared.getMessage());
    }
  }

  @Test
  void config_badValues_rejectedNamingValue() {
    LrSchedule lr = LrSchedule.constant(1e-3f);
    IllegalArgumentException gamma = assertThrows(IllegalArgumentException.class,
        () -> new PpoUpdate.Config(1.5f, 0.95f, true, 0.2f, 0.2f, 0.2f, 0.5f, 0f, KlEstimator.K3, 1f, lr, lr));
    IllegalArgumentException lambda = assertThrows(IllegalArgumentException.class,
        () -> new PpoUpdate.Config(1f, -0.5f, true, 0.2f, 0.2f, 0.2f, 0.5f, 0f, KlEstimator.K3, 1f, lr, lr));
    IllegalArgumentException clip = assertThrows(IllegalArgumentException.class,
        () -> new PpoUpdate.Config(1f, 0.95f, true, 1.5f, 0.2f, 0.2f, 0.5f, 0f, KlEstimator.K3, 1f, lr, lr));
    IllegalArgumentException valueClip = assertThrows(IllegalArgumentException.class,
        () -> new PpoUpdate.Config(1f, 0.95f, true, 0.2f, 0.2f, 0f, 0.5f, 0f, KlEstimator.K3, 1f, lr, lr));
    IllegalArgumentException vfCoef = assertThrows(IllegalArgumentException.class,
        () -> new PpoUpdate.Config(1f, 0.95f, true, 0.2f, 0.2f, 0.2f, -2f, 0f, KlEstimator.K3, 1f, lr, lr));
    IllegalArgumentException beta = assertThrows(IllegalArgumentException.class,
        () -> new PpoUpdate.Config(1f, 0.95f, true, 0.2f, 0.2f, 0.2f, 0.5f, -1f, KlEstimator.K3, 1f, lr, lr));
    NullPointerException schedule = assertThrows(NullPointerException.class,
        () -> new PpoUpdate.Config(1f, 0.95f, true, 0.2f, 0.2f, 0.2f, 0.5f, 0f, KlEstimator.K3, 1f, lr, null));

    assertTrue(gamma.getMessage().contains("gamma") && gamma.getMessage().contains("1.5"), gamma.getMessage());
    assertTrue(lambda.getMessage().contains("lambda") && lambda.getMessage().contains("-0.5"), lambda.getMessage());
    assertTrue(clip.getMessage().contains("1.5"), clip.getMessage());
    assertTrue(valueClip.getMessage().contains("value clip") && valueClip.getMessage().contains("0.0"),
        valueClip.getMessage());
    assertTrue(vfCoef.getMessage().contains("vf-coef") && vfCoef.getMessage().contains("-2.0"), vfCoef.getMessage());
    assertTrue(beta.getMessage().contains("beta") && beta.getMessage().contains("-1.0"), beta.getMessage());
    assertTrue(schedule.getMessage().contains("critic"), schedule.getMessage());
    PpoUpdate.Config unclipped =
        new PpoUpdate.Config(1f, 0.95f, true, 0.2f, 0.2f, Float.POSITIVE_INFINITY, 0.5f, 0f, KlEstimator.K3, 1f, lr,
            lr);
    assertEquals(Float.POSITIVE_INFINITY, unclipped.clipValue());
    assertEquals(0.95f, PpoUpdate.Config.defaults(lr, lr).lambda());
  }

  @Test
  void rows_minibatch_keepsThoseTrajectoriesPreparedArraysCutToTheirWidth() {
    try (Models m = new Models(13)) {
      PpoUpdate update = m.update(PpoFixtures.config(0.95f, true, 0.04f));
      List<Trajectory> batch = PpoFixtures.batch(m.policy);
      PpoUpdate.Batch full = update.prepare(batch, PpoFixtures.rewardOn(batch, '7'));

      PpoUpdate.Batch part = full.rows(new int[] {2, 0});

      assertEquals(2, part.sequences().size());
      int width = Math.max(batch.get(2).prompt().length + batch.get(2).completion().length,
          batch.get(0).prompt().length + batch.get(0).completion().length) - 1;
      int[] picked = {2, 0};
      for (int i = 0; i < 2; i++) {
        int b = picked[i];
        assertEquals(width, part.mask()[i].length);
        assertArrayEquals(Arrays.copyOf(full.mask()[b], width), part.mask()[i], "mask " + b);
        assertArrayEquals(Arrays.copyOf(full.advantages()[b], width), part.advantages()[i], "advantages " + b);
        assertArrayEquals(Arrays.copyOf(full.returns()[b], width), part.returns()[i], "returns " + b);
        assertArrayEquals(Arrays.copyOf(full.refLogp()[b], width), part.refLogp()[i], "ref " + b);
        for (int j = width; j < full.mask()[b].length; j++) {
          assertEquals(0f, full.mask()[b][j], "only padding is cut");
        }
      }
      assertEquals(full.metrics(), part.metrics());
    }
  }

  @Test
  void train_twoEpochsOfTwoMinibatches_takesFourStepsAndReportsTheirMeans() {
    try (Models m = new Models(14)) {
      PpoUpdate update = m.update(PpoFixtures.config(0.95f, true, 0.04f));
      List<Trajectory> batch = PpoFixtures.batch(m.policy);

      Map<String, Double> metrics = update.train(batch, PpoFixtures.rewardOn(batch, '7'), 2, 2, 5);

      assertEquals(4, update.steps());
      assertEquals(4.0, metrics.get("ppo_steps"));
      assertEquals(0.0, metrics.get("skipped"));
      metrics.forEach((k, v) -> assertTrue(Double.isFinite(v), k + " = " + v));
      assertTrue(metrics.get("ratio") != 1.0, "later steps see a moved policy: mean ratio " + metrics.get("ratio"));
      int tokens = batch.stream().mapToInt(t -> t.completion().length).sum();
      assertEquals(tokens, metrics.get("tokens"), 0.0, "the rollout's metrics, not a minibatch's");
    }
  }

  @Test
  void train_badEpochsOrMinibatches_rejectedNamingTheSetting() {
    try (Models m = new Models(15)) {
      PpoUpdate update = m.update(PpoFixtures.config(0.95f, true, 0f));
      List<Trajectory> batch = PpoFixtures.batch(m.policy);
      List<float[]> rewards = PpoFixtures.rewardOn(batch, '7');

      IllegalArgumentException epochs = assertThrows(IllegalArgumentException.class,
          () -> update.train(batch, rewards, 0, 1, 1));
      IllegalArgumentException minibatches = assertThrows(IllegalArgumentException.class,
          () -> update.train(batch, rewards, 1, 5, 1));

      assertTrue(epochs.getMessage().contains("epochs"), epochs.getMessage());
      assertTrue(minibatches.getMessage().contains("minibatches") && minibatches.getMessage().contains("5"),
          minibatches.getMessage());
      assertEquals(0, update.steps());
    }
  }

  @Test
  void scaleBeta_factor_multipliesBetaAndRejectsShrinking() {
    try (Models m = new Models(16)) {
      PpoUpdate update = m.update(PpoFixtures.config(0.95f, true, 0.04f));

      update.scaleBeta(2f);

      assertEquals(0.08f, update.config().beta(), 1e-7f);
      assertThrows(IllegalArgumentException.class, () -> update.scaleBeta(0.5f));
      assertEquals(0.95f, update.config().lambda());
    }
  }
}
