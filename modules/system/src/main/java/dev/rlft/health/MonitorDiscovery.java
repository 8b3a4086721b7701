package dev.rlft.health;

import java.util.Set;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.receptionist.Receptionist;

/**
 * Makes this node's monitored actors report to every {@link HealthMonitor} the receptionist lists
 * under {@link HealthMonitor#KEY}, on any node of the cluster, as monitors come and go. Every node of
 * a cluster runs one, so the monitor of the node that collects health (the learner node, or any node
 * serving the dashboard) holds the actors of all nodes, each row under its node's address.
 */
public final class MonitorDiscovery {

  private MonitorDiscovery() {}

  /** What the discovery handles: receptionist listings, wrapped (they never cross the wire). */
  public sealed interface Command extends NoSerializationVerificationNeeded {}

  private record Listed(Receptionist.Listing listing) implements Command {}

  public static Behavior<Command> create() {
    return Behaviors.setup(ctx -> {
      ActorRef<Receptionist.Listing> listings = ctx.messageAdapter(Receptionist.Listing.class, Listed::new);
      ctx.getSystem().receptionist().tell(Receptionist.subscribe(HealthMonitor.KEY, listings));
      Health health = Health.get(ctx.getSystem());
      return Behaviors.receive(Command.class)
          .onMessage(Listed.class, l -> {
            Set<ActorRef<HealthMonitor.Command>> monitors = l.listing().getServiceInstances(HealthMonitor.KEY);
            health.reportTo(monitors);
            ctx.getLog().info("health: reporting this node's actors to {} monitor(s): {}", monitors.size(),
                monitors.stream().map(m -> m.path().address().toString()).sorted().toList());
            return Behaviors.same();
          })
          .build();
    });
  }
}
