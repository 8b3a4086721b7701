package dev.rlft.cluster;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * One node's cluster settings ({@code rlft.cluster}), parsed once, and the Pekko configuration
 * they make: the member roles, the split-brain resolver and frame size of {@code
 * rlft-cluster.conf}, and, where given, Artery's {@code host:port} and the seed nodes. Where they
 * are not given, Pekko's own settings stand (for example, a deployment's configuration that forms
 * the cluster with Cluster Bootstrap instead of seed nodes).
 *
 * @param host the address other nodes reach this one at, or null for Artery's canonical hostname
 * @param port the TCP port (0: any free one), or null for Artery's canonical port
 * @param seedNodes {@code host:port} or full {@code pekko://rlft@host:port} addresses; empty for
 *     Pekko's {@code cluster.seed-nodes}
 */
public record ClusterSettings(Set<Role> roles, String host, Integer port, List<String> seedNodes, int rolloutWorkers,
    int rewardWorkers, long maxFrameBytes, Duration failureDetectionPause, Duration stableAfter,
    Duration workerWait) {

  /** The actor system's name; every node of one cluster must use it. */
  public static final String SYSTEM_NAME = "rlft";

  public ClusterSettings {
    roles = Set.copyOf(roles);
    seedNodes = List.copyOf(seedNodes);
    if (roles.isEmpty()) {
      throw new IllegalArgumentException("a node needs at least one role (--roles)");
    }
    if (port != null && (port < 0 || port > 65_535)) {
      throw new IllegalArgumentException("cluster port must be in [0, 65535], got " + port);
    }
    if (host != null && host.isBlank()) {
      throw new IllegalArgumentException("cluster host must not be blank");
    }
    for (String s : seedNodes) {
      address(s); // validates
    }
    if (rolloutWorkers < 1 || rewardWorkers < 1) {
      throw new IllegalArgumentException("rollout-workers-per-node and reward-workers-per-node must be >= 1");
    }
    if (maxFrameBytes < 32 * 1024) {
      throw new IllegalArgumentException("max-frame-size must be at least 32KiB, got " + maxFrameBytes);
    }
  }

  /** Reads {@code rlft.cluster} of {@code root}. */
  public static ClusterSettings from(Config root) {
    Config c = root.getConfig("rlft.cluster");
    String host = c.getString("host").isBlank() ? null : c.getString("host").trim();
    Integer port = c.getInt("port") == -1 ? null : c.getInt("port");
    return new ClusterSettings(Role.parse(c.getStringList("roles")), host, port,
        c.getStringList("seed-nodes"), c.getInt("rollout-workers-per-node"), c.getInt("reward-workers-per-node"),
        c.getBytes("max-frame-size"), c.getDuration("failure-detection-pause"), c.getDuration("stable-after"),
        c.getDuration("worker-wait"));
  }

  public boolean has(Role role) {
    return roles.contains(role);
  }

  /**
   * The actor system configuration of this node: the settings given here over {@code base}, which
   * must already hold {@link #defaults()} under the deployment's configuration. A node with no seed
   * nodes, given or configured, must form the cluster with Cluster Bootstrap.
   */
  public Config toConfig(Config base) {
    Config node = ConfigFactory.empty();
    if (host != null) {
      node = node.withValue("pekko.remote.artery.canonical.hostname", ConfigValueFactory.fromAnyRef(host));
    }
    if (port != null) {
      node = node.withValue("pekko.remote.artery.canonical.port", ConfigValueFactory.fromAnyRef(port));
    }
    if (!seedNodes.isEmpty()) {
      List<String> seeds = new ArrayList<>();
      for (String s : seedNodes) {
        seeds.add(address(s));
      }
      node = node.withValue("pekko.cluster.seed-nodes", ConfigValueFactory.fromIterable(seeds));
    }
    node = node
        .withValue("pekko.remote.artery.advanced.maximum-frame-size", ConfigValueFactory.fromAnyRef(maxFrameBytes))
        .withValue("pekko.cluster.roles", ConfigValueFactory.fromIterable(roles.stream().map(Role::id).sorted().toList()))
        .withValue("pekko.cluster.failure-detector.acceptable-heartbeat-pause",
            ConfigValueFactory.fromAnyRef(failureDetectionPause.toMillis() + "ms"))
        .withValue("pekko.cluster.split-brain-resolver.stable-after",
            ConfigValueFactory.fromAnyRef(stableAfter.toMillis() + "ms"));
    Config full = node.withFallback(base).resolve();
    boolean bootstrap = full.hasPath("pekko.extensions") && full.getStringList("pekko.extensions").stream()
        .anyMatch(e -> e.endsWith("ClusterBootstrap"));
    if (full.getStringList("pekko.cluster.seed-nodes").isEmpty() && !bootstrap) {
      throw new IllegalArgumentException("a node needs seed nodes to join (--seed-nodes host:port,...; the first "
          + "node of a new cluster lists itself) or Cluster Bootstrap in its configuration");
    }
    return full;
  }

  /**
   * The cluster defaults of {@code rlft-cluster.conf} (cluster provider, split-brain resolver,
   * coordinated shutdown). Layer them under a deployment's own configuration and over Pekko's
   * reference, so that a deployment can still change any of them (TLS transport, say).
   */
  public static Config defaults() {
    return ConfigFactory.parseResources(ClusterSettings.class.getClassLoader(), "rlft-cluster.conf");
  }

  /** {@code host:port} as a Pekko address; a full {@code pekko://} address is kept. */
  static String address(String seed) {
    String s = seed.trim();
    if (s.startsWith("pekko://")) {
      return s;
    }
    int colon = s.lastIndexOf(':');
    if (colon <= 0 || colon == s.length() - 1) {
      throw new IllegalArgumentException("seed node '" + seed + "' must be host:port");
    }
    try {
      int p = Integer.parseInt(s.substring(colon + 1));
      if (p < 1 || p > 65_535) {
        throw new NumberFormatException();
      }
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("seed node '" + seed + "' has no valid port");
    }
    return "pekko://" + SYSTEM_NAME + "@" + s;
  }
}
