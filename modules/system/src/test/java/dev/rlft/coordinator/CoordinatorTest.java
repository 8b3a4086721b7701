package dev.rlft.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rlft.model.PromptTemplate;
import dev.rlft.model.SamplingParams;
import dev.rlft.reward.BoxedAnswerReward;
import dev.rlft.reward.RewardFunction;
import dev.rlft.reward.RewardResult;
import dev.rlft.system.LocalGrpoRun;
import dev.rlft.testing.TinyPolicy;
import dev.rlft.testing.WireChecked;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The GRPO loop end to end in one JVM ({@link LocalGrpoRun}) on a tiny model, with every message
 * to an actor serialized: step accounting, the staleness bound, reward retries and drops.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class CoordinatorTest {

  private static final long SEED = 5;

  private static final Map<String, float[]> INITIAL = TinyPolicy.initialWeights(SEED);

  private static final int PROMPTS_PER_STEP = 2;

  private static final int GROUP_SIZE = 2;

  private static final int SAMPLES_PER_STEP = PROMPTS_PER_STEP * GROUP_SIZE;

  /** Counts calls and throws on the first {@code failures} of them. */
  private static final class FailsFirst implements RewardFunction {
    final AtomicInteger calls = new AtomicInteger();
    private final int failures;
    private final RewardFunction delegate = new BoxedAnswerReward();

    FailsFirst(int failures) {
      this.failures = failures;
    }

    @Override
    public RewardResult score(String completion, String answer) {
      if (calls.getAndIncrement() < failures) {
        throw new IllegalStateException("reward backend down (test)");
      }
      return delegate.score(completion, answer);
    }

    @Override
    public String name() {
      return "fails-first";
    }
  }

  private record Outcome(LocalGrpoRun.Result result, List<StepReport> reports) {
    Coordinator.Finished finished() {
      return result.finished();
    }

    List<Long> versions() {
      return reports.stream().map(StepReport::version).toList();
    }
  }

  private static Outcome run(int steps, int maxStaleness, RewardFunction reward, Duration rewardTimeout, int retries,
      Consumer<StepReport> alsoOnStep) {
    Coordinator.Settings settings = new Coordinator.Settings(steps, PROMPTS_PER_STEP, GROUP_SIZE, maxStaleness,
        new SamplingParams(1f, 1f, 0, TinyPolicy.MAX_NEW_TOKENS, SEED), Duration.ofSeconds(60), rewardTimeout,
        retries, Duration.ofSeconds(60));
    LocalGrpoRun.Plan plan = new LocalGrpoRun.Plan(TinyPolicy.learnerInit(INITIAL), settings,
        new PromptFeed(TinyPolicy.problems(SEED), SEED), TinyPolicy.TOKENIZER, PromptTemplate.PLAIN, reward, 1, 2);
    List<StepReport> reports = new CopyOnWriteArrayList<>();
    LocalGrpoRun.Result result = LocalGrpoRun.run(plan, WireChecked.config(), r -> {
      alsoOnStep.accept(r);
      reports.add(r);
    });
    return new Outcome(result, reports);
  }

  private static Outcome run(int steps, int maxStaleness, RewardFunction reward, Duration rewardTimeout, int retries) {
    return run(steps, maxStaleness, reward, rewardTimeout, retries, r -> {});
  }

  private static void assertWeightsMoved(LocalGrpoRun.Result result) {
    Map<String, float[]> last = result.finalWeights().asMap();
    assertEquals(INITIAL.keySet(), last.keySet());
    assertTrue(INITIAL.keySet().stream().anyMatch(k -> !Arrays.equals(INITIAL.get(k), last.get(k))),
        "no weight moved during the run");
  }

  @Test
  void run_maxStalenessZero_trainsEveryBatchOnItsOwnWeights() {
    Outcome o = run(3, 0, new BoxedAnswerReward(), Duration.ofSeconds(30), 0);

    assertNull(o.finished().error());
    assertEquals(3, o.finished().steps());
    assertEquals(3, o.finished().version());
    assertEquals(3L * SAMPLES_PER_STEP, o.finished().trainedSamples());
    assertTrue(o.finished().dropped().isEmpty(), "dropped: " + o.finished().dropped());
    assertEquals(List.of(1L, 2L, 3L), o.versions());
    for (StepReport r : o.reports()) {
      assertEquals(0, r.staleness(), "step " + r.step());
      assertEquals(r.version() - 1, r.generatedWith(), "step " + r.step());
      assertTrue(Double.isFinite(r.metrics().get("loss")), "step " + r.step() + " loss " + r.metrics().get("loss"));
    }
    assertEquals(List.of(1, 2, 3), o.reports().stream().map(StepReport::step).toList());
    assertEquals(3, o.result().finalWeights().version());
    assertWeightsMoved(o.result());
  }

  @Test
  void run_maxStalenessOneWithOneRolloutWorker_overlapsWithinTheBound() {
    Outcome o = run(4, 1, new BoxedAnswerReward(), Duration.ofSeconds(30), 0);

    assertNull(o.finished().error());
    assertEquals(4, o.finished().steps());
    assertTrue(o.finished().dropped().isEmpty(), "dropped: " + o.finished().dropped());
    assertEquals(List.of(1L, 2L, 3L, 4L), o.versions());
    assertEquals(4L * PROMPTS_PER_STEP, o.finished().groups().dispatched(), "a batch beyond the last step was drawn");
    assertEquals(4L * PROMPTS_PER_STEP, o.finished().groups().trained());
    List<Long> staleness = o.reports().stream().map(StepReport::staleness).toList();
    assertTrue(staleness.stream().allMatch(s -> s >= 0 && s <= 1), "staleness " + staleness);
    // The single worker generates the next batch while the learner trains the previous one.
    assertTrue(staleness.contains(1L), "no overlap happened; staleness " + staleness);
    for (StepReport r : o.reports()) {
      assertEquals(r.version() - 1 - r.staleness(), r.generatedWith(), "step " + r.step());
    }
    assertEquals(4, o.result().finalWeights().version());
  }

  @Test
  void run_rewardWorkerCrashesOnce_batchIsRetriedAndNothingDropped() {
    FailsFirst reward = new FailsFirst(1);

    Outcome o = run(3, 0, reward, Duration.ofSeconds(1), 2);

    assertNull(o.finished().error());
    assertEquals(3, o.finished().steps());
    assertTrue(o.finished().dropped().isEmpty(), "dropped: " + o.finished().dropped());
    assertEquals(List.of(0L, 1L, 2L), o.reports().stream().map(StepReport::batchId).toList(),
        "the crashed batch 0 must be trained after its retry");
    assertEquals(List.of(1L, 2L, 3L), o.versions());
    assertEquals(1 + 3 * SAMPLES_PER_STEP, reward.calls.get(), "one failed call, then every sample scored once");
  }

  @Test
  void run_rewardFailsWithoutRetries_dropsThatBatchAndTrainsOthers() {
    // With max-staleness 0 batches are scored one at a time, so the first call is batch 0's.
    FailsFirst reward = new FailsFirst(1);

    Outcome o = run(2, 0, reward, Duration.ofSeconds(1), 0);

    assertNull(o.finished().error());
    assertEquals(2, o.finished().steps());
    assertEquals(Map.of("reward failed", 1), o.finished().dropped());
    assertEquals(List.of(1L, 2L), o.reports().stream().map(StepReport::batchId).toList());
    assertEquals(List.of(1L, 2L), o.versions());
    assertEquals(2L * SAMPLES_PER_STEP, o.finished().trainedSamples());
    assertEquals(1 + 2 * SAMPLES_PER_STEP, reward.calls.get());
    Coordinator.Groups g = o.finished().groups();
    assertEquals(3L * PROMPTS_PER_STEP, g.dispatched());
    assertEquals(2L * PROMPTS_PER_STEP, g.trained());
    assertEquals(Map.of("reward failed", (long) PROMPTS_PER_STEP), g.dropped());
    assertEquals(0, g.redispatched());
  }

  @Test
  void run_zeroSteps_finishesAtTheStartVersion() {
    Outcome o = run(0, 0, new BoxedAnswerReward(), Duration.ofSeconds(30), 0);

    assertNull(o.finished().error());
    assertEquals(0, o.finished().steps());
    assertEquals(0, o.finished().version());
    assertTrue(o.reports().isEmpty());
    assertEquals(0, o.result().finalWeights().version());
  }

  @Test
  void run_slowStepListener_stillSeesEveryReport() {
    // A listener slower than the run must not lose the reports still queued when the run ends.
    Outcome o = run(2, 0, new BoxedAnswerReward(), Duration.ofSeconds(30), 0, r -> sleep(Duration.ofMillis(700)));

    assertEquals(2, o.finished().steps());
    assertEquals(List.of(1, 2), o.reports().stream().map(StepReport::step).toList());
  }

  private static void sleep(Duration d) {
    try {
      Thread.sleep(d.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
