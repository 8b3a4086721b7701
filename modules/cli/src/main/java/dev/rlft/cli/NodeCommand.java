package dev.rlft.cli;

import com.typesafe.config.Config;
import dev.rlft.cluster.ClusterGrpoRun;
import dev.rlft.cluster.ClusterNode;
import dev.rlft.cluster.ClusterSettings;
import dev.rlft.cluster.Role;
import dev.rlft.dashboard.DashboardSettings;
import dev.rlft.dashboard.OpsNode;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.cluster.typed.Cluster;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code rlft node}: one node of a Pekko Cluster deployment. Rollout, reward and params nodes
 * serve whatever run a learner node announces, until SIGTERM (they leave the cluster gracefully).
 * A learner node takes the run settings of {@code rlft train}, runs the same phases and writes the
 * same run folder, with its GRPO phase on the cluster; then it leaves.
 *
 * <p>Each node is one actor system, which also holds its operator surface: a learner node (or any
 * node given {@code --dashboard}) hosts the health monitor that every node's actors report to, and
 * the dashboard where enabled; {@code --management} serves Pekko Management on any node (Cluster
 * Bootstrap starts the same server itself).
 */
@Command(name = "node", mixinStandardHelpOptions = true,
    description = {"Start a node of a Pekko Cluster deployment (see docs/operations.md).",
        "Rollout, reward and params nodes serve the runs a learner node announces, until SIGTERM.",
        "A learner node takes the flags of `rlft train` and writes the same run folder; GRPO runs on the cluster."})
final class NodeCommand extends TrainCommand {

  @Option(names = "--roles", split = ",", paramLabel = "ROLE",
      description = "rollout, reward, learner, params: any combination, comma-separated (rlft.cluster.roles)")
  List<String> roles;

  @Option(names = "--seed-nodes", split = ",", paramLabel = "HOST:PORT",
      description = "nodes to join through, comma-separated; list the learner node first (rlft.cluster.seed-nodes)")
  List<String> seedNodes;

  @Option(names = "--host", description = "address other nodes reach this one at (default: this machine's address)")
  String host;

  @Option(names = "--port", description = "TCP port of this node (default 7355; 0 = any free port)")
  Integer port;

  private ActorSystem<ClusterNode.Command> system;

  @Override
  public Integer call() throws Exception {
    options.defaults = ClusterSettings.defaults();
    if (roles != null) {
      options.flag("cluster.roles", "[" + String.join(",", roles.stream().map(TrainCommand::quote).toList()) + "]");
    }
    if (seedNodes != null) {
      options.flag("cluster.seed-nodes",
          "[" + String.join(",", seedNodes.stream().map(TrainCommand::quote).toList()) + "]");
    }
    options.flag("cluster.host", host == null ? null : quote(host));
    options.flag("cluster.port", port);
    operationsFlags();
    if (resume != null && options.configFile == null) {
      options.configFile = resume.resolve("config.conf"); // a resumed learner node runs with its run's settings
    }
    Config early = options.resolve();
    ClusterSettings cluster = ClusterSettings.from(early);
    if (!cluster.has(Role.LEARNER)) {
      if (cluster.has(Role.ROLLOUT)) {
        Torch.configure(RunSettings.from(early).torchThreads());
      }
      if (DashboardSettings.from(early).enabled()) {
        DashboardSettings.from(early).checkBinding(); // before joining: a refused binding is a usage error
      }
      start(cluster, early);
      System.out.printf("rlft node %s up with roles %s; SIGTERM (Ctrl-C) leaves the cluster%n",
          Cluster.get(system).selfMember().address(), cluster.roles());
      try {
        if (DashboardSettings.from(early).enabled()) {
          Operations.within(system, early, System.out); // lives as long as the node
        } else {
          Operations.management(system, early, System.out);
        }
      } catch (RuntimeException e) {
        leave();
        throw e;
      }
      return awaitTermination();
    }
    try {
      return super.call(); // the pipeline starts the node (pipeline(...) below) and runs GRPO on the cluster
    } finally {
      leave();
    }
  }

  /** The learner node's operator surface, in its own actor system: the cluster's health monitor, always. */
  @Override
  OpsNode operations(Config config) {
    DashboardSettings dashboard = DashboardSettings.from(config);
    if (dashboard.enabled()) {
      dashboard.checkBinding(); // before joining: a refused binding is a usage error
    }
    start(ClusterSettings.from(config), config);
    return Operations.within(system, config, System.out);
  }

  @Override
  TrainPipeline pipeline(RunSettings settings, Config config) {
    start(ClusterSettings.from(config), config);
    System.out.printf("rlft learner node %s up; GRPO runs on the cluster%n", Cluster.get(system).selfMember().address());
    return new TrainPipeline(settings, config, System.out, new ClusterGrpoRun(system));
  }

  /** Starts this node's actor system, once. */
  private void start(ClusterSettings cluster, Config config) {
    if (system == null) {
      system = ClusterNode.start(cluster, config, c -> RunSettings.from(c).reward(c));
    }
  }

  /** Leaves the cluster gracefully (coordinated shutdown) and waits until this node is out. */
  private void leave() {
    if (system == null) {
      return;
    }
    try {
      CoordinatedShutdown.get(Adapter.toClassic(system)).runAll(CoordinatedShutdown.unknownReason())
          .toCompletableFuture().get(60, TimeUnit.SECONDS);
    } catch (Exception e) {
      System.err.println("rlft: note: leaving the cluster did not finish cleanly: " + e);
    }
  }

  /** Waits until the node stops; the exit code says why (0: asked to leave, 1: downed or failed to join). */
  private int awaitTermination() {
    system.getWhenTerminated().toCompletableFuture().join();
    Optional<CoordinatedShutdown.Reason> reason = CoordinatedShutdown.get(Adapter.toClassic(system)).getShutdownReason();
    if (reason.isPresent() && reason.get().equals(CoordinatedShutdown.clusterDowningReason())) {
      System.err.println("rlft: error: this node was removed from the cluster (downed by the split-brain resolver); "
          + "restart it to rejoin");
      return 1;
    }
    if (reason.isPresent() && reason.get().equals(CoordinatedShutdown.clusterJoinUnsuccessfulReason())) {
      System.err.println("rlft: error: could not join the cluster through any seed node (rlft.cluster.seed-nodes)");
      return 1;
    }
    return 0;
  }
}
