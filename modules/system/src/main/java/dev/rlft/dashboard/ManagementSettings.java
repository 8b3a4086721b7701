package dev.rlft.dashboard;

import com.typesafe.config.Config;

/**
 * Pekko Management HTTP ({@code rlft.management}): {@code /alive} and {@code /ready} for
 * orchestrators such as Kubernetes probes. They reveal only two booleans, so a non-loopback host
 * needs no token.
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

  public static ManagementSettings from(Config config) {
    Config c = config.getConfig("rlft.management");
    return new ManagementSettings(c.getBoolean("enabled"), c.getString("host"), c.getInt("port"));
  }
}
