package dev.rlft.params;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.rlft.testing.Weights;
import dev.rlft.testing.WireChecked;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * A parameter server that follows an upstream one ({@link ParameterServer#following}) found by a
 * receptionist key: its own receivers get exactly the upstream's tensors, shapes, versions and
 * kinds, for full versions, LoRA adapter-only versions and late joiners; a follower started late
 * gets the current version at once; it switches when another upstream replaces the listed one.
 * Every message is serialized on the way ({@link WireChecked}).
 */
class FollowingParameterServerTest {

  private static final ActorTestKit testKit = ActorTestKit.create("following-params", WireChecked.config());

  /** 64-byte chunks (16 values), a window of 4, credit every 2; fast timeouts. */
  private static final WeightSyncSettings SYNC = new WeightSyncSettings(64, 4, 2, Duration.ofMillis(300), 2,
      Duration.ofMillis(500));

  private static final Duration WAIT = Duration.ofSeconds(10);

  private static int actors;

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  private static String name(String prefix) {
    return prefix + "-" + (++actors);
  }

  private static <T> TestProbe<T> probe(Class<T> type) {
    return testKit.createTestProbe(name("probe"), type);
  }

  private static ServiceKey<ParameterServer.Command> key() {
    return ServiceKey.create(ParameterServer.Command.class, name("upstream-key"));
  }

  /** An upstream server, listed under {@code key} once the receptionist has it. */
  private static ActorRef<ParameterServer.Command> upstream(ServiceKey<ParameterServer.Command> key) {
    ActorRef<ParameterServer.Command> server = testKit.spawn(ParameterServer.create(SYNC), name("upstream"));
    TestProbe<Receptionist.Registered> registered = probe(Receptionist.Registered.class);
    testKit.system().receptionist().tell(Receptionist.register(key, server, registered.ref()));
    registered.receiveMessage(WAIT);
    return server;
  }

  private static ActorRef<ParameterServer.Command> follower(ServiceKey<ParameterServer.Command> key) {
    return testKit.spawn(ParameterServer.following(key, SYNC), name("follower"));
  }

  private static ActorRef<WeightReceiver.Command> receiver(ActorRef<ParameterServer.Command> server,
      TestProbe<WeightReceiver.Ready> owner) {
    return testKit.spawn(WeightReceiver.create(server, owner.ref(), SYNC), name("receiver"));
  }

  private static final Map<String, long[]> SHAPES = Map.of(
      "embed", new long[] {10, 8},
      "w", new long[] {4, 5, 2},
      "empty", new long[] {0, 3},
      "norm", new long[] {8},
      "w.lora_A.weight", new long[] {2, 5},
      "w.lora_B.weight", new long[] {4, 2});

  /** Base weights of several shapes (multi-chunk, one empty), with values from {@code seed}. */
  private static Map<String, float[]> base(long seed) {
    Map<String, float[]> w = new LinkedHashMap<>();
    w.put("embed", Weights.random(80, seed));
    w.put("w", Weights.random(40, seed + 1));
    w.put("empty", new float[0]);
    w.put("norm", Weights.random(8, seed + 2));
    return w;
  }

  private static Map<String, float[]> adapters(long seed) {
    Map<String, float[]> w = new LinkedHashMap<>();
    w.put("w.lora_A.weight", Weights.random(10, seed));
    w.put("w.lora_B.weight", Weights.random(8, seed + 1));
    return w;
  }

  private static WeightSnapshot snapshot(long version, Map<String, float[]> w, WeightSnapshot.Kind kind) {
    return WeightSnapshot.of(version, w, kind).withShapes(SHAPES);
  }

  private static void publish(ActorRef<ParameterServer.Command> server, WeightSnapshot s) {
    TestProbe<ParameterServer.Published> ack = probe(ParameterServer.Published.class);
    server.tell(new ParameterServer.Publish(s, ack.ref()));
    assertEquals(s.version(), ack.receiveMessage(WAIT).version());
  }

  /**
   * What a receiver's owner holds: each Ready's changed tensors over the previous ones. Checks that
   * the Ready names {@code expected}'s tensors in order, with their shapes, and holds their values.
   */
  private static Map<String, float[]> assertHolds(Map<String, float[]> held, WeightReceiver.Ready ready,
      Map<String, float[]> expected) {
    Map<String, float[]> now = new LinkedHashMap<>();
    for (String n : ready.names()) {
      now.put(n, ready.changed().containsKey(n) ? ready.changed().get(n) : held.get(n));
    }
    assertEquals(new ArrayList<>(expected.keySet()), ready.names());
    expected.forEach((k, v) -> assertArrayEquals(v, now.get(k), k));
    for (int i = 0; i < ready.names().size(); i++) {
      assertArrayEquals(SHAPES.get(ready.names().get(i)), ready.shapes().get(i), ready.names().get(i));
    }
    return now;
  }

  private static long bytes(Map<String, float[]> w) {
    return w.values().stream().mapToLong(a -> 4L * a.length).sum();
  }

  @Test
  void following_fullVersions_receiverGetsTheUpstreamsTensorsShapesAndVersions() {
    ServiceKey<ParameterServer.Command> key = key();
    ActorRef<ParameterServer.Command> upstream = upstream(key);
    ActorRef<ParameterServer.Command> follower = follower(key);
    TestProbe<WeightReceiver.Ready> owner = probe(WeightReceiver.Ready.class);
    receiver(follower, owner);

    Map<String, float[]> v3 = base(1);
    publish(upstream, snapshot(3, v3, WeightSnapshot.Kind.FULL));
    WeightReceiver.Ready first = owner.receiveMessage(WAIT);
    assertEquals(3, first.version());
    assertEquals(WeightSnapshot.Kind.FULL, first.kind());
    Map<String, float[]> held = assertHolds(Map.of(), first, v3);

    Map<String, float[]> v4 = new LinkedHashMap<>(v3);
    v4.put("w", Weights.random(40, 99));
    publish(upstream, snapshot(4, v4, WeightSnapshot.Kind.FULL));
    WeightReceiver.Ready second = owner.receiveMessage(WAIT);
    assertEquals(4, second.version());
    assertEquals(WeightSnapshot.Kind.FULL, second.kind());
    // the follower's version has the upstream's content, so its receivers too move only what changed
    assertEquals(List.of("w"), new ArrayList<>(second.changed().keySet()));
    assertEquals(4L * 40, second.bytes());
    assertHolds(held, second, v4);

    TestProbe<ParameterServer.Version> version = probe(ParameterServer.Version.class);
    follower.tell(new ParameterServer.GetVersion(version.ref()));
    assertEquals(4, version.receiveMessage(WAIT).version());
  }

  @Test
  void following_loraAdapterVersions_keepTheirKindMoveOnlyAdaptersAndALateJoinerGetsTheBaseToo() {
    ServiceKey<ParameterServer.Command> key = key();
    ActorRef<ParameterServer.Command> upstream = upstream(key);
    ActorRef<ParameterServer.Command> follower = follower(key);
    TestProbe<WeightReceiver.Ready> early = probe(WeightReceiver.Ready.class);
    receiver(follower, early);

    Map<String, float[]> full = base(10);
    full.putAll(adapters(11));
    publish(upstream, snapshot(0, full, WeightSnapshot.Kind.FULL));
    Map<String, float[]> held = assertHolds(Map.of(), early.receiveMessage(WAIT), full);

    Map<String, float[]> expected = full;
    for (int v = 1; v <= 2; v++) {
      Map<String, float[]> a = adapters(20 + v);
      publish(upstream, snapshot(v, a, WeightSnapshot.Kind.ADAPTERS));
      WeightReceiver.Ready ready = early.receiveMessage(WAIT);
      assertEquals(v, ready.version());
      assertEquals(WeightSnapshot.Kind.ADAPTERS, ready.kind());
      assertEquals(new ArrayList<>(a.keySet()), new ArrayList<>(ready.changed().keySet()));
      assertEquals(bytes(a), ready.bytes());
      expected = new LinkedHashMap<>(expected);
      expected.putAll(a);
      held = assertHolds(held, ready, expected);
    }

    TestProbe<WeightReceiver.Ready> late = probe(WeightReceiver.Ready.class);
    receiver(follower, late);
    WeightReceiver.Ready lateReady = late.receiveMessage(WAIT);
    assertEquals(2, lateReady.version());
    assertEquals(WeightSnapshot.Kind.ADAPTERS, lateReady.kind());
    assertEquals(bytes(expected), lateReady.bytes());
    assertHolds(Map.of(), lateReady, expected);

    // in the same JVM, GetWeights splits the follower's state into base and adapters as a published one would
    TestProbe<ParameterServer.WeightsReply> reply = probe(ParameterServer.WeightsReply.class);
    follower.tell(new ParameterServer.GetWeights(-1, 2, reply.ref()));
    ParameterServer.WeightsReply w = reply.receiveMessage(WAIT);
    assertEquals(2, w.version());
    assertEquals(WeightSnapshot.Kind.ADAPTERS, w.snapshot().kind());
    assertEquals(adapters(22).keySet(), w.snapshot().asMap().keySet());
    assertEquals(full.keySet(), w.base().asMap().keySet());
    w.base().baseWeights().forEach((k, v) -> assertArrayEquals(full.get(k), v, k));
  }

  @Test
  void following_startedAfterAdapterVersions_getsTheCurrentVersionAtOnceAndFollowsTheNextOnes() {
    ServiceKey<ParameterServer.Command> key = key();
    ActorRef<ParameterServer.Command> upstream = upstream(key);
    Map<String, float[]> full = base(30);
    full.putAll(adapters(31));
    publish(upstream, snapshot(5, full, WeightSnapshot.Kind.FULL));
    publish(upstream, snapshot(6, adapters(32), WeightSnapshot.Kind.ADAPTERS));

    // a follower that starts now (a params singleton moved to another node) holds nothing yet
    ActorRef<ParameterServer.Command> follower = follower(key);
    TestProbe<WeightReceiver.Ready> owner = probe(WeightReceiver.Ready.class);
    receiver(follower, owner);
    WeightReceiver.Ready ready = owner.receiveMessage(WAIT);
    assertEquals(6, ready.version());
    assertEquals(WeightSnapshot.Kind.ADAPTERS, ready.kind());
    Map<String, float[]> expected = new LinkedHashMap<>(full);
    expected.putAll(adapters(32));
    Map<String, float[]> held = assertHolds(Map.of(), ready, expected);

    publish(upstream, snapshot(7, adapters(33), WeightSnapshot.Kind.ADAPTERS));
    WeightReceiver.Ready next = owner.receiveMessage(WAIT);
    assertEquals(7, next.version());
    assertEquals(WeightSnapshot.Kind.ADAPTERS, next.kind());
    assertEquals(bytes(adapters(33)), next.bytes());
    expected.putAll(adapters(33));
    held = assertHolds(held, next, expected);

    // and a full version after adapter versions replaces the base
    Map<String, float[]> full8 = base(40);
    full8.putAll(adapters(41));
    publish(upstream, snapshot(8, full8, WeightSnapshot.Kind.FULL));
    WeightReceiver.Ready whole = owner.receiveMessage(WAIT);
    assertEquals(8, whole.version());
    assertEquals(WeightSnapshot.Kind.FULL, whole.kind());
    assertHolds(held, whole, full8);
  }

  @Test
  void following_upstreamReplaced_switchesAndServesTheNewOnesVersions() {
    ServiceKey<ParameterServer.Command> key = key();
    ActorRef<ParameterServer.Command> first = upstream(key);
    ActorRef<ParameterServer.Command> follower = follower(key);
    TestProbe<WeightReceiver.Ready> owner = probe(WeightReceiver.Ready.class);
    receiver(follower, owner);
    Map<String, float[]> v1 = base(50);
    publish(first, snapshot(1, v1, WeightSnapshot.Kind.FULL));
    Map<String, float[]> held = assertHolds(Map.of(), owner.receiveMessage(WAIT), v1);

    ActorRef<ParameterServer.Command> second = testKit.spawn(ParameterServer.create(SYNC), name("upstream"));
    Map<String, float[]> v2 = base(60);
    publish(second, snapshot(2, v2, WeightSnapshot.Kind.FULL));
    TestProbe<Receptionist.Registered> registered = probe(Receptionist.Registered.class);
    testKit.system().receptionist().tell(Receptionist.register(key, second, registered.ref()));
    registered.receiveMessage(WAIT);
    TestProbe<Receptionist.Deregistered> deregistered = probe(Receptionist.Deregistered.class);
    testKit.system().receptionist().tell(Receptionist.deregister(key, first, deregistered.ref()));
    deregistered.receiveMessage(WAIT);

    WeightReceiver.Ready ready = owner.receiveMessage(WAIT);
    assertEquals(2, ready.version());
    assertHolds(held, ready, v2);

    // the replaced upstream's later versions no longer reach the follower
    publish(first, snapshot(3, base(70), WeightSnapshot.Kind.FULL));
    owner.expectNoMessage(Duration.ofMillis(500));
    TestProbe<ParameterServer.Version> version = probe(ParameterServer.Version.class);
    follower.tell(new ParameterServer.GetVersion(version.ref()));
    assertEquals(2, version.receiveMessage(WAIT).version());
  }

  @Test
  void following_noUpstreamListed_servesWhatIsPublishedToItDirectly() {
    ActorRef<ParameterServer.Command> follower = follower(key());
    TestProbe<WeightReceiver.Ready> owner = probe(WeightReceiver.Ready.class);
    receiver(follower, owner);
    Map<String, float[]> v0 = base(80);
    publish(follower, snapshot(0, v0, WeightSnapshot.Kind.FULL));
    WeightReceiver.Ready ready = owner.receiveMessage(WAIT);
    assertEquals(0, ready.version());
    assertHolds(Map.of(), ready, v0);
    TestProbe<ParameterServer.WeightsReply> reply = probe(ParameterServer.WeightsReply.class);
    follower.tell(new ParameterServer.GetWeights(0, 0, reply.ref()));
    assertNull(reply.receiveMessage(WAIT).snapshot());
  }
}
