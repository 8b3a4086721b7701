package dev.rlft.health;

import com.typesafe.config.Config;
import java.time.Duration;
import java.util.List;

/**
 * How actors report their health and when the monitor calls them unhealthy ({@code rlft.health}).
 *
 * @param enabled whether actors are wrapped for health reporting at all
 * @param interval how often every actor's state is sent to the monitor
 * @param timeout an actor with no heartbeat for this long is down (red)
 * @param stuckAfter an actor busy with one message for this long is down (red), as stuck
 * @param essentialRoles readiness is false while any actor of one of these roles is down
 */
public record HealthSettings(boolean enabled, Duration interval, Duration timeout, Duration stuckAfter,
    List<String> essentialRoles) {

  public HealthSettings {
    if (interval.isNegative() || interval.isZero()) {
      throw new IllegalArgumentException("health.interval must be positive, got " + interval);
    }
    if (timeout.compareTo(interval) <= 0) {
      throw new IllegalArgumentException("health.timeout (" + timeout + ") must be longer than health.interval ("
          + interval + ")");
    }
    if (stuckAfter.isNegative() || stuckAfter.isZero()) {
      throw new IllegalArgumentException("health.stuck-after must be positive, got " + stuckAfter);
    }
    essentialRoles = List.copyOf(essentialRoles);
  }

  /** Reads {@code rlft.health} from an actor system's (or a run's) configuration. */
  public static HealthSettings from(Config config) {
    Config c = config.getConfig("rlft.health");
    return new HealthSettings(c.getBoolean("enabled"), c.getDuration("interval"), c.getDuration("timeout"),
        c.getDuration("stuck-after"), c.getStringList("essential-roles"));
  }

  /** A heartbeat older than this (but younger than {@link #timeout}) marks the actor late (amber). */
  public Duration lateAfter() {
    Duration late = interval.multipliedBy(5).dividedBy(2);
    return late.compareTo(timeout) < 0 ? late : timeout;
  }
}
