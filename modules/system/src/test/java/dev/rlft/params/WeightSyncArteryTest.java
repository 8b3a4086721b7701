package dev.rlft.params;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import dev.rlft.testing.Weights;
import java.io.DataOutputStream;
import java.io.InputStream;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorRefResolver;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Weight sync across a real remote boundary: two actor systems in this JVM joined by Artery over
 * TCP on loopback (random ports), the parameter server in one and two receivers in the other. Every
 * message is serialized by the configured serializer. With {@code transport = artery} chunks travel
 * in Artery's ordinary frames; with {@code tcp} (the default) over data connections the receivers
 * open to the parameter server's node, and the same checks apply.
 */
class WeightSyncArteryTest {

  private static final String REMOTE = """
      pekko.actor.provider = remote
      pekko.remote.artery.transport = tcp
      pekko.remote.artery.canonical.hostname = 127.0.0.1
      pekko.remote.artery.canonical.port = 0
      pekko.remote.warn-about-direct-use = off
      pekko.remote.use-unsafe-remote-features-outside-cluster = on
      pekko.loglevel = WARNING
      """;

  private static final Duration WAIT = Duration.ofSeconds(30);

  /** A parameter server node and a rollout node with two receivers subscribed. */
  private static final class Nodes implements AutoCloseable {
    final ActorTestKit training;
    final ActorTestKit rollout;
    final ActorRef<ParameterServer.Command> server;
    final TestProbe<ParameterServer.VersionSynced> synced;
    final List<TestProbe<WeightReceiver.Ready>> owners = new ArrayList<>();
    /** What each receiver handed over for the last version published. */
    final List<WeightReceiver.Ready> last = new ArrayList<>();

    Nodes(String trainingConfig, String rolloutConfig) {
      training = ActorTestKit.create("training", ConfigFactory.parseString(trainingConfig + REMOTE)
          .withFallback(ConfigFactory.load()));
      rollout = ActorTestKit.create("rollout", ConfigFactory.parseString(rolloutConfig + REMOTE)
          .withFallback(ConfigFactory.load()));
      server = training.spawn(ParameterServer.create(), "params");
      synced = training.createTestProbe(ParameterServer.VersionSynced.class);
      server.tell(new ParameterServer.WatchSync(synced.ref()));
      // the rollout node knows the parameter server only by its remote address
      String address = ActorRefResolver.get(training.system()).toSerializationFormat(server);
      assertTrue(address.contains("@127.0.0.1:"), address);
      ActorRef<ParameterServer.Command> remote = ActorRefResolver.get(rollout.system()).resolveActorRef(address);
      for (int i = 1; i <= 2; i++) {
        TestProbe<WeightReceiver.Ready> owner = rollout.createTestProbe(WeightReceiver.Ready.class);
        rollout.spawn(WeightReceiver.create(remote, owner.ref()), "weights-" + i);
        owners.add(owner);
      }
      TestProbe<ParameterServer.Subscribers> subscribers = training.createTestProbe(ParameterServer.Subscribers.class);
      subscribers.awaitAssert(WAIT, () -> {
        server.tell(new ParameterServer.GetSubscribers(subscribers.ref()));
        assertEquals(2, subscribers.receiveMessage().count());
        return null;
      });
    }

    WeightDataPlane plane() {
      return WeightDataPlane.get(training.system());
    }

    /** Publishes a version and checks that both receivers get exactly it; returns the sync report. */
    ParameterServer.VersionSynced publish(long version, Map<String, float[]> weights, Set<String> changed,
        long changedBytes) {
      server.tell(new ParameterServer.Publish(WeightSnapshot.of(version, weights), null));
      last.clear();
      for (TestProbe<WeightReceiver.Ready> owner : owners) {
        WeightReceiver.Ready ready = owner.receiveMessage(WAIT);
        last.add(ready);
        assertEquals(version, ready.version());
        assertEquals(changed, ready.changed().keySet());
        changed.forEach(k -> assertArrayEquals(weights.get(k), ready.changed().get(k), k));
        assertEquals(changedBytes, ready.bytes());
        assertEquals(0, ready.stats().creditViolations(), "a chunk arrived beyond the credit granted");
        assertEquals(0, ready.stats().corrupt());
      }
      ParameterServer.VersionSynced s = synced.receiveMessage(WAIT);
      assertEquals(version, s.version());
      assertEquals(2, s.delivered());
      return s;
    }

    @Override
    public void close() {
      rollout.shutdownTestKit();
      training.shutdownTestKit();
    }
  }

  private static Map<String, float[]> sevenMegabytes() {
    Map<String, float[]> v = new LinkedHashMap<>();
    v.put("model.embed_tokens.weight", Weights.random(1 << 20, 1));
    v.put("model.layers.0.mlp.up_proj.weight", Weights.random(700_001, 2));
    v.put("model.norm.weight", Weights.random(64, 3));
    return v;
  }

  private static final long SEVEN_MB = 4L * (1 << 20) + 4L * 700_001 + 4L * 64; // about 38 chunks

  /** Version 1 of {@link #sevenMegabytes()} with one value of the small tensor changed. */
  private static Map<String, float[]> oneChange(Map<String, float[]> v0) {
    Map<String, float[]> v1 = new LinkedHashMap<>(v0);
    float[] changed = v0.get("model.norm.weight").clone();
    changed[7] = 42f;
    v1.put("model.norm.weight", changed);
    return v1;
  }

  @ParameterizedTest
  @ValueSource(strings = {"artery", "tcp"})
  void sync_movesMultiMegabyteVersionsToTwoReceiversUnderTheWindow(String transport) {
    try (Nodes nodes = new Nodes("rlft.weight-sync.transport = " + transport + "\n", "")) {
      WeightSyncSettings settings = WeightSyncSettings.fromConfig(nodes.training.system().settings().config());
      Map<String, float[]> v0 = sevenMegabytes();

      ParameterServer.VersionSynced first = nodes.publish(0, v0, v0.keySet(), SEVEN_MB);

      assertEquals(2 * SEVEN_MB, first.bytes());
      if (transport.equals("artery")) {
        assertTrue(first.maxInFlight() <= settings.window(), "in flight " + first.maxInFlight() + " > window");
        assertTrue(first.maxInFlight() > 1, "the window was never used: stop-and-wait");
      } else {
        // a data connection is paced by TCP: the whole stream is queued on the link at once
        assertEquals(first.chunks() / 2, first.maxInFlight());
      }
      // /user/weights-N is not a large-message destination: chunks were cut to fit the 256 KiB frame
      // (also on data connections, so that a fallback to Artery can carry them)
      assertTrue(first.chunks() >= 2 * SEVEN_MB / (256 * 1024), "chunks too big for Artery's frame: " + first.chunks());
      WeightDataPlane plane = nodes.plane();
      List<Long> requests = nodes.last.stream().map(r -> r.stats().requests()).toList();
      if (transport.equals("tcp")) {
        assertEquals(2, plane.connectionsAdmitted());
        assertEquals(2 * SEVEN_MB, plane.bytesSent(), "chunk bytes not on the data connections");
        requests.forEach(n -> assertTrue(n >= 1, "the first version needs a request"));
      } else {
        assertFalse(plane.enabled());
        assertEquals(0, plane.bytesSent());
      }

      // version 1 changes one tensor: only it crosses the wire, on the same connections
      Map<String, float[]> v1 = oneChange(v0);
      assertEquals(2 * 4L * 64, nodes.publish(1, v1, Set.of("model.norm.weight"), 4L * 64).bytes());
      if (transport.equals("tcp")) {
        assertEquals(2, plane.connectionsAdmitted());
        assertEquals(2 * (SEVEN_MB + 4L * 64), plane.bytesSent());
        // the sender streamed the changed tensor with its offer, and each receiver took that stream
        for (int i = 0; i < 2; i++) {
          WeightReceiver.Stats stats = nodes.last.get(i).stats();
          assertEquals(1, stats.eagerStreams(), "receiver " + i);
          assertEquals(requests.get(i), stats.requests(), "receiver " + i + " asked for version 1");
        }
      } else {
        nodes.last.forEach(r -> assertEquals(0, r.stats().eagerStreams()));
      }
    }
  }

  @Test
  void tcp_connectionsCut_nextVersionsArriveAndGetNewConnections() {
    try (Nodes nodes = new Nodes("", "")) {
      Map<String, float[]> v0 = sevenMegabytes();
      nodes.publish(0, v0, v0.keySet(), SEVEN_MB);
      WeightDataPlane plane = nodes.plane();
      assertEquals(2, plane.cutConnections());

      // sent on new connections, or (when a sender writes before it notices) resent over Artery
      Map<String, float[]> v1 = new LinkedHashMap<>(v0);
      v1.put("model.embed_tokens.weight", Weights.random(1 << 20, 4));
      nodes.publish(1, v1, Set.of("model.embed_tokens.weight"), 4L * (1 << 20));

      Map<String, float[]> v2 = new LinkedHashMap<>(v1);
      v2.put("model.embed_tokens.weight", Weights.random(1 << 20, 5));
      long before = plane.bytesSent();
      nodes.publish(2, v2, Set.of("model.embed_tokens.weight"), 4L * (1 << 20));
      assertEquals(4, plane.connectionsAdmitted(), "the cut connections were not replaced");
      assertEquals(before + 2 * 4L * (1 << 20), plane.bytesSent(), "version 2 did not use the new connections");
    }
  }

  @Test
  void tcp_receiverCannotReachTheDataPort_chunksGoOverArtery() {
    // the parameter server's node listens on 127.0.0.2 but advertises 127.0.0.1, where nothing listens
    try (Nodes nodes = new Nodes("rlft.weight-sync.data.bind-hostname = 127.0.0.2\n", "")) {
      Map<String, float[]> v0 = sevenMegabytes();
      nodes.publish(0, v0, v0.keySet(), SEVEN_MB);
      assertEquals(0, nodes.plane().connectionsAdmitted());
      assertEquals(0, nodes.plane().bytesSent());
      // and it stays on Artery without waiting for a connection again
      long start = System.nanoTime();
      nodes.publish(1, oneChange(v0), Set.of("model.norm.weight"), 4L * 64);
      assertTrue(System.nanoTime() - start < Duration.ofSeconds(5).toNanos(), "version 1 waited for a data connection");
    }
  }

  @Test
  void tcp_connectionWithoutAValidToken_isRefused() throws Exception {
    try (Nodes nodes = new Nodes("", "")) {
      Map<String, float[]> v0 = sevenMegabytes();
      nodes.publish(0, v0, v0.keySet(), SEVEN_MB);
      int port = nodes.plane().boundPort();
      assertTrue(port > 0);
      for (long[] hello : List.of(new long[] {WeightDataPlane.MAGIC, WeightDataPlane.PROTOCOL, 1, 2},
          new long[] {0x47455420, 1, 0, 0})) { // a random token; an HTTP client
        try (Socket s = new Socket("127.0.0.1", port)) {
          s.setSoTimeout(5000);
          DataOutputStream out = new DataOutputStream(s.getOutputStream());
          out.writeInt((int) hello[0]);
          out.writeInt((int) hello[1]);
          out.writeLong(hello[2]);
          out.writeLong(hello[3]);
          out.flush();
          InputStream in = s.getInputStream();
          assertEquals(0, in.read(), "refusal byte");
          assertEquals(-1, in.read(), "the connection was not closed after the refusal");
        }
      }
      // the refused connections changed nothing
      assertEquals(2, nodes.plane().connectionsAdmitted());
      nodes.publish(1, oneChange(v0), Set.of("model.norm.weight"), 4L * 64);
    }
  }
}
