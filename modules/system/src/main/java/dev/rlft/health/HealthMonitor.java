package dev.rlft.health;

import dev.rlft.wire.WireMessage;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;
import org.apache.pekko.cluster.ClusterActorRefProvider;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Subscribe;

/**
 * Collects the heartbeats of every monitored actor, from any node, and judges each actor's health.
 *
 * <p>An actor is <b>ok</b> while its heartbeats arrive; <b>late</b> (amber) when the last one is
 * older than 2.5 intervals; <b>down</b> (red) when none came for {@code rlft.health.timeout}, when it
 * has been busy with one message for {@code rlft.health.stuck-after}, or when it stopped by failure
 * or was stopped from outside. An actor that finished its work, was retired by its parent, or whose
 * node shut down in order, is <b>ended</b> (grey), which is not a fault. The node is <b>ready</b>
 * once the run has started ({@link RunStarted}) while no actor of an essential role ({@code
 * rlft.health.essential-roles}) is down. Transitions to and from down are logged.
 *
 * <p>On a cluster the monitor also follows membership: every actor of a node that is unreachable,
 * downed, or no longer a member (it left, or was removed) is <b>down</b> at once, whatever its last
 * heartbeat said (a node that leaves in order sends "shutdown" last, which alone would read as
 * ended); only actors that had finished their work or were retired stay ended. Heartbeats that
 * still arrive from a removed node are ignored until a node joins at that address again.
 */
public final class HealthMonitor extends AbstractBehavior<HealthMonitor.Command> {

  /** Where nodes of a cluster find the monitor through the receptionist. */
  public static final ServiceKey<Command> KEY = ServiceKey.create(Command.class, "rlft-health-monitor");

  /** Messages the monitor understands. */
  public sealed interface Command extends WireMessage {}

  /**
   * One actor's state, sent every interval by its node's {@link Health} reporter.
   *
   * @param node the reporting actor system's address
   * @param actor path below the user guardian, e.g. {@code rollout-0}
   * @param role what the actor does: coordinator, learner, params, rollout, reward, step-reward
   * @param state running, or how it ended: finished, failed, stopped, shutdown
   * @param queue work waiting: the actor's own count, else its mailbox depth (-1 unknown)
   * @param busySeconds how long the message in hand has taken so far (0 when idle)
   * @param idleSeconds time since it last finished a message (0 while busy, -1 never)
   * @param weightVersion policy weight version it holds or produced (-1 none)
   * @param gauges the actor's own gauges and counters
   */
  public record Heartbeat(String node, String actor, String role, ActorRef<Void> ref, String state, int queue,
      double busySeconds, double idleSeconds, int restarts, long weightVersion, long processed, long failures,
      LinkedHashMap<String, Double> gauges) implements Command {}

  /** The run has started: from now on the node can be ready. */
  public record RunStarted(String run) implements Command {}

  /** Asks for the health table. */
  public record GetHealth(ActorRef<HealthReport> replyTo) implements Command {}

  /**
   * The health table and its verdict.
   *
   * @param status worst actor status: ok, late or down ({@code ok} when no actor reported yet)
   * @param ready whether the run has started and no essential actor is down
   * @param reason why the node is not ready, or empty
   */
  public record HealthReport(long atMillis, String run, boolean started, boolean ready, String status, String reason,
      ArrayList<ActorHealth> actors) implements WireMessage {

    /** The rows that are down. */
    public List<ActorHealth> down() {
      return actors.stream().filter(a -> a.status().equals(DOWN)).toList();
    }
  }

  /**
   * One row of the health table.
   *
   * @param status ok, late, down or ended
   * @param reason why, in words (e.g. "no heartbeat for 6.1 s", "stopped")
   * @param lastSeenSeconds age of the last heartbeat at the monitor
   */
  public record ActorHealth(String node, String actor, String role, String status, String reason, String state,
      double lastSeenSeconds, int queue, double busySeconds, double idleSeconds, int restarts, long weightVersion,
      long processed, long failures, LinkedHashMap<String, Double> gauges, ActorRef<Void> ref)
      implements WireMessage {}

  public static final String OK = "ok";
  public static final String LATE = "late";
  public static final String DOWN = "down";
  public static final String ENDED = "ended";

  private static final List<String> ROLE_ORDER = List.of("coordinator", "learner", "params", "params-upstream",
      "rollout", "reward", "step-reward", "learner-run", "params-host", "rollout-host", "reward-host");

  private record Tick() implements Command, NoSerializationVerificationNeeded {}

  /** A change of cluster membership or reachability, from this node's cluster (local only). */
  private record Membership(ClusterEvent.ClusterDomainEvent event) implements Command, NoSerializationVerificationNeeded {}

  private record Seen(Heartbeat last, long atNanos) {}

  /** How a node is out of the cluster: unreachable (may come back), downed, or removed. */
  private enum Away { UNREACHABLE, DOWNED, REMOVED }

  private static final String LEFT = "its node left the cluster";

  /** Why a node's actors are down whatever they report. */
  private record Gone(Away how, String reason) {

    /** The node is no longer a member: heartbeats from its address are stragglers. */
    boolean removed() {
      return how == Away.REMOVED;
    }
  }

  private final HealthSettings settings;
  private final Map<String, Seen> seen = new LinkedHashMap<>();
  private final Map<String, String> lastStatus = new LinkedHashMap<>();
  /** Nodes (by address) that are unreachable, downed or removed. */
  private final Map<String, Gone> gone = new LinkedHashMap<>();
  private String run = "";
  private boolean started;

  private HealthMonitor(ActorContext<Command> context, HealthSettings settings) {
    super(context);
    this.settings = settings;
  }

  /**
   * A monitor judging by {@code settings}; it re-checks every interval to log changes. In a cluster
   * actor system it also follows membership and reachability.
   */
  public static Behavior<Command> create(HealthSettings settings) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> {
      timers.startTimerWithFixedDelay(new Tick(), settings.interval());
      if (((ExtendedActorSystem) Adapter.toClassic(ctx.getSystem())).provider() instanceof ClusterActorRefProvider) {
        ActorRef<ClusterEvent.ClusterDomainEvent> events =
            ctx.messageAdapter(ClusterEvent.ClusterDomainEvent.class, Membership::new);
        Cluster cluster = Cluster.get(ctx.getSystem());
        cluster.subscriptions().tell(Subscribe.create(events.narrow(), ClusterEvent.MemberEvent.class));
        cluster.subscriptions().tell(Subscribe.create(events.narrow(), ClusterEvent.ReachabilityEvent.class));
      }
      return new HealthMonitor(ctx, settings);
    }));
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Heartbeat.class, this::onHeartbeat)
        .onMessage(RunStarted.class, r -> {
          run = r.run();
          started = true;
          return this;
        })
        .onMessage(GetHealth.class, g -> {
          g.replyTo().tell(report(System.nanoTime()));
          return this;
        })
        .onMessage(Tick.class, t -> {
          logChanges(report(System.nanoTime()));
          return this;
        })
        .onMessage(Membership.class, m -> onMembership(m.event()))
        .build();
  }

  private Behavior<Command> onMembership(ClusterEvent.ClusterDomainEvent event) {
    if (event instanceof ClusterEvent.UnreachableMember u) {
      nodeGone(u.member().address().toString(), new Gone(Away.UNREACHABLE, "its node is unreachable"));
    } else if (event instanceof ClusterEvent.ReachableMember r) {
      String node = r.member().address().toString();
      Gone g = gone.get(node);
      if (g != null && g.how() == Away.UNREACHABLE) {
        gone.remove(node);
        getContext().getLog().info("node {} is reachable again", node);
      }
    } else if (event instanceof ClusterEvent.MemberDowned d) {
      nodeGone(d.member().address().toString(), new Gone(Away.DOWNED, "its node was downed"));
    } else if (event instanceof ClusterEvent.MemberRemoved r) {
      nodeGone(r.member().address().toString(), new Gone(Away.REMOVED, r.previousStatus() == MemberStatus.down()
          ? "its node was downed and removed from the cluster" : LEFT));
    } else if (event instanceof ClusterEvent.MemberJoined || event instanceof ClusterEvent.MemberUp
        || event instanceof ClusterEvent.MemberWeaklyUp) {
      // a node at an address that was removed has come back: a new incarnation, which reports afresh
      String node = ((ClusterEvent.MemberEvent) event).member().address().toString();
      Gone g = gone.get(node);
      if (g != null && g.removed()) {
        gone.remove(node);
      }
    }
    return this;
  }

  private void nodeGone(String node, Gone why) {
    Gone before = gone.put(node, why);
    if (before == null || !before.reason().equals(why.reason())) {
      if (why.how() == Away.REMOVED && before == null && why.reason().equals(LEFT)) {
        // left on its own (graceful leave, or the end of a run): worth a line, not a warning
        getContext().getLog().info("node {}: {}; its actors are down", node, why.reason());
      } else {
        getContext().getLog().warn("node {}: {}; its actors are down", node, why.reason());
      }
    }
  }

  private Behavior<Command> onHeartbeat(Heartbeat h) {
    Gone g = gone.get(h.node());
    if (g != null && g.removed()) {
      return this; // a straggler from a node that is no longer a member
    }
    String key = h.node() + "|" + h.actor();
    Seen before = seen.get(key);
    if (before != null && !before.last().state().equals("running") && h.state().equals("running")
        && before.last().ref().equals(h.ref())) {
      // the same incarnation's regular heartbeat, overtaken by its last one: keep how it ended
      return this;
    }
    seen.put(key, new Seen(h, System.nanoTime()));
    return this;
  }

  private HealthReport report(long now) {
    ArrayList<ActorHealth> rows = new ArrayList<>();
    for (Seen s : seen.values()) {
      rows.add(judge(s, now));
    }
    rows.sort(Comparator.comparingInt((ActorHealth a) -> roleRank(a.role())).thenComparing(ActorHealth::node)
        .thenComparing(ActorHealth::actor));
    String status = OK;
    for (ActorHealth a : rows) {
      if (a.status().equals(DOWN)) {
        status = DOWN;
      } else if (a.status().equals(LATE) && status.equals(OK)) {
        status = LATE;
      }
    }
    String reason = "";
    if (!started) {
      reason = "the run has not started";
    } else {
      for (ActorHealth a : rows) {
        if (a.status().equals(DOWN) && settings.essentialRoles().contains(a.role())) {
          reason = "essential actor " + a.actor() + " (" + a.role() + ") is down: " + a.reason();
          break;
        }
      }
    }
    return new HealthReport(System.currentTimeMillis(), run, started, reason.isEmpty(), status, reason, rows);
  }

  private ActorHealth judge(Seen s, long now) {
    Heartbeat h = s.last();
    double age = (now - s.atNanos()) / 1e9;
    String status;
    String reason;
    switch (h.state()) {
      case "finished" -> {
        status = ENDED;
        reason = "finished its work";
      }
      case "shutdown" -> {
        status = ENDED;
        reason = "its node shut down";
      }
      case "retired" -> {
        status = ENDED;
        reason = "retired by its parent";
      }
      case "failed" -> {
        status = DOWN;
        reason = "failed and was not restarted";
      }
      case "stopped" -> {
        status = DOWN;
        reason = "stopped";
      }
      default -> {
        double busy = h.busySeconds() + age;
        if (age >= settings.timeout().toMillis() / 1000.0) {
          status = DOWN;
          reason = String.format("no heartbeat for %.1f s", age);
        } else if (h.busySeconds() > 0 && busy >= settings.stuckAfter().toMillis() / 1000.0) {
          status = DOWN;
          reason = String.format("stuck: busy with one message for %.0f s", busy);
        } else if (age >= settings.lateAfter().toMillis() / 1000.0) {
          status = LATE;
          reason = String.format("last heartbeat %.1f s ago", age);
        } else {
          status = OK;
          reason = h.busySeconds() > 0 ? String.format("busy for %.1f s", h.busySeconds()) : "idle";
        }
      }
    }
    Gone g = gone.get(h.node());
    boolean done = h.state().equals("finished") || h.state().equals("retired");
    if (g != null && !status.equals(DOWN) && !done) {
      status = DOWN;
      reason = g.reason();
    }
    return new ActorHealth(h.node(), h.actor(), h.role(), status, reason, h.state(), age, h.queue(),
        h.busySeconds(), h.idleSeconds(), h.restarts(), h.weightVersion(), h.processed(), h.failures(), h.gauges(),
        h.ref());
  }

  private void logChanges(HealthReport r) {
    for (ActorHealth a : r.actors()) {
      String key = a.node() + "|" + a.actor();
      String before = lastStatus.put(key, a.status());
      if (a.status().equals(DOWN) && !DOWN.equals(before)) {
        getContext().getLog().warn("actor {} ({}) on {} is down: {}", a.actor(), a.role(), a.node(), a.reason());
      } else if (DOWN.equals(before) && a.status().equals(OK)) {
        getContext().getLog().info("actor {} ({}) on {} is healthy again", a.actor(), a.role(), a.node());
      }
    }
  }

  private static int roleRank(String role) {
    int i = ROLE_ORDER.indexOf(role);
    return i < 0 ? ROLE_ORDER.size() : i;
  }

  /** How long a caller should wait for a {@link HealthReport}. */
  public static Duration askTimeout() {
    return Duration.ofSeconds(2);
  }
}
