package dev.rlft.health;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.actor.typed.javadsl.AskPattern;

/**
 * Pekko Management readiness check ({@code /ready}): on a node that hosts the {@link HealthMonitor},
 * its verdict (the run has started and no essential actor is down); on any other node, that the
 * node runs monitored actors and none of them is stuck. Registered in {@code reference.conf} under
 * {@code pekko.management.health-checks.readiness-checks}.
 */
public final class ReadinessCheck implements Supplier<CompletionStage<Boolean>> {

  private final ActorSystem<?> system;

  public ReadinessCheck(org.apache.pekko.actor.ActorSystem classic) {
    this.system = Adapter.toTyped(classic);
  }

  @Override
  public CompletionStage<Boolean> get() {
    Health health = Health.get(system);
    Optional<ActorRef<HealthMonitor.Command>> monitor = health.localMonitor();
    if (monitor.isPresent()) {
      return AskPattern.<HealthMonitor.Command, HealthMonitor.HealthReport>ask(monitor.get(),
              HealthMonitor.GetHealth::new, HealthMonitor.askTimeout(), system.scheduler())
          .thenApply(HealthMonitor.HealthReport::ready);
    }
    double stuck = health.settings().stuckAfter().toMillis() / 1000.0;
    List<HealthMonitor.Heartbeat> local = health.localHeartbeats();
    return CompletableFuture.completedFuture(!local.isEmpty()
        && local.stream().noneMatch(h -> h.busySeconds() >= stuck));
  }
}
