package dev.rlft.system;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.rlft.algo.AdvantageEstimator;
import dev.rlft.coordinator.Coordinator;
import dev.rlft.coordinator.PromptFeed;
import dev.rlft.dashboard.OpsNode;
import dev.rlft.health.HealthMonitor;
import dev.rlft.model.PromptTemplate;
import dev.rlft.model.SamplingParams;
import dev.rlft.prm.LenientEquationScorer;
import dev.rlft.reward.BoxedAnswerReward;
import dev.rlft.rollout.RolloutWorker;
import dev.rlft.steps.CreditAssignment;
import dev.rlft.steps.ProcessAdvantages;
import dev.rlft.steps.ProcessRewards;
import dev.rlft.steps.StepSegmenter;
import dev.rlft.testing.TinyPolicy;
import dev.rlft.testing.WireChecked;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.apache.pekko.actor.PoisonPill;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A real local GRPO run (tiny model, process mode) attached to an operator node: every role
 * reports to the health monitor with the weight versions it holds, and a coordinator stopped from
 * outside turns red and ends the run with an error instead of leaving it waiting.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class LocalGrpoRunHealthTest {

  private static final long SEED = 11;

  private static final Set<String> ROLES = Set.of("coordinator", "learner", "params", "rollout", "reward",
      "step-reward");

  private static HealthMonitor.HealthReport await(OpsNode ops, Predicate<HealthMonitor.HealthReport> until)
      throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    HealthMonitor.HealthReport last = null;
    while (System.nanoTime() < deadline) {
      last = ops.health();
      if (until.test(last)) {
        return last;
      }
      Thread.sleep(50);
    }
    throw new AssertionError("health never matched; last: " + last);
  }

  private static HealthMonitor.ActorHealth row(HealthMonitor.HealthReport r, String actor) {
    return r.actors().stream().filter(a -> a.actor().equals(actor)).findFirst().orElseThrow();
  }

  @Test
  void run_everyRoleReports_andAStoppedCoordinatorFailsTheRun() throws Exception {
    Config config = ConfigFactory.parseString("rlft.health.interval = 100ms").withFallback(WireChecked.config());
    Coordinator.Settings settings = new Coordinator.Settings(100_000, 2, 2, 1,
        new SamplingParams(1f, 1f, 0, TinyPolicy.MAX_NEW_TOKENS, SEED), Duration.ofSeconds(60),
        Duration.ofSeconds(30), 0, Duration.ofSeconds(60));
    ProcessRewards.Config rewards = new ProcessRewards.Config(StepSegmenter.Config.DEFAULT, CreditAssignment.MIN,
        CreditAssignment.Params.DEFAULT, ProcessAdvantages.Normalisation.RETURNS,
        new ProcessAdvantages.Weights(1.0, 1.0), AdvantageEstimator.GRPO);
    Map<String, float[]> initial = TinyPolicy.initialWeights(SEED);
    LocalGrpoRun.Plan plan = new LocalGrpoRun.Plan(TinyPolicy.learnerInit(initial), settings,
        new PromptFeed(TinyPolicy.problems(SEED), SEED), TinyPolicy.TOKENIZER, PromptTemplate.PLAIN,
        new BoxedAnswerReward(), 1, 2, RolloutWorker.ModelSpec.of(TinyPolicy.MODEL),
        new LocalGrpoRun.ProcessPlan(new LenientEquationScorer(), rewards, Set.of(TinyPolicy.TOKENIZER.eosId()),
            Duration.ofSeconds(30)));

    // The monitor lives in the operator node's own actor system, which outlives the run's. A local
    // ActorRef cannot be serialized for another local system, so that system does not verify
    // serialization; the run's actors do, and HealthTest checks heartbeats on the wire.
    try (OpsNode ops = OpsNode.start(ConfigFactory.parseString("pekko.actor.serialize-messages = off")
        .withFallback(config))) {
      ops.runStarted("test-run");
      CompletableFuture<LocalGrpoRun.Result> run = CompletableFuture.supplyAsync(
          () -> LocalGrpoRun.run(plan, config, r -> { }, ops::attach));

      HealthMonitor.HealthReport healthy = await(ops, r -> r.actors().size() == 7
          && r.actors().stream().allMatch(a -> a.status().equals(HealthMonitor.OK))
          && row(r, "learner").weightVersion() >= 2 && row(r, "rollout-0").weightVersion() >= 1);
      assertEquals(ROLES, Set.copyOf(healthy.actors().stream().map(HealthMonitor.ActorHealth::role).toList()));
      assertTrue(healthy.ready(), healthy.reason());
      HealthMonitor.ActorHealth params = row(healthy, "params");
      assertTrue(params.weightVersion() >= 1 && params.processed() > 0, params.toString());
      assertTrue(row(healthy, "rollout-0").gauges().containsKey("weight_sync_seconds"), "rollout reports sync time");
      assertTrue(row(healthy, "reward/$a").gauges().containsKey("checker_timeouts"), "reward counts timeouts");

      HealthMonitor.ActorHealth coordinator = row(healthy, "coordinator");
      Adapter.toClassic(coordinator.ref()).tell(PoisonPill.getInstance(), org.apache.pekko.actor.ActorRef.noSender());

      LocalGrpoRun.Result result = run.get(60, TimeUnit.SECONDS);
      assertEquals("the coordinator stopped before the run finished", result.finished().error());
      HealthMonitor.HealthReport after = await(ops, r -> row(r, "learner").status().equals(HealthMonitor.ENDED));
      assertEquals(HealthMonitor.DOWN, row(after, "coordinator").status());
      assertEquals("stopped", row(after, "coordinator").reason());
      assertEquals("its node shut down", row(after, "learner").reason(), "a shut-down node is not a fault");
      assertTrue(!after.ready() && after.reason().contains("coordinator"), after.reason());
    }
  }
}
