package dev.rlft.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** A node's settings become the Pekko configuration of a cluster member with the chosen downing. */
class ClusterSettingsTest {

  /** A node's configuration as `rlft node` layers it: the deployment's settings, the cluster defaults, the reference. */
  private static Config base(String overrides) {
    return ConfigFactory.parseString(overrides).withFallback(ClusterSettings.defaults())
        .withFallback(ConfigFactory.load()).resolve();
  }

  @Test
  void toConfig_rolloutNode_isAClusterMemberWithItsAddressRolesSeedsAndResolver() {
    Config deployment = base("""
        rlft.cluster { roles = [rollout, reward], host = "10.0.0.3", port = 2552,
          seed-nodes = ["10.0.0.1:2551", "pekko://rlft@10.0.0.2:2551"], max-frame-size = 8MiB,
          stable-after = 5s, failure-detection-pause = 4s }
        """);
    ClusterSettings s = ClusterSettings.from(deployment);

    Config c = s.toConfig(deployment);

    assertEquals(Set.of(Role.ROLLOUT, Role.REWARD), s.roles());
    assertEquals("cluster", c.getString("pekko.actor.provider"));
    assertEquals("10.0.0.3", c.getString("pekko.remote.artery.canonical.hostname"));
    assertEquals(2552, c.getInt("pekko.remote.artery.canonical.port"));
    assertEquals(List.of("pekko://rlft@10.0.0.1:2551", "pekko://rlft@10.0.0.2:2551"),
        c.getStringList("pekko.cluster.seed-nodes"));
    assertEquals(List.of("reward", "rollout"), c.getStringList("pekko.cluster.roles"));
    assertEquals(8L * 1024 * 1024, c.getBytes("pekko.remote.artery.advanced.maximum-frame-size"));
    assertEquals("org.apache.pekko.cluster.sbr.SplitBrainResolverProvider",
        c.getString("pekko.cluster.downing-provider-class"));
    assertEquals("keep-oldest", c.getString("pekko.cluster.split-brain-resolver.active-strategy"));
    assertTrue(c.getBoolean("pekko.cluster.split-brain-resolver.keep-oldest.down-if-alone"));
    assertEquals(5_000, c.getDuration("pekko.cluster.split-brain-resolver.stable-after").toMillis());
    assertEquals(4_000, c.getDuration("pekko.cluster.failure-detector.acceptable-heartbeat-pause").toMillis());
    assertFalse(c.getBoolean("pekko.actor.allow-java-serialization"), "Java serialization must stay off");
    assertEquals("dev.rlft.wire.ProtoSerializer", c.getString("pekko.actor.serializers.rlft-proto"));
  }

  @Test
  void toConfig_noHostPortOrSeedsGiven_keepsTheDeploymentsOwn() {
    Config deployment = base("""
        pekko.remote.artery.canonical.port = 7355
        pekko.remote.artery.transport = tls-tcp
        pekko.cluster.seed-nodes = []
        pekko.extensions += "org.apache.pekko.management.cluster.bootstrap.ClusterBootstrap"
        rlft.cluster.roles = [reward]
        """);

    Config c = ClusterSettings.from(deployment).toConfig(deployment);

    assertEquals(7355, c.getInt("pekko.remote.artery.canonical.port"));
    assertEquals("tls-tcp", c.getString("pekko.remote.artery.transport"), "the deployment's transport was overridden");
    assertEquals(List.of(), c.getStringList("pekko.cluster.seed-nodes"));
    assertEquals("cluster", c.getString("pekko.actor.provider"));
  }

  @Test
  void toConfig_noSeedsAndNoBootstrap_isAnErrorSayingWhatToGive() {
    Config c = base("rlft.cluster.roles = [rollout]");

    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> ClusterSettings.from(c).toConfig(c));
    assertTrue(e.getMessage().contains("--seed-nodes"), e.getMessage());
  }

  @Test
  void from_noRoles_isAnError() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ClusterSettings.from(base("")));
    assertTrue(e.getMessage().contains("at least one role"), e.getMessage());
  }

  @Test
  void role_parse_isCaseInsensitiveAndIgnoresBlanks() {
    assertEquals(Set.of(Role.LEARNER, Role.PARAMS), Role.parse(List.of("Learner", " params ", "")));
  }
}
