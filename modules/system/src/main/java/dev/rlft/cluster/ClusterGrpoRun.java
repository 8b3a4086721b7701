package dev.rlft.cluster;

import com.typesafe.config.Config;
import dev.rlft.coordinator.StepReport;
import dev.rlft.system.GrpoRunner;
import dev.rlft.system.LocalGrpoRun;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.function.Consumer;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;

/**
 * Runs GRPO phases on the cluster this learner node belongs to: the learner, parameter server and
 * coordinator as cluster singletons, rollout and reward workers wherever nodes with those roles
 * run. The plan is the one a single-JVM run takes.
 */
public final class ClusterGrpoRun implements GrpoRunner {

  private final ActorSystem<ClusterNode.Command> system;

  public ClusterGrpoRun(ActorSystem<ClusterNode.Command> system) {
    this.system = system;
  }

  @Override
  public LocalGrpoRun.Result run(LocalGrpoRun.Plan plan, Config config, Consumer<StepReport> onStep,
      Consumer<ActorSystem<?>> onStart) {
    if (onStart != null) {
      onStart.accept(system);
    }
    CompletableFuture<ClusterNode.Outcome> outcome = AskPattern.<ClusterNode.Command, ClusterNode.Outcome>ask(system,
        ref -> new ClusterNode.RunGrpo(plan, config, onStep, ref), Duration.ofDays(30), system.scheduler())
        .toCompletableFuture();
    CompletableFuture<Object> nodeGone = system.getWhenTerminated().toCompletableFuture().thenApply(done -> done);
    try {
      Object first = CompletableFuture.anyOf(outcome, nodeGone).get();
      if (!(first instanceof ClusterNode.Outcome o)) {
        throw new IllegalStateException("this node left the cluster during GRPO (downed by the split-brain resolver, "
            + "or shut down); restart it with --resume to continue from the last checkpoint");
      }
      if (o.error() != null) {
        throw new IllegalStateException(o.error());
      }
      return o.result();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while training", e);
    } catch (ExecutionException e) {
      throw new IllegalStateException("GRPO run failed: " + e.getCause(), e.getCause());
    }
  }
}
