package dev.rlft.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rlft.algo.AdvantageEstimator;
import dev.rlft.model.PromptTemplate;
import dev.rlft.model.SamplingParams;
import dev.rlft.prm.StepScorer;
import dev.rlft.prm.StepSolution;
import dev.rlft.reward.BoxedAnswerReward;
import dev.rlft.rollout.RolloutWorker;
import dev.rlft.steps.CreditAssignment;
import dev.rlft.steps.ProcessAdvantages;
import dev.rlft.steps.ProcessRewards;
import dev.rlft.steps.StepSegmenter;
import dev.rlft.system.LocalGrpoRun;
import dev.rlft.testing.TinyPolicy;
import dev.rlft.testing.WireChecked;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Process-supervised GRPO through the actors: step scores from a step-reward worker, and the fallback when it is late. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ProcessSupervisionTest {

  private static final long SEED = 7;

  private static final ProcessRewards.Config REWARDS = new ProcessRewards.Config(StepSegmenter.Config.DEFAULT,
      CreditAssignment.MIN, CreditAssignment.Params.DEFAULT, ProcessAdvantages.Normalisation.RETURNS,
      new ProcessAdvantages.Weights(1.0, 1.0), AdvantageEstimator.GRPO);

  /** Scores a step 0.9 when it holds an equation, else 0.1; counts the completions it saw. */
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

  private static List<StepReport> run(EquationScorer scorer, Duration timeout) {
    return run(scorer, timeout, null, null);
  }

  private static List<StepReport> run(EquationScorer scorer, Duration timeout,
      dev.rlft.steps.HackingSentinel.Config sentinel, String expectedError) {
    Coordinator.Settings settings = new Coordinator.Settings(3, 2, 2, 0,
        new SamplingParams(1f, 1f, 0, TinyPolicy.MAX_NEW_TOKENS, SEED), Duration.ofSeconds(60), Duration.ofSeconds(30),
        0, Duration.ofSeconds(60));
    Map<String, float[]> initial = TinyPolicy.initialWeights(SEED);
    LocalGrpoRun.Plan plan = new LocalGrpoRun.Plan(TinyPolicy.learnerInit(initial), settings,
        new PromptFeed(TinyPolicy.problems(SEED), SEED), TinyPolicy.TOKENIZER, PromptTemplate.PLAIN,
        new BoxedAnswerReward(), 1, 1, RolloutWorker.ModelSpec.of(TinyPolicy.MODEL),
        new LocalGrpoRun.ProcessPlan(scorer, REWARDS, Set.of(TinyPolicy.TOKENIZER.eosId()), timeout, sentinel));
    List<StepReport> reports = new CopyOnWriteArrayList<>();
    LocalGrpoRun.Result result = LocalGrpoRun.run(plan, WireChecked.config(), reports::add);
    if (expectedError != null) {
      assertTrue(result.finished().error() != null && result.finished().error().contains(expectedError),
          "error: " + result.finished().error());
      return reports;
    }
    assertNull(result.finished().error());
    assertEquals(3, result.finished().steps());
    assertTrue(result.finished().dropped().isEmpty(), "dropped: " + result.finished().dropped());
    return reports;
  }

  @Test
  void stepScores_reachTheLearnerAsTokenAdvantages() {
    EquationScorer scorer = new EquationScorer(0);
    List<StepReport> reports = run(scorer, Duration.ofSeconds(30));
    assertEquals(3 * 4, scorer.solutions.get(), "every completion was scored once");
    for (StepReport r : reports) {
      assertEquals(0.0, r.metrics().get("prm_fallback"), "step " + r.step());
      assertTrue(r.metrics().get("steps_mean") >= 0, "step " + r.step());
      assertTrue(Double.isFinite(r.metrics().get("loss")), "step " + r.step());
      assertEquals(0.0, r.metrics().get("skipped"));
      assertEquals(r.sampleSteps().length, r.sampleStepScores().length, "one score per shown step");
      assertTrue(r.sampleSteps().length >= 1, "step " + r.step());
      for (int i = 0; i < r.sampleSteps().length; i++) {
        assertEquals(r.sampleSteps()[i].contains("=") ? 0.9f : 0.1f, r.sampleStepScores()[i], 1e-6,
            "the sample's step " + i + " carries the PRM's own score");
      }
      assertTrue(r.samplePrompt() != null && !r.samplePrompt().isEmpty() && r.sampleAnswer() != null);
    }
  }

  @Test
  void aLatePrm_letsTheBatchTrainOnAccuracyAlone_andIsCounted() {
    List<StepReport> reports = run(new EquationScorer(2_000), Duration.ofMillis(200));
    for (StepReport r : reports) {
      assertEquals(1.0, r.metrics().get("prm_fallback"), "step " + r.step());
      assertNull(r.sampleStepScores(), "no PRM scores to show for a batch trained on accuracy alone");
    }
  }

  @Test
  void theSentinel_pausesTheRun_whenASignalFires() {
    // maxKl below zero: "KL ran away" fires as soon as two windows of one step are seen
    dev.rlft.steps.HackingSentinel.Config pauseAtOnce = new dev.rlft.steps.HackingSentinel.Config(1, 0.05, 0.05, 0.4,
        0.5, -1.0, 1.0, dev.rlft.steps.HackingSentinel.Action.PAUSE, 2.0, CreditAssignment.MIN);
    List<StepReport> reports = run(new EquationScorer(0), Duration.ofSeconds(30), pauseAtOnce, "paused by the");
    assertEquals(2, reports.size(), "the run stops at the step the sentinel fires");
    assertEquals(4.0, reports.get(1).metrics().get("sentinel_action"));
  }
}
