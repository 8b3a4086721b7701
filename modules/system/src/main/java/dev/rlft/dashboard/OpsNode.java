package dev.rlft.dashboard;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.rlft.health.Health;
import dev.rlft.health.HealthMonitor;
import dev.rlft.health.HealthSettings;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.management.javadsl.PekkoManagement;

/**
 * The operator surface of a node: the {@link HealthMonitor}, the run's in-memory {@link RunFeed}
 * and {@link TrainingMetrics}, the dashboard's HTTP server ({@link OpsRoutes}) and Pekko Management
 * ({@code /alive}, {@code /ready}), as {@code rlft.dashboard} and {@code rlft.management} say.
 *
 * <p>{@link #start} gives them an actor system of their own, which outlives the training phases
 * (each GRPO phase runs its own actor system and {@link #attach}es it, so its actors report here).
 * {@link #within} hosts them in an existing system, such as a cluster node's; the monitor is also
 * registered with the receptionist under {@link HealthMonitor#KEY}, where every node's {@link
 * dev.rlft.health.MonitorDiscovery} finds it and makes that node's actors report to it. A cluster
 * node that collects no health (a rollout, reward or params node without a dashboard) serves
 * Management alone: {@link #startManagement}.
 */
public final class OpsNode implements AutoCloseable {

  private final ActorSystem<?> system;
  private final boolean ownsSystem;
  private final ActorRef<HealthMonitor.Command> monitor;
  private final RunFeed feed;
  private final TrainingMetrics metrics = new TrainingMetrics();
  private ServerBinding dashboard;
  private String dashboardUrl;
  private String managementUrl;
  private boolean managementStarted;

  private OpsNode(ActorSystem<?> system, boolean ownsSystem, Config config) {
    this.system = system;
    this.ownsSystem = ownsSystem;
    DashboardSettings ds = DashboardSettings.from(config);
    this.feed = new RunFeed(ds.maxPoints(), ds.samples());
    feed.onMetric(metrics::record);
    this.monitor = system.systemActorOf(HealthMonitor.create(HealthSettings.from(config)), "rlft-health-monitor",
        Props.empty());
    Health.get(system).hostMonitor(monitor);
    system.receptionist().tell(Receptionist.register(HealthMonitor.KEY, monitor));
  }

  /**
   * Starts the monitor, and the dashboard and Pekko Management where enabled, in an actor system of
   * their own ({@code rlft-ops}, local only).
   *
   * @throws IllegalArgumentException when a server cannot bind, or the dashboard would be exposed
   *     without a token
   */
  public static OpsNode start(Config config) {
    DashboardSettings ds = DashboardSettings.from(config);
    ManagementSettings ms = ManagementSettings.from(config);
    if (ds.enabled()) {
      ds.checkBinding();
    }
    // a local actor system: no cluster membership route or readiness check (they need a cluster)
    Config own = ConfigFactory.parseMap(Map.of(
            "pekko.actor.provider", "local",
            "pekko.management.http.hostname", ms.host(),
            "pekko.management.http.port", ms.port(),
            "pekko.management.http.routes.cluster-management", "",
            "pekko.management.health-checks.readiness-checks.cluster-membership", ""))
        .withFallback(config);
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "rlft-ops", own);
    OpsNode node = new OpsNode(system, true, config);
    try {
      node.serve(ds, ms);
    } catch (RuntimeException e) {
      node.close();
      throw e;
    }
    return node;
  }

  /** Hosts the operator surface in {@code system} (left running by {@link #close}). */
  public static OpsNode within(ActorSystem<?> system, Config config) {
    DashboardSettings ds = DashboardSettings.from(config);
    if (ds.enabled()) {
      ds.checkBinding();
    }
    OpsNode node = new OpsNode(system, false, config);
    node.serve(ds, ManagementSettings.from(config));
    return node;
  }

  private void serve(DashboardSettings ds, ManagementSettings ms) {
    if (ds.enabled()) {
      OpsRoutes routes = new OpsRoutes(system, monitor, feed, metrics, ds.token(), ds.refresh());
      dashboard = await(Http.get(system).newServerAt(ds.host(), ds.port()).bind(routes.route()),
          "the dashboard on " + ds.host() + ":" + ds.port());
      String host = ds.host().contains(":") ? "[" + ds.host() + "]" : ds.host();
      dashboardUrl = "http://" + host + ":" + dashboard.localAddress().getPort() + "/";
    }
    if (ms.enabled()) {
      managementUrl = startManagement(system);
      managementStarted = true;
    }
  }

  /**
   * Starts Pekko Management in {@code system}, as its {@code pekko.management.http} settings say
   * ({@link ManagementSettings#pekkoConfig()} puts {@code rlft.management}'s there), and returns its
   * base address. A system serves at most one: where Cluster Bootstrap has started it already with
   * the same settings, this returns that server's address.
   *
   * @throws IllegalArgumentException when it cannot bind
   */
  public static String startManagement(ActorSystem<?> system) {
    Config c = system.settings().config();
    String where = c.getString("pekko.management.http.hostname") + ":" + c.getInt("pekko.management.http.port");
    String uri = await(PekkoManagement.get(Adapter.toClassic(system)).start(), "Pekko Management on " + where)
        .toString();
    return uri.endsWith("/") ? uri : uri + "/";
  }

  private static <T> T await(java.util.concurrent.CompletionStage<T> stage, String what) {
    try {
      return stage.toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      throw new IllegalArgumentException("could not start " + what + ": " + e.getCause().getMessage(), e.getCause());
    } catch (TimeoutException e) {
      throw new IllegalStateException("starting " + what + " took over 30 s", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while starting " + what, e);
    }
  }

  /** The dashboard's address, e.g. {@code http://127.0.0.1:8080/}, when it is served. */
  public Optional<String> dashboardUrl() {
    return Optional.ofNullable(dashboardUrl);
  }

  /** Pekko Management's base address, when it is served. */
  public Optional<String> managementUrl() {
    return Optional.ofNullable(managementUrl);
  }

  public ActorRef<HealthMonitor.Command> monitor() {
    return monitor;
  }

  public RunFeed feed() {
    return feed;
  }

  public TrainingMetrics metrics() {
    return metrics;
  }

  /** The run is under way: the page shows its name and readiness may turn true. */
  public void runStarted(String run) {
    feed.run(run);
    monitor.tell(new HealthMonitor.RunStarted(run));
  }

  /**
   * Makes the actors of {@code runSystem} (e.g. a GRPO phase's) report their health here; nothing to
   * do when it is this node's own system, whose actors already report to the monitor it hosts.
   */
  public void attach(ActorSystem<?> runSystem) {
    if (runSystem != system) {
      Health.get(runSystem).reportTo(monitor);
    }
  }

  /** Asks the monitor for the current health table. */
  public HealthMonitor.HealthReport health() {
    try {
      return org.apache.pekko.actor.typed.javadsl.AskPattern.<HealthMonitor.Command, HealthMonitor.HealthReport>ask(
              monitor, HealthMonitor.GetHealth::new, HealthMonitor.askTimeout(), system.scheduler())
          .toCompletableFuture().get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    } catch (ExecutionException e) {
      throw new IllegalStateException("the health monitor did not answer: " + e.getCause(), e.getCause());
    }
  }

  /** Stops the servers, and the actor system when this node created it. */
  @Override
  public void close() {
    if (dashboard != null) {
      try {
        dashboard.terminate(Duration.ofSeconds(3)).toCompletableFuture().get(10, TimeUnit.SECONDS);
      } catch (Exception e) {
        // shutting down anyway
      }
    }
    if (managementStarted) {
      try {
        PekkoManagement.get(Adapter.toClassic(system)).stop().toCompletableFuture().get(10, TimeUnit.SECONDS);
      } catch (Exception e) {
        // shutting down anyway
      }
    }
    if (ownsSystem) {
      system.terminate();
      try {
        system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
      } catch (Exception e) {
        // shutting down anyway
      }
    }
  }
}
