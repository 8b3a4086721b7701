package dev.rlft.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rlft.algo.AdvantageEstimator;
import dev.rlft.checkpoint.Checkpoint;
import dev.rlft.learner.Learner;
import dev.rlft.model.PromptTemplate;
import dev.rlft.model.SamplingParams;
import dev.rlft.reward.BoxedAnswerReward;
import dev.rlft.rollout.RolloutWorker;
import dev.rlft.steps.CreditAssignment;
import dev.rlft.steps.HackingSentinel;
import dev.rlft.steps.OutcomeGate;
import dev.rlft.steps.ProcessAdvantages;
import dev.rlft.steps.ProcessRewards;
import dev.rlft.steps.StepSegmenter;
import dev.rlft.system.LocalGrpoRun;
import dev.rlft.testing.TinyPolicy;
import dev.rlft.testing.Weights;
import dev.rlft.testing.WireChecked;
import dev.rlft.train.AdamW;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A PPO run that checkpoints as it goes, and a run resumed from such a checkpoint: the rolling
 * checkpoint carries the policy, its optimizer moments, the critic and the critic's optimizer, the
 * weight version, the KL weight and the data cursor, so the resumed run ends where the uninterrupted
 * one does; without either optimizer's state it ends elsewhere.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class PpoResumeTest {

  private static final long SEED = 21;

  private static final Map<String, float[]> INITIAL = TinyPolicy.initialWeights(SEED);

  private static final int EPOCHS = 2;

  private static final int MINIBATCHES = 2;

  private static final ProcessRewards.Config REWARDS = new ProcessRewards.Config(StepSegmenter.Config.DEFAULT,
      CreditAssignment.MIN, CreditAssignment.Params.DEFAULT, ProcessAdvantages.Normalisation.RETURNS,
      new ProcessAdvantages.Weights(1.0, 1.0), AdvantageEstimator.GRPO);

  @TempDir
  Path dir;

  private record Outcome(LocalGrpoRun.Result result, List<StepReport> reports) {}

  /**
   * Rewards the sentinel's guard changes: sum credit, no outcome gate, rewards normalised, no
   * outcome weight (the unguarded setting of docs/results.md).
   */
  private static final ProcessRewards.Config UNGUARDED = new ProcessRewards.Config(StepSegmenter.Config.DEFAULT,
      CreditAssignment.SUM, new CreditAssignment.Params(0.5, 0.0, OutcomeGate.NONE),
      ProcessAdvantages.Normalisation.REWARDS, new ProcessAdvantages.Weights(0.0, 1.0), AdvantageEstimator.GRPO);

  /** A sentinel that guards at every step once it has seen two (a window of one; any KL is too much). */
  private static final HackingSentinel.Config GUARD_ALWAYS = new HackingSentinel.Config(1, 0.05, 0.05, 0.4, 0.5,
      -1.0, 1.0, HackingSentinel.Action.GUARD, 2.0, CreditAssignment.MIN);

  private static Outcome run(int steps, Learner.Init init, Coordinator.Recovery recovery) {
    return run(steps, init, recovery, REWARDS, null);
  }

  private static Outcome run(int steps, Learner.Init init, Coordinator.Recovery recovery,
      ProcessRewards.Config rewards, HackingSentinel.Config sentinel) {
    Coordinator.Settings settings = new Coordinator.Settings(steps, 2, 2, 0,
        new SamplingParams(1f, 1f, 0, TinyPolicy.MAX_NEW_TOKENS, SEED), Duration.ofSeconds(60), Duration.ofSeconds(30),
        0, Duration.ofSeconds(60));
    LocalGrpoRun.Plan plan = new LocalGrpoRun.Plan(init, settings, new PromptFeed(TinyPolicy.problems(SEED), SEED),
        TinyPolicy.TOKENIZER, PromptTemplate.PLAIN, new BoxedAnswerReward(), 1, 1,
        RolloutWorker.ModelSpec.of(TinyPolicy.MODEL),
        new LocalGrpoRun.ProcessPlan(new EquationScorer(0), rewards, Set.of(TinyPolicy.TOKENIZER.eosId()),
            Duration.ofSeconds(30), sentinel),
        recovery);
    List<StepReport> reports = new CopyOnWriteArrayList<>();
    LocalGrpoRun.Result result = LocalGrpoRun.run(plan, WireChecked.config(), reports::add);
    assertNull(result.finished().error());
    assertNotNull(result.critic(), "a PPO run hands back its critic");
    return new Outcome(result, reports);
  }

  private static Learner.Ppo ppo(Checkpoint.Critic critic) {
    return new Learner.Ppo(TinyPolicy.ppo(0.95f, 1e-3f), EPOCHS, MINIBATCHES, critic, SEED);
  }

  /** A PPO learner continuing from {@code ckpt}, its KL reference still the run's starting weights. */
  private static Learner.Init resumed(Checkpoint ckpt, Checkpoint.Critic critic, Learner.Resume resume) {
    return new Learner.Init(TinyPolicy.MODEL, TinyPolicy.TOKENIZER, ckpt.weights(), INITIAL, ckpt.weightVersion(),
        AdamW.Config.defaults(), TinyPolicy.grpo(), null, 0, ppo(critic), resume);
  }

  private static Learner.Resume policyState(Checkpoint ckpt) {
    return new Learner.Resume(ckpt.optimizerState(), ckpt.optimizerSteps(), ckpt.adapters());
  }

  private static Map<String, float[]> zeros(Map<String, float[]> like) {
    Map<String, float[]> out = new HashMap<>();
    like.forEach((k, v) -> out.put(k, new float[v.length]));
    return out;
  }

  @Test
  void resume_ppoRun_endsWithThePolicyAndCriticOfTheUninterruptedRun_andNeedsBothOptimizers() throws Exception {
    Path ckptDir = dir.resolve("grpo-latest");
    Outcome straight = run(3, TinyPolicy.ppoLearnerInit(INITIAL, ppo(null)),
        new Coordinator.Recovery(ckptDir.toString(), 2, null));

    Checkpoint ckpt = Checkpoint.load(ckptDir);
    assertEquals(2, ckpt.weightVersion());
    int perUpdate = EPOCHS * MINIBATCHES;
    assertEquals(2L * perUpdate, ckpt.optimizerSteps(), "the policy optimizer's steps");
    assertFalse(ckpt.optimizerState().isEmpty(), "no policy optimizer moments in the checkpoint");
    assertNotNull(ckpt.critic(), "no critic in the rolling checkpoint");
    assertEquals(2L * perUpdate, ckpt.critic().optimizerSteps(), "the critic optimizer's steps");
    assertFalse(ckpt.critic().optimizerState().isEmpty(), "no critic optimizer moments in the checkpoint");
    assertEquals("0.04", ckpt.metadata().get(Learner.BETA_KEY), "the KL weight in force");
    ResumeCursor cursor = ResumeCursor.fromMetadata(ckpt.metadata());
    assertEquals(2, cursor.trainedSteps());
    assertEquals(2, cursor.nextBatchId());

    Outcome again = run(3, resumed(ckpt, ckpt.critic(), policyState(ckpt)),
        new Coordinator.Recovery(dir.resolve("again").toString(), 0, cursor));

    assertEquals(3, again.result().finished().version());
    assertEquals(List.of(3), again.reports().stream().map(StepReport::step).toList());
    assertEquals(2, again.reports().get(0).batchId(), "the resumed run must draw the next batch, not batch 0");
    StepReport straightLast = straight.reports().get(2);
    for (String key : List.of("loss", "value_loss", "explained_variance", "pg_loss", "kl")) {
      assertEquals(straightLast.metrics().get(key), again.reports().get(0).metrics().get(key), key + " of step 3");
    }
    double policyDiff = Weights.maxDifference(straight.result().finalWeights().asMap(), again.result().finalWeights().asMap());
    assertTrue(policyDiff < 1e-6, "resumed policy differs from the uninterrupted run's by " + policyDiff);
    double criticDiff = Weights.maxDifference(straight.result().critic().weights(), again.result().critic().weights());
    assertTrue(criticDiff < 1e-6, "resumed critic differs from the uninterrupted run's by " + criticDiff);
    assertEquals(straight.result().critic().optimizerSteps(), again.result().critic().optimizerSteps());

    // the policy optimizer's moments matter: a resume without them ends elsewhere
    Outcome noPolicyMoments = run(3, resumed(ckpt, ckpt.critic(),
        new Learner.Resume(zeros(ckpt.optimizerState()), 0, Map.of())),
        new Coordinator.Recovery(dir.resolve("no-policy-moments").toString(), 0, cursor));
    double forgetful = Weights.maxDifference(straight.result().finalWeights().asMap(),
        noPolicyMoments.result().finalWeights().asMap());
    assertTrue(forgetful > 1e-5, "policy optimizer state made no difference (" + forgetful + "): test is blind");

    // and so do the critic optimizer's
    Checkpoint.Critic freshCriticOptimizer = new Checkpoint.Critic(ckpt.critic().weights(), Map.of(), 0);
    Outcome noCriticMoments = run(3, resumed(ckpt, freshCriticOptimizer, policyState(ckpt)),
        new Coordinator.Recovery(dir.resolve("no-critic-moments").toString(), 0, cursor));
    double criticForgetful = Weights.maxDifference(straight.result().critic().weights(),
        noCriticMoments.result().critic().weights());
    assertTrue(criticForgetful > 1e-5, "critic optimizer state made no difference (" + criticForgetful
        + "): test is blind");
  }

  @Test
  void resume_afterTheSentinelGuarded_keepsTheGuardAndTheSentinelsWindow() throws Exception {
    Path ckptDir = dir.resolve("grpo-latest");
    Outcome straight = run(3, TinyPolicy.ppoLearnerInit(INITIAL, ppo(null)),
        new Coordinator.Recovery(ckptDir.toString(), 2, null), UNGUARDED, GUARD_ALWAYS);
    assertEquals(5.0, straight.reports().get(1).metrics().get("sentinel_action"), "the sentinel guards at step 2");
    assertEquals(5.0, straight.reports().get(2).metrics().get("sentinel_action"), "and again at step 3");

    Checkpoint ckpt = Checkpoint.load(ckptDir);
    ResumeCursor cursor = ResumeCursor.fromMetadata(ckpt.metadata());
    assertEquals(List.of(HackingSentinel.Action.GUARD), cursor.sentinelActions());
    assertNotNull(cursor.sentinel(), "the sentinel's window is in the checkpoint");
    assertEquals(2, cursor.sentinel().observed());

    Outcome again = run(3, resumed(ckpt, ckpt.critic(), policyState(ckpt)),
        new Coordinator.Recovery(dir.resolve("again").toString(), 0, cursor), UNGUARDED, GUARD_ALWAYS);
    Map<String, Double> expected = straight.reports().get(2).metrics();
    Map<String, Double> got = again.reports().get(0).metrics();
    for (String key : List.of("loss", "value_loss", "return_mean", "sentinel_action")) {
      assertEquals(expected.get(key), got.get(key), key + " of step 3");
    }

    // the checks see both parts: without the guard in force step 3 trains on other rewards, and a
    // sentinel that starts afresh has not seen enough steps to decide at step 3
    ResumeCursor unguarded = new ResumeCursor(cursor.trainedSteps(), cursor.trainedSamples(), cursor.nextBatchId(),
        cursor.nextGroupId(), cursor.feedPosition(), cursor.pending(), cursor.droppedBatches(), cursor.groups(),
        cursor.sentinel(), List.of());
    Map<String, Double> withoutGuard = run(3, resumed(ckpt, ckpt.critic(), policyState(ckpt)),
        new Coordinator.Recovery(dir.resolve("unguarded").toString(), 0, unguarded), UNGUARDED, GUARD_ALWAYS)
        .reports().get(0).metrics();
    assertTrue(!expected.get("return_mean").equals(withoutGuard.get("return_mean")),
        "the guard made no difference to step 3's returns: test is blind");
    ResumeCursor forgetful = new ResumeCursor(cursor.trainedSteps(), cursor.trainedSamples(), cursor.nextBatchId(),
        cursor.nextGroupId(), cursor.feedPosition(), cursor.pending(), cursor.droppedBatches(), cursor.groups(),
        null, cursor.sentinelActions());
    Map<String, Double> freshSentinel = run(3, resumed(ckpt, ckpt.critic(), policyState(ckpt)),
        new Coordinator.Recovery(dir.resolve("fresh-sentinel").toString(), 0, forgetful), UNGUARDED, GUARD_ALWAYS)
        .reports().get(0).metrics();
    assertFalse(freshSentinel.containsKey("sentinel_action"), "a fresh sentinel decided at once: test is blind");
  }
}
