package dev.rlft.health;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.IntSupplier;
import org.apache.pekko.actor.ActorRefWithCell;
import org.apache.pekko.actor.Cancellable;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * Health reporting for the actors of one actor system (one node).
 *
 * <p>An actor takes part by wrapping its behavior in {@link #monitored}, inside its supervisor:
 * every message it handles is timed, restarts and the way it stopped are noted. Once {@link
 * #reportTo} names a {@link HealthMonitor} (on this node or another; on a cluster, {@link
 * MonitorDiscovery} names every monitor the receptionist lists) or the node hosts one, a timer
 * sends one {@link HealthMonitor.Heartbeat} per actor to each of them every {@code
 * rlft.health.interval}. The timer runs on the scheduler, not on the actors' threads, so an actor
 * busy with a long update still reports (as busy, and as stuck after {@code
 * rlft.health.stuck-after}); an actor that stops sends a last heartbeat saying how it ended, and one
 * whose node dies simply stops reporting.
 *
 * <p>Actors may add what only they know: their own queue of pending work ({@link #queue}; the
 * mailbox depth otherwise), the weight version they hold ({@link #version}), and named gauges and
 * counters ({@link #gauge}, {@link #count}). Without a monitor all of this costs a map lookup.
 */
public final class Health implements Extension {

  private static final ExtensionId<Health> ID = new ExtensionId<>() {
    @Override
    public Health createExtension(ActorSystem<?> system) {
      return new Health(system);
    }
  };

  private final ActorSystem<?> system;
  private final HealthSettings settings;
  private final String node;
  private final ConcurrentHashMap<String, HealthProbe> probes = new ConcurrentHashMap<>();
  private final Set<String> expectedRoles = ConcurrentHashMap.newKeySet();
  private volatile Set<ActorRef<HealthMonitor.Command>> listed = Set.of();
  private volatile ActorRef<HealthMonitor.Command> localMonitor;
  private Cancellable reporter;

  private Health(ActorSystem<?> system) {
    this.system = system;
    this.settings = HealthSettings.from(system.settings().config());
    this.node = system.address().toString();
  }

  /** This system's health reporting. */
  public static Health get(ActorSystem<?> system) {
    return ID.apply(system);
  }

  public HealthSettings settings() {
    return settings;
  }

  /** This node's name in heartbeats: its actor system's address. */
  public String node() {
    return node;
  }

  /**
   * Sends this node's heartbeats to {@code target} from now on, every {@code rlft.health.interval}
   * (and to the monitor this node hosts, if any). Calling it again switches the target.
   */
  public void reportTo(ActorRef<HealthMonitor.Command> target) {
    reportTo(List.of(target));
  }

  /**
   * Sends this node's heartbeats to every monitor in {@code targets} (e.g. all that a cluster's
   * receptionist lists, {@link MonitorDiscovery}), and to the monitor this node hosts; replaces the
   * monitors given before.
   */
  public void reportTo(Collection<ActorRef<HealthMonitor.Command>> targets) {
    listed = Set.copyOf(targets);
    startReporting();
  }

  /** Registers a monitor that runs in this actor system; readiness and liveness checks ask it. */
  public void hostMonitor(ActorRef<HealthMonitor.Command> hosted) {
    localMonitor = hosted;
    startReporting();
  }

  private synchronized void startReporting() {
    if (reporter == null) {
      Duration every = settings.interval();
      reporter = system.scheduler().scheduleAtFixedRate(Duration.ZERO, every, this::report, system.executionContext());
    }
  }

  /** The monitor hosted by this node, if any. */
  public Optional<ActorRef<HealthMonitor.Command>> localMonitor() {
    return Optional.ofNullable(localMonitor);
  }

  /** Every monitor this node's heartbeats go to: the hosted one first, then those given to {@link #reportTo}. */
  public Set<ActorRef<HealthMonitor.Command>> targets() {
    Set<ActorRef<HealthMonitor.Command>> all = new LinkedHashSet<>();
    ActorRef<HealthMonitor.Command> local = localMonitor;
    if (local != null) {
      all.add(local);
    }
    all.addAll(listed);
    return all;
  }

  /**
   * Readiness on this node requires a running, not stuck actor of {@code role} here (e.g. a cluster
   * node's {@code rollout-host}); see {@link ReadinessCheck}.
   */
  public void expect(String role) {
    expectedRoles.add(role);
  }

  /** The roles {@link #expect}ed on this node. */
  public Set<String> expectedRoles() {
    return Set.copyOf(expectedRoles);
  }

  /** Heartbeats of this node's monitored actors, as they would be sent now. */
  public List<HealthMonitor.Heartbeat> localHeartbeats() {
    long now = System.nanoTime();
    List<HealthMonitor.Heartbeat> out = new ArrayList<>();
    for (HealthProbe p : probes.values()) {
      out.add(p.heartbeat(node, now));
    }
    return out;
  }

  /**
   * Marks {@code ref} and every monitored actor below it as retired: its parent is about to stop it
   * as planned (say, one run's workers replaced by the next run's), so its stop reads as ended, not
   * as a fault. Call it just before stopping the actor.
   */
  public void retire(ActorRef<?> ref) {
    String name = actorName(ref);
    for (HealthProbe p : probes.values()) {
      if (p.actor.equals(name) || p.actor.startsWith(name + "/")) {
        p.retire();
      }
    }
  }

  private void report() {
    Set<ActorRef<HealthMonitor.Command>> to = targets();
    if (to.isEmpty()) {
      return;
    }
    long now = System.nanoTime();
    for (HealthProbe p : probes.values()) {
      HealthMonitor.Heartbeat h = p.heartbeat(node, now);
      for (ActorRef<HealthMonitor.Command> target : to) {
        target.tell(h);
      }
    }
  }

  /** Called when a monitored actor has stopped: its last heartbeat says how, then it is forgotten. */
  void ended(HealthProbe probe) {
    probes.remove(probe.actor, probe);
    HealthMonitor.Heartbeat last = probe.heartbeat(node, System.nanoTime());
    for (ActorRef<HealthMonitor.Command> target : targets()) {
      target.tell(last);
    }
  }

  private HealthProbe probe(ActorContext<?> ctx, String role) {
    String actor = actorName(ctx.getSelf());
    return probes.computeIfAbsent(actor, a -> new HealthProbe(role, a, ctx.getSelf().unsafeUpcast(),
        mailboxDepth(ctx.getSelf())));
  }

  /**
   * The actor's path below the user guardian, e.g. {@code rollout-0} or {@code reward/$a}; a cluster
   * singleton's is {@code singleton/<name>}.
   */
  static String actorName(ActorRef<?> ref) {
    String path = ref.path().toStringWithoutAddress();
    if (path.startsWith("/user/")) {
      return path.substring("/user/".length());
    }
    String manager = "/system/singletonManager";
    int slash = path.indexOf('/', manager.length());
    if (path.startsWith(manager) && slash > 0
        && path.substring(manager.length(), slash).equals(path.substring(slash + 1))) {
      return "singleton/" + path.substring(slash + 1);
    }
    return path;
  }

  /** Messages waiting in the actor's mailbox; -1 when this Pekko version hides them. */
  private static IntSupplier mailboxDepth(ActorRef<?> ref) {
    org.apache.pekko.actor.ActorRef classic = Adapter.toClassic(ref);
    if (classic instanceof ActorRefWithCell withCell) {
      return () -> {
        try {
          return withCell.underlying().numberOfMessages();
        } catch (RuntimeException e) {
          return -1;
        }
      };
    }
    return () -> -1;
  }

  /**
   * Wraps an actor's behavior so the actor reports its health as {@code role} (coordinator, learner,
   * params, rollout, reward, step-reward, …). Place it inside {@code Behaviors.supervise} so that
   * restarts are counted. With {@code rlft.health.enabled = false} the behavior is returned as is.
   */
  public static <T> Behavior<T> monitored(String role, Behavior<T> behavior) {
    return Behaviors.setup(ctx -> {
      Health health = get(ctx.getSystem());
      if (!health.settings.enabled()) {
        return behavior;
      }
      HealthProbe probe = health.probe(ctx, role);
      return Behaviors.intercept(() -> new HealthInterceptor<>(probe, health), behavior);
    });
  }

  private static HealthProbe probeOf(ActorContext<?> ctx) {
    return get(ctx.getSystem()).probes.get(actorName(ctx.getSelf()));
  }

  /** The actor's own count of pending work (replaces the mailbox depth in its heartbeats). */
  public static void queue(ActorContext<?> ctx, int depth) {
    HealthProbe p = probeOf(ctx);
    if (p != null) {
      p.queue(depth);
    }
  }

  /** The policy weight version the actor holds or last produced. */
  public static void version(ActorContext<?> ctx, long version) {
    HealthProbe p = probeOf(ctx);
    if (p != null) {
      p.version(version);
    }
  }

  /** Sets a named gauge of the actor, e.g. {@code weight_sync_seconds}. */
  public static void gauge(ActorContext<?> ctx, String name, double value) {
    HealthProbe p = probeOf(ctx);
    if (p != null) {
      p.gauge(name, value);
    }
  }

  /** Adds to a named counter of the actor, e.g. {@code checker_timeouts}; counts survive restarts. */
  public static void count(ActorContext<?> ctx, String name, double delta) {
    HealthProbe p = probeOf(ctx);
    if (p != null) {
      p.count(name, delta);
    }
  }
}
