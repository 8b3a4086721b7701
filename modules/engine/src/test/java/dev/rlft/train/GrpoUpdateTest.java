package dev.rlft.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import dev.rlft.algo.AdvantageEstimator;
import dev.rlft.algo.KlEstimator;
import dev.rlft.algo.LossAggregation;
import dev.rlft.model.CharTokenizer;
import dev.rlft.model.GcChurn;
import dev.rlft.model.Generation;
import dev.rlft.model.LlamaModel;
import dev.rlft.model.LoraConfig;
import dev.rlft.model.ModelConfig;
import dev.rlft.model.PromptTemplate;
import dev.rlft.model.Sampler;
import dev.rlft.model.SamplingParams;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** One GRPO update on a one-layer model with trajectories sampled from it. */
class GrpoUpdateTest {

  private static final CharTokenizer TOK = TinyModel.TOKENIZER;
  private static final ModelConfig TINY = TinyModel.CONFIG;
  private static final AdamW.Config NO_DECAY = TinyModel.NO_DECAY;
  private static final List<String> PROMPTS = List.of("Start with 3. Add 4.", "Start with 9. Take away 2.");
  private static final int GROUP = 2;

  @BeforeAll
  static void oneThread() {
    TinyModel.useOneTorchThread();
  }

  private static GrpoUpdate.Config config(float beta) {
    return new GrpoUpdate.Config(AdvantageEstimator.GRPO, 0.2f, 0.2f, beta, KlEstimator.K3,
        LossAggregation.TOKEN_MEAN, 1f, LrSchedule.constant(1e-2f));
  }

  /** GROUP completions per prompt sampled from {@code policy}, consecutive per group, with the given rewards. */
  private static List<Trajectory> sample(LlamaModel policy, NDManager scope, float... rewards) {
    List<int[]> prompts = new ArrayList<>();
    for (String p : PROMPTS) {
      for (int g = 0; g < GROUP; g++) {
        prompts.add(PromptTemplate.PLAIN.encode(TOK, p));
      }
    }
    List<Generation> gens = Sampler.generate(policy, prompts, new SamplingParams(1f, 1f, 0, 12, 42), TOK.eosId(), scope);
    List<Trajectory> out = new ArrayList<>();
    for (int i = 0; i < gens.size(); i++) {
      out.add(new Trajectory(i / GROUP, prompts.get(i), gens.get(i).tokens(), gens.get(i).logprobs(), 0, rewards[i],
          rewards[i] > 0));
    }
    return out;
  }

  /**
   * A LoRA update repeated with learning rate 0 gives the same loss and gradient every time, also
   * while the garbage collector frees and overwrites direct buffers: the adapter scale, the
   * attention scale and the KL weight stay alive for the backward pass ({@link
   * dev.rlft.model.Scalars}).
   */
  @Test
  void loraStep_repeatedAtZeroLearningRateWhileGarbageIsCollected_sameLossAndGradientEveryTime() throws Exception {
    GrpoUpdate.Config zeroLr = new GrpoUpdate.Config(AdvantageEstimator.GRPO, 0.2f, 0.2f, 0.04f, KlEstimator.K3,
        LossAggregation.TOKEN_MEAN, 0.9f, LrSchedule.constant(0f));
    LoraConfig lora = new LoraConfig(4, 8f, 0f, Set.of("q_proj", "v_proj", "down_proj"));
    try (NDManager root = NDManager.newBaseManager(); GcChurn churn = new GcChurn()) {
      Map<String, float[]> w;
      try (LlamaModel init = LlamaModel.initialize(TINY, 7, root, false)) {
        w = init.exportWeights();
      }
      try (LlamaModel policy = LlamaModel.withLora(TINY, w, lora, null, 5, root, true);
          AdamW opt = new AdamW(policy.trainableParameters(), NO_DECAY, root)) {
        List<Trajectory> batch = sample(policy, root, 1f, 0f, 0f, 1f);
        GrpoUpdate update = new GrpoUpdate(policy, null, opt, zeroLr, TOK.padId());
        Map<String, Double> first = update.step(batch, GROUP);
        assertTrue(first.get("grad_norm") > 0, "grad norm " + first.get("grad_norm"));
        for (int i = 0; i < 20; i++) {
          Map<String, Double> again = update.step(batch, GROUP);
          assertEquals(first.get("loss"), again.get("loss"), "loss at repeat " + (i + 1));
          assertEquals(first.get("grad_norm"), again.get("grad_norm"), "grad norm at repeat " + (i + 1));
        }
      }
    }
  }

  @Test
  void step_mixedRewards_lossFiniteEveryPolicyParameterMovedReferenceUnchanged() {
    try (NDManager root = NDManager.newBaseManager();
        LlamaModel policy = LlamaModel.initialize(TINY, 7, root, true);
        LlamaModel reference = LlamaModel.fromWeights(TINY, policy.exportWeights(), root, false);
        AdamW opt = new AdamW(policy.parameters(), NO_DECAY, root)) {
      List<Trajectory> batch = sample(policy, root, 1f, 0f, 0f, 1f);
      Map<String, float[]> before = policy.exportWeights();
      GrpoUpdate update = new GrpoUpdate(policy, reference, opt, config(0.04f), TOK.padId());

      Map<String, Double> metrics = update.step(batch, GROUP);

      assertTrue(Double.isFinite(metrics.get("loss")), "loss " + metrics.get("loss"));
      assertTrue(metrics.get("grad_norm") > 0, "grad norm " + metrics.get("grad_norm"));
      assertEquals(1, update.steps());
      Map<String, float[]> after = policy.exportWeights();
      Map<String, float[]> ref = reference.exportWeights();
      for (String name : before.keySet()) {
        assertFalse(Arrays.equals(before.get(name), after.get(name)), name + " did not move");
        assertArrayEquals(before.get(name), ref.get(name), "reference " + name + " changed");
      }
    }
  }

  @Test
  void step_samePolicyAsSampler_ratioOneAndNoKl() {
    try (NDManager root = NDManager.newBaseManager();
        LlamaModel policy = LlamaModel.initialize(TINY, 8, root, true);
        LlamaModel reference = LlamaModel.fromWeights(TINY, policy.exportWeights(), root, false);
        AdamW opt = new AdamW(policy.parameters(), NO_DECAY, root)) {
      List<Trajectory> batch = sample(policy, root, 1f, 0f, 0f, 1f);

      Map<String, Double> metrics = new GrpoUpdate(policy, reference, opt, config(0.04f), TOK.padId()).step(batch, GROUP);

      assertEquals(1.0, metrics.get("ratio"), 1e-3, "sampler and learner agree on log-probabilities");
      assertEquals(0.0, metrics.get("clip_frac"), 1e-9);
      assertEquals(0.0, metrics.get("kl"), 1e-4, "policy equals the reference before the update");
      int tokens = batch.stream().mapToInt(t -> t.completion().length).sum();
      assertEquals(tokens, metrics.get("tokens"), 0.0);
    }
  }

  @Test
  void step_allGroupsEqualReward_noPolicyGradientAndWeightsUnchanged() {
    try (NDManager root = NDManager.newBaseManager();
        LlamaModel policy = LlamaModel.initialize(TINY, 9, root, true);
        AdamW opt = new AdamW(policy.parameters(), NO_DECAY, root)) {
      List<Trajectory> batch = sample(policy, root, 1f, 1f, 0f, 0f);
      Map<String, float[]> before = policy.exportWeights();

      Map<String, Double> metrics = new GrpoUpdate(policy, null, opt, config(0f), TOK.padId()).step(batch, GROUP);

      assertEquals(0.0, metrics.get("grad_norm"), 0.0);
      assertEquals(2.0, metrics.get("zero_adv_groups"), 0.0);
      assertEquals(0.0, metrics.get("adv_abs"), 0.0);
      Map<String, float[]> after = policy.exportWeights();
      for (String name : before.keySet()) {
        assertArrayEquals(before.get(name), after.get(name), name + " moved without a gradient");
      }
    }
  }

  @Test
  void step_anyBatch_reportsEveryMetric() {
    try (NDManager root = NDManager.newBaseManager();
        LlamaModel policy = LlamaModel.initialize(TINY, 10, root, true);
        LlamaModel reference = LlamaModel.fromWeights(TINY, policy.exportWeights(), root, false);
        AdamW opt = new AdamW(policy.parameters(), NO_DECAY, root)) {
      List<Trajectory> batch = sample(policy, root, 0f, 1f, 1f, 1f);

      Map<String, Double> metrics = new GrpoUpdate(policy, reference, opt, config(0.04f), TOK.padId()).step(batch, GROUP);

      assertEquals(Set.of("loss", "pg_loss", "kl", "clip_frac", "ratio", "entropy", "grad_norm", "lr", "adv_abs",
          "tokens", "zero_adv_groups", "skipped"), metrics.keySet());
      metrics.forEach((k, v) -> assertTrue(Double.isFinite(v), k + " = " + v));
      assertEquals(1e-2, metrics.get("lr"), 1e-9);
      assertEquals(1.0, metrics.get("zero_adv_groups"), 0.0, "group 1 is all correct");
      assertTrue(metrics.get("entropy") > 0, "entropy " + metrics.get("entropy"));
    }
  }

  @Test
  void step_partialGroup_rejectedWithoutUpdating() {
    try (NDManager root = NDManager.newBaseManager();
        LlamaModel policy = LlamaModel.initialize(TINY, 11, root, true);
        AdamW opt = new AdamW(policy.parameters(), NO_DECAY, root)) {
      List<Trajectory> batch = sample(policy, root, 1f, 0f, 0f, 1f);
      GrpoUpdate update = new GrpoUpdate(policy, null, opt, config(0f), TOK.padId());

      IllegalArgumentException partial =
          assertThrows(IllegalArgumentException.class, () -> update.step(batch.subList(0, 3), GROUP));
      IllegalArgumentException empty = assertThrows(IllegalArgumentException.class, () -> update.step(List.of(), GROUP));

      assertTrue(partial.getMessage().contains("3") && partial.getMessage().contains("whole groups"),
          partial.getMessage());
      assertTrue(empty.getMessage().contains("whole groups"), empty.getMessage());
      assertEquals(0, update.steps());
    }
  }

  @Test
  void step_groupIdsMixedWithinGroup_rejectedNamingTrajectory() {
    try (NDManager root = NDManager.newBaseManager();
        LlamaModel policy = LlamaModel.initialize(TINY, 12, root, true);
        AdamW opt = new AdamW(policy.parameters(), NO_DECAY, root)) {
      List<Trajectory> batch = new ArrayList<>(sample(policy, root, 1f, 0f, 0f, 1f));
      Trajectory t = batch.get(1);
      batch.set(1, new Trajectory(5, t.prompt(), t.completion(), t.logprobs(), 0, t.reward(), t.correct()));
      GrpoUpdate update = new GrpoUpdate(policy, null, opt, config(0f), TOK.padId());

      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> update.step(batch, GROUP));

      assertTrue(e.getMessage().contains("trajectory 1"), e.getMessage());
    }
  }

  @Test
  void constructor_betaWithoutReferenceOrTrainableReference_rejected() {
    try (NDManager root = NDManager.newBaseManager();
        LlamaModel policy = LlamaModel.initialize(TINY, 13, root, true);
        LlamaModel trainableRef = LlamaModel.initialize(TINY, 13, root, true);
        AdamW opt = new AdamW(policy.parameters(), NO_DECAY, root)) {
      assertThrows(IllegalArgumentException.class, () -> new GrpoUpdate(policy, null, opt, config(0.04f), 0));
      assertThrows(IllegalArgumentException.class, () -> new GrpoUpdate(policy, trainableRef, opt, config(0.04f), 0));
    }
  }

  @Test
  void config_badValues_rejectedNamingValue() {
    IllegalArgumentException beta = assertThrows(IllegalArgumentException.class, () -> config(-1f));
    IllegalArgumentException clip = assertThrows(IllegalArgumentException.class,
        () -> new GrpoUpdate.Config(AdvantageEstimator.GRPO, 1.5f, 0.2f, 0f, KlEstimator.K3,
            LossAggregation.TOKEN_MEAN, 1f, LrSchedule.constant(1e-3f)));

    assertTrue(beta.getMessage().contains("beta") && beta.getMessage().contains("-1.0"), beta.getMessage());
    assertTrue(clip.getMessage().contains("1.5"), clip.getMessage());
  }
}
