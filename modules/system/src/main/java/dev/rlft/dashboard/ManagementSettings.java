package dev.rlft.dashboard;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.util.Map;

/**
 * Pekko Management HTTP ({@code rlft.management}): {@code /alive} and {@code /ready} for
 * orchestrators such as Kubernetes probes, and on a cluster node the read-only membership routes
 * ({@code /cluster/members}). They reveal health booleans and the member list, never training data,
 * so a non-loopback host needs no token.
 */
public record ManagementSettings(boolean enabled, String host, int port) {

  public ManagementSettings {
    if (host == null || host.isBlank()) {
      throw new IllegalArgumentException("management.host must not be empty");
    }
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("management.port must be 0..65535, got " + port);
    }
  }

  /**
   * Where the actor system's Pekko Management server binds ({@code pekko.management.http.hostname}
   * and {@code .port}) when {@code rlft.management} is enabled; empty otherwise, leaving Pekko's own
   * settings (e.g. those a Kubernetes deployment gives Cluster Bootstrap).
   */
  public Config pekkoConfig() {
    if (!enabled) {
      return ConfigFactory.empty();
    }
    return ConfigFactory.parseMap(Map.of("pekko.management.http.hostname", host, "pekko.management.http.port", port));
  }

  public static ManagementSettings from(Config config) {
    Config c = config.getConfig("rlft.management");
    return new ManagementSettings(c.getBoolean("enabled"), c.getString("host"), c.getInt("port"));
  }
}
