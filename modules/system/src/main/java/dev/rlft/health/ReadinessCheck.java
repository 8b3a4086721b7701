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
 * Pekko Management readiness check ({@code /ready}), registered in {@code reference.conf} under
 * {@code pekko.management.health-checks.readiness-checks}. Two things must hold:
 *
 * <ul>
 *   <li>every role {@link Health#expect}ed on this node (a cluster node's hosts) has a running actor
 *       here;
 *   <li>on a node that hosts the {@link HealthMonitor}: its verdict (the run has started and no
 *       essential actor is down, on any node that reports to it). On any other node: it runs at
 *       least one monitored actor and none of them is stuck.
 * </ul>
 *
 * <p>On a cluster node, Pekko Management's own {@code cluster-membership} check adds that the node
 * is an Up member ({@code rlft-cluster.conf}).
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
    boolean local = locallyReady(health, monitor.isPresent());
    if (!local || monitor.isEmpty()) {
      return CompletableFuture.completedFuture(local);
    }
    return AskPattern.<HealthMonitor.Command, HealthMonitor.HealthReport>ask(monitor.get(),
            HealthMonitor.GetHealth::new, HealthMonitor.askTimeout(), system.scheduler())
        .thenApply(HealthMonitor.HealthReport::ready);
  }

  /** Every expected role runs here; without a monitor also: something runs here and nothing is stuck. */
  static boolean locallyReady(Health health, boolean hostsMonitor) {
    List<HealthMonitor.Heartbeat> local = health.localHeartbeats();
    for (String role : health.expectedRoles()) {
      if (local.stream().noneMatch(h -> h.role().equals(role) && h.state().equals("running"))) {
        return false;
      }
    }
    if (hostsMonitor) {
      return true; // the monitor judges stuck actors, and only essential ones make the node unready
    }
    double stuck = health.settings().stuckAfter().toMillis() / 1000.0;
    return !local.isEmpty() && local.stream().noneMatch(h -> h.busySeconds() >= stuck);
  }
}
