package dev.rlft.dashboard;

import com.typesafe.config.Config;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;

/**
 * Where and how the dashboard is served ({@code rlft.dashboard}).
 *
 * @param host address to bind; anything but a loopback address requires {@code token}
 * @param port TCP port; 0 picks a free one
 * @param token access token, or empty for none (loopback only)
 * @param refresh how often the page polls
 * @param maxPoints metrics records kept for the page
 * @param samples sample completions kept for the page
 */
public record DashboardSettings(boolean enabled, String host, int port, String token, Duration refresh, int maxPoints,
    int samples) {

  public DashboardSettings {
    if (host == null || host.isBlank()) {
      throw new IllegalArgumentException("dashboard.host must not be empty");
    }
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("dashboard.port must be 0..65535, got " + port);
    }
    if (refresh.isNegative() || refresh.isZero()) {
      throw new IllegalArgumentException("dashboard.refresh must be positive, got " + refresh);
    }
    token = token == null ? "" : token;
  }

  public static DashboardSettings from(Config config) {
    Config c = config.getConfig("rlft.dashboard");
    return new DashboardSettings(c.getBoolean("enabled"), c.getString("host"), c.getInt("port"), c.getString("token"),
        c.getDuration("refresh"), c.getInt("max-points"), c.getInt("samples"));
  }

  /** Whether {@code host} is a loopback address (reachable from this machine only). */
  public boolean loopback() {
    return isLoopback(host);
  }

  /**
   * Refuses a binding that would expose the dashboard without a token.
   *
   * @throws IllegalArgumentException for a non-loopback host with no token, or an unknown host
   */
  public void checkBinding() {
    if (!loopback() && token.isBlank()) {
      throw new IllegalArgumentException("the dashboard would listen on " + host + ", which other machines can reach, "
          + "without an access token: set rlft.dashboard.token (or --dashboard-token), or bind to 127.0.0.1");
    }
  }

  static boolean isLoopback(String host) {
    try {
      return InetAddress.getByName(host).isLoopbackAddress();
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException("dashboard host '" + host + "' does not resolve: " + e.getMessage());
    }
  }
}
