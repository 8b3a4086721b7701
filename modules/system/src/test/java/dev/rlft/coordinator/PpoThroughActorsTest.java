package dev.rlft.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rlft.algo.AdvantageEstimator;
import dev.rlft.learner.Learner;
import dev.rlft.model.PromptTemplate;
import dev.rlft.model.SamplingParams;
import dev.rlft.prm.StepScorer;
import dev.rlft.prm.StepSolution;
import dev.rlft.reward.BoxedAnswerReward;
import dev.rlft.rollout.RolloutWorker;
import dev.rlft.steps.CreditAssignment;
import dev.rlft.steps.HackingSentinel;
import dev.rlft.steps.ProcessAdvantages;
import dev.rlft.steps.ProcessRewards;
import dev.rlft.steps.StepSegmenter;
import dev.rlft.system.LocalGrpoRun;
import dev.rlft.testing.TinyPolicy;
import dev.rlft.testing.WireChecked;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** PPO through the actors: step scores become per-token rewards for a learner with a critic. */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class PpoThroughActorsTest {

  private static final long SEED = 9;

  private static final ProcessRewards.Config REWARDS = new ProcessRewards.Config(StepSegmenter.Config.DEFAULT,
      CreditAssignment.MIN, CreditAssignment.Params.DEFAULT, ProcessAdvantages.Normalisation.RETURNS,
      new ProcessAdvantages.Weights(1.0, 1.0), AdvantageEstimator.GRPO);

  /** Scores a step 0.9 when it holds an equation, else 0.1, after a delay; counts the completions it saw. */
  private static final class EquationScorer implements StepScorer {
    final AtomicInteger solutions = new AtomicInteger();
    final long delayMillis;

    EquationScorer(long delayMillis) {
      this.delayMillis = delayMillis;
    }

    @Override
    public float[][] score(List<StepSolution> batch) {
      try {
        Thread.sleep(delayMillis);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      solutions.addAndGet(batch.size());
      float[][] out = new float[batch.size()][];
      for (int i = 0; i < out.length; i++) {
        List<String> steps = batch.get(i).steps();
        out[i] = new float[steps.size()];
        for (int j = 0; j < steps.size(); j++) {
          out[i][j] = steps.get(j).contains("=") ? 0.9f : 0.1f;
        }
      }
      return out;
    }
  }

  private static final Map<String, float[]> INITIAL = TinyPolicy.initialWeights(SEED);

  private static LocalGrpoRun.Plan plan(int steps, EquationScorer scorer, Duration timeout,
      HackingSentinel.Config sentinel) {
    Coordinator.Settings settings = new Coordinator.Settings(steps, 2, 2, 1,
        new SamplingParams(1f, 1f, 0, TinyPolicy.MAX_NEW_TOKENS, SEED), Duration.ofSeconds(60), Duration.ofSeconds(30),
        0, Duration.ofSeconds(60));
    Learner.Ppo ppo = new Learner.Ppo(TinyPolicy.ppo(0.95f, 1e-3f), 2, 2, null, SEED);
    return new LocalGrpoRun.Plan(TinyPolicy.ppoLearnerInit(INITIAL, ppo), settings,
        new PromptFeed(TinyPolicy.problems(SEED), SEED), TinyPolicy.TOKENIZER, PromptTemplate.PLAIN,
        new BoxedAnswerReward(), 1, 1, RolloutWorker.ModelSpec.of(TinyPolicy.MODEL),
        scorer == null ? null
            : new LocalGrpoRun.ProcessPlan(scorer, REWARDS, Set.of(TinyPolicy.TOKENIZER.eosId()), timeout, sentinel));
  }

  @Test
  void ppoSteps_throughTheActors_advanceVersions_reportFiniteMetrics_andReturnTheTrainedCritic() {
    EquationScorer scorer = new EquationScorer(0);
    List<StepReport> reports = new CopyOnWriteArrayList<>();

    LocalGrpoRun.Result result = LocalGrpoRun.run(plan(4, scorer, Duration.ofSeconds(30), null), WireChecked.config(),
        reports::add);

    assertNull(result.finished().error());
    assertEquals(4, result.finished().steps());
    assertTrue(result.finished().dropped().isEmpty(), "dropped: " + result.finished().dropped());
    assertEquals(4, result.finished().version());
    assertEquals(4 * 4, scorer.solutions.get(), "every completion was scored once");
    assertEquals(4, reports.size());
    for (int i = 0; i < reports.size(); i++) {
      StepReport r = reports.get(i);
      assertEquals(i + 1, r.version(), "one weight version per PPO update");
      assertEquals(0.0, r.metrics().get("prm_fallback"), "step " + r.step());
      assertEquals(0.0, r.metrics().get("skipped"), "step " + r.step());
      for (String key : List.of("reward", "accuracy", "prm_score_mean", "steps_mean", "pg_loss", "value_loss", "kl",
          "clip_frac", "explained_variance", "value_mean", "return_mean", "adv_abs", "entropy", "grad_norm",
          "critic_grad_norm")) {
        assertNotNull(r.metrics().get(key), key + " at step " + r.step() + " in " + r.metrics().keySet());
        assertTrue(Double.isFinite(r.metrics().get(key)), key + " = " + r.metrics().get(key));
      }
      assertTrue(r.metrics().get("critic_grad_norm") > 0, "the critic learns at step " + r.step());
    }
    assertNotNull(result.critic(), "a PPO run hands back its critic");
    assertEquals(4 * 2 * 2, result.critic().optimizerSteps(), "4 updates of 2 epochs x 2 minibatches");
    assertFalse(Arrays.equals(INITIAL.get("model.norm.weight"), result.critic().weights().get("model.norm.weight")),
        "the critic's backbone trained away from the starting policy");
  }

  @Test
  void aLatePrm_ppoTrainsOnTheOutcomeAlone_andCountsTheFallback() {
    List<StepReport> reports = new CopyOnWriteArrayList<>();

    LocalGrpoRun.Result result = LocalGrpoRun.run(plan(2, new EquationScorer(2_000), Duration.ofMillis(200), null),
        WireChecked.config(), reports::add);

    assertNull(result.finished().error());
    assertEquals(2, result.finished().version(), "fallback batches still train");
    for (StepReport r : reports) {
      assertEquals(1.0, r.metrics().get("prm_fallback"), "step " + r.step());
      assertFalse(r.metrics().containsKey("prm_score_mean"), "no PRM score on a fallback step");
      assertTrue(Double.isFinite(r.metrics().get("value_loss")), "step " + r.step());
    }
  }

  @Test
  void theSentinel_pausesAPpoRun_whenASignalFires() {
    HackingSentinel.Config pauseAtOnce = new HackingSentinel.Config(1, 0.05, 0.05, 0.4, 0.5, -1.0, 1.0,
        HackingSentinel.Action.PAUSE, 2.0, CreditAssignment.MIN);
    List<StepReport> reports = new CopyOnWriteArrayList<>();

    LocalGrpoRun.Result result = LocalGrpoRun.run(plan(4, new EquationScorer(0), Duration.ofSeconds(30), pauseAtOnce),
        WireChecked.config(), reports::add);

    assertTrue(result.finished().error() != null && result.finished().error().contains("paused by the"),
        "error: " + result.finished().error());
    assertEquals(2, reports.size(), "the run stops at the step the sentinel fires");
    assertEquals(4.0, reports.get(1).metrics().get("sentinel_action"));
  }

  @Test
  void plan_ppoWithoutAStepScorer_isRejected() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> plan(1, null, Duration.ofSeconds(1), null));

    assertTrue(e.getMessage().contains("step scorer"), e.getMessage());
  }
}
