package dev.rlft.params;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorRefResolver;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * Weight sync across a real remote boundary: two actor systems in this JVM joined by Artery over
 * TCP on loopback (random ports), the parameter server in one and two receivers in the other. Every
 * message is serialized by the configured serializer, and chunks travel in Artery's ordinary frames
 * under the default settings.
 */
class WeightSyncArteryTest {

  private static final Config REMOTE = ConfigFactory.parseString("""
          pekko.actor.provider = remote
          pekko.remote.artery.transport = tcp
          pekko.remote.artery.canonical.hostname = 127.0.0.1
          pekko.remote.artery.canonical.port = 0
          pekko.remote.warn-about-direct-use = off
          pekko.remote.use-unsafe-remote-features-outside-cluster = on
          pekko.loglevel = WARNING
          """).withFallback(ConfigFactory.load());

  private static final ActorTestKit trainingNode = ActorTestKit.create("training", REMOTE);
  private static final ActorTestKit rolloutNode = ActorTestKit.create("rollout", REMOTE);

  private static final Duration WAIT = Duration.ofSeconds(30);

  @AfterAll
  static void shutdown() {
    rolloutNode.shutdownTestKit();
    trainingNode.shutdownTestKit();
  }

  private static float[] random(int n, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    float[] a = new float[n];
    for (int i = 0; i < n; i++) {
      a[i] = (float) r.nextGaussian();
    }
    return a;
  }

  @Test
  void sync_overArtery_movesMultiMegabyteVersionsToTwoReceiversUnderTheWindow() {
    WeightSyncSettings settings = WeightSyncSettings.fromConfig(trainingNode.system().settings().config());
    ActorRef<ParameterServer.Command> server = trainingNode.spawn(ParameterServer.create(), "params");
    TestProbe<ParameterServer.VersionSynced> synced = trainingNode.createTestProbe(ParameterServer.VersionSynced.class);
    server.tell(new ParameterServer.WatchSync(synced.ref()));
    // the rollout node knows the parameter server only by its remote address
    String address = ActorRefResolver.get(trainingNode.system()).toSerializationFormat(server);
    ActorRef<ParameterServer.Command> remoteServer = ActorRefResolver.get(rolloutNode.system()).resolveActorRef(address);
    assertTrue(address.contains("@127.0.0.1:"), address);
    TestProbe<WeightReceiver.Ready> one = rolloutNode.createTestProbe(WeightReceiver.Ready.class);
    TestProbe<WeightReceiver.Ready> two = rolloutNode.createTestProbe(WeightReceiver.Ready.class);
    rolloutNode.spawn(WeightReceiver.create(remoteServer, one.ref()), "weights-1");
    rolloutNode.spawn(WeightReceiver.create(remoteServer, two.ref()), "weights-2");
    TestProbe<ParameterServer.Subscribers> subscribers = trainingNode.createTestProbe(ParameterServer.Subscribers.class);
    subscribers.awaitAssert(WAIT, () -> {
      server.tell(new ParameterServer.GetSubscribers(subscribers.ref()));
      assertEquals(2, subscribers.receiveMessage().count());
      return null;
    });
    Map<String, float[]> v0 = new LinkedHashMap<>();
    v0.put("model.embed_tokens.weight", random(1 << 20, 1));
    v0.put("model.layers.0.mlp.up_proj.weight", random(700_001, 2));
    v0.put("model.norm.weight", random(64, 3));
    long bytes = 4L * (1 << 20) + 4L * 700_001 + 4L * 64; // 7 MB, about 38 chunks

    server.tell(new ParameterServer.Publish(WeightSnapshot.of(0, v0), null));

    for (TestProbe<WeightReceiver.Ready> owner : java.util.List.of(one, two)) {
      WeightReceiver.Ready ready = owner.receiveMessage(WAIT);
      assertEquals(0, ready.version());
      assertEquals(v0.keySet(), ready.changed().keySet());
      v0.forEach((k, a) -> assertArrayEquals(a, ready.changed().get(k), k));
      assertEquals(bytes, ready.bytes());
      assertEquals(0, ready.stats().creditViolations(), "a chunk arrived beyond the credit granted");
      assertEquals(0, ready.stats().corrupt());
    }
    ParameterServer.VersionSynced first = synced.receiveMessage(WAIT);
    assertEquals(2, first.delivered());
    assertEquals(2 * bytes, first.bytes());
    assertTrue(first.maxInFlight() <= settings.window(), "in flight " + first.maxInFlight() + " > window");
    assertTrue(first.maxInFlight() > 1, "the window was never used: stop-and-wait");
    // /user/weights-N is not a large-message destination: chunks were cut to fit the 256 KiB frame
    assertTrue(first.chunks() >= 2 * bytes / (256 * 1024), "chunks too big for Artery's frame: " + first.chunks());

    // version 1 changes one tensor: only it crosses the wire
    Map<String, float[]> v1 = new LinkedHashMap<>(v0);
    float[] changed = v0.get("model.norm.weight").clone();
    changed[7] = 42f;
    v1.put("model.norm.weight", changed);
    server.tell(new ParameterServer.Publish(WeightSnapshot.of(1, v1), null));

    for (TestProbe<WeightReceiver.Ready> owner : java.util.List.of(one, two)) {
      WeightReceiver.Ready ready = owner.receiveMessage(WAIT);
      assertEquals(1, ready.version());
      assertEquals(Set.of("model.norm.weight"), ready.changed().keySet());
      assertArrayEquals(changed, ready.changed().get("model.norm.weight"));
      assertEquals(4L * 64, ready.bytes());
    }
    assertEquals(2 * 4L * 64, synced.receiveMessage(WAIT).bytes());
  }
}
