package dev.rlft.testing;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;

/**
 * The actor-system configuration every actor test runs under: each message sent to an actor is
 * serialized and deserialized on the way, so a message that cannot cross the wire fails the test.
 */
public final class WireChecked {

  private WireChecked() {}

  /** The module's configuration with message serialization verified (creators are not). */
  public static Config config() {
    return ConfigFactory.parseString("""
            pekko.actor.serialize-messages = on
            pekko.actor.serialize-creators = off
            pekko.loglevel = WARNING
            """)
        .withFallback(ConfigFactory.load());
  }
}
