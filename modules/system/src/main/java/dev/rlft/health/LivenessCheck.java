package dev.rlft.health;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.actor.typed.javadsl.AskPattern;

/**
 * Pekko Management liveness check ({@code /alive}): the node's actor system still handles
 * messages. Where the node hosts the {@link HealthMonitor}, the monitor must answer an ask; a red
 * worker does not make the node dead (restarting the process would not help it and would lose the
 * run), so that is left to readiness and to the health table.
 */
public final class LivenessCheck implements Supplier<CompletionStage<Boolean>> {

  private final ActorSystem<?> system;

  public LivenessCheck(org.apache.pekko.actor.ActorSystem classic) {
    this.system = Adapter.toTyped(classic);
  }

  @Override
  public CompletionStage<Boolean> get() {
    return Health.get(system).localMonitor()
        .map(m -> AskPattern.<HealthMonitor.Command, HealthMonitor.HealthReport>ask(m, HealthMonitor.GetHealth::new,
            HealthMonitor.askTimeout(), system.scheduler()).thenApply(r -> true))
        .orElseGet(() -> CompletableFuture.completedFuture(
            !system.getWhenTerminated().toCompletableFuture().isDone()));
  }
}
