package dev.rlft.params;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rlft.testing.Weights;
import dev.rlft.testing.WireChecked;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * The weight-sync protocol between the parameter server and receivers, with every message
 * serialized on the way ({@link WireChecked}): chunking and credit, checksum failures, lost chunks,
 * superseding versions, late joiners, LoRA adapter-only and delta versions.
 */
class WeightSyncTest {

  private static final ActorTestKit testKit = ActorTestKit.create("weight-sync", WireChecked.config());

  /** 64-byte chunks (16 values), a window of 4, credit every 2; fast timeouts. */
  private static final WeightSyncSettings SYNC = new WeightSyncSettings(64, 4, 2, Duration.ofMillis(300), 2,
      Duration.ofMillis(500));

  private static final Duration QUIET = Duration.ofMillis(200);
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

  private static ActorRef<ParameterServer.Command> server() {
    return testKit.spawn(ParameterServer.create(SYNC), name("params"));
  }

  private static TestProbe<ParameterServer.VersionSynced> watch(ActorRef<ParameterServer.Command> server) {
    TestProbe<ParameterServer.VersionSynced> synced = probe(ParameterServer.VersionSynced.class);
    server.tell(new ParameterServer.WatchSync(synced.ref()));
    return synced;
  }

  private static ActorRef<WeightReceiver.Command> receiver(ActorRef<ParameterServer.Command> server,
      TestProbe<WeightReceiver.Ready> owner) {
    return testKit.spawn(WeightReceiver.create(server, owner.ref(), SYNC), name("receiver"));
  }

  /** Four tensors (1, 7 and 3 chunks, and an empty one), with values from {@code seed}. */
  private static Map<String, float[]> weights(long seed) {
    Map<String, float[]> w = new LinkedHashMap<>();
    w.put("a", Weights.random(16, seed));
    w.put("b", Weights.random(100, seed + 1));
    w.put("empty", new float[0]);
    w.put("c", Weights.random(40, seed + 2));
    return w;
  }

  private static long bytes(Map<String, float[]> w) {
    return w.values().stream().mapToLong(a -> 4L * a.length).sum();
  }

  private static void publish(ActorRef<ParameterServer.Command> server, WeightSnapshot s) {
    TestProbe<ParameterServer.Published> ack = probe(ParameterServer.Published.class);
    server.tell(new ParameterServer.Publish(s, ack.ref()));
    assertEquals(s.version(), ack.receiveMessage(WAIT).version());
  }

  private static void awaitSubscribers(ActorRef<ParameterServer.Command> server, int n) {
    TestProbe<ParameterServer.Subscribers> p = probe(ParameterServer.Subscribers.class);
    p.awaitAssert(WAIT, () -> {
      server.tell(new ParameterServer.GetSubscribers(p.ref()));
      assertEquals(n, p.receiveMessage().count());
      return null;
    });
  }

  private static void assertTensors(Map<String, float[]> expected, Map<String, float[]> actual) {
    assertEquals(new ArrayList<>(expected.keySet()), new ArrayList<>(actual.keySet()));
    expected.forEach((k, v) -> assertArrayEquals(v, actual.get(k), k));
  }

  /**
   * A receiver behind a faulty link: messages to it pass through {@code fault}, which may return
   * the chunk, a damaged copy, or null to drop it. The receiver subscribes with the proxy's address.
   */
  private static Behavior<WeightReceiver.Command> faulty(ActorRef<ParameterServer.Command> server,
      ActorRef<WeightReceiver.Ready> owner, UnaryOperator<WeightReceiver.Chunk> fault) {
    return Behaviors.setup(ctx -> {
      ActorRef<WeightReceiver.Command> self = ctx.getSelf();
      ActorRef<ParameterServer.Command> rewrite = ctx.spawn(Behaviors.receive(ParameterServer.Command.class)
          .onMessage(ParameterServer.Subscribe.class, s -> {
            server.tell(new ParameterServer.Subscribe(self, s.haveVersion()));
            return Behaviors.same();
          })
          .build(), "subscribe-as-proxy");
      ActorRef<WeightReceiver.Command> inner = ctx.spawn(WeightReceiver.create(rewrite, owner, SYNC), "inner");
      return Behaviors.receive(WeightReceiver.Command.class)
          .onMessage(WeightReceiver.Chunk.class, c -> {
            WeightReceiver.Chunk out = fault.apply(c);
            if (out != null) {
              inner.tell(out);
            }
            return Behaviors.same();
          })
          .onAnyMessage(m -> {
            inner.tell(m);
            return Behaviors.same();
          })
          .build();
    });
  }

  private static WeightReceiver.Chunk damaged(WeightReceiver.Chunk c) {
    byte[] p = c.payload().clone();
    p[p.length / 2] ^= 0x10;
    return new WeightReceiver.Chunk(c.stream(), c.seq(), c.index(), p);
  }

  // --- the whole protocol ---------------------------------------------------------------------

  @Test
  void sync_multiChunkVersion_arrivesWholeAndVerified() {
    ActorRef<ParameterServer.Command> server = server();
    TestProbe<ParameterServer.VersionSynced> synced = watch(server);
    TestProbe<WeightReceiver.Ready> owner = probe(WeightReceiver.Ready.class);
    receiver(server, owner);
    awaitSubscribers(server, 1);
    Map<String, float[]> w = weights(1);

    publish(server, WeightSnapshot.of(0, w).withShapes(Map.of("a", new long[] {4, 4}, "b", new long[] {100},
        "empty", new long[] {0, 3}, "c", new long[] {8, 5})));

    WeightReceiver.Ready ready = owner.receiveMessage(WAIT);
    assertEquals(0, ready.version());
    assertTensors(w, ready.changed());
    assertEquals(List.of("a", "b", "empty", "c"), ready.names());
    assertEquals(bytes(w), ready.bytes());
    assertEquals(11, ready.stats().chunks(), "1 + 7 + 0 + 3 chunks of 64 bytes");
    ParameterServer.VersionSynced s = synced.receiveMessage(WAIT);
    assertEquals(0, s.version());
    assertEquals(1, s.delivered());
    assertEquals(bytes(w), s.bytes());
    assertTrue(s.maxInFlight() >= 2 && s.maxInFlight() <= SYNC.window(), "in flight: " + s.maxInFlight());
    owner.expectNoMessage(QUIET);
  }

  @Test
  void sync_twoReceivers_bothGetTheVersionEachUnderItsOwnWindow() {
    ActorRef<ParameterServer.Command> server = server();
    TestProbe<ParameterServer.VersionSynced> synced = watch(server);
    TestProbe<WeightReceiver.Ready> one = probe(WeightReceiver.Ready.class);
    TestProbe<WeightReceiver.Ready> two = probe(WeightReceiver.Ready.class);
    receiver(server, one);
    receiver(server, two);
    awaitSubscribers(server, 2);
    Map<String, float[]> w = weights(2);

    publish(server, WeightSnapshot.of(0, w));

    assertTensors(w, one.receiveMessage(WAIT).changed());
    assertTensors(w, two.receiveMessage(WAIT).changed());
    ParameterServer.VersionSynced s = synced.receiveMessage(WAIT);
    assertEquals(2, s.delivered());
    assertEquals(2 * bytes(w), s.bytes());
    assertTrue(s.maxInFlight() <= SYNC.window(), "in flight: " + s.maxInFlight());
  }

  // --- the sender, seen from a scripted receiver ----------------------------------------------

  @Test
  void sender_credit_neverSendsBeyondTheGrantAndResendsWithoutCredit() {
    ActorRef<ParameterServer.Command> server = server();
    TestProbe<WeightReceiver.Command> receiver = probe(WeightReceiver.Command.class);
    server.tell(new ParameterServer.Subscribe(receiver.ref(), -1));
    awaitSubscribers(server, 1);
    publish(server, WeightSnapshot.of(3, weights(3)));
    WeightReceiver.Offer offer = receiver.expectMessageClass(WeightReceiver.Offer.class, WAIT);
    assertEquals(3, offer.manifest().version());

    offer.sender().tell(new WeightSender.Request(3, 1, new int[] {0, 1, 2, 3}, 3));
    List<Integer> first = seqs(receiver, 3);
    receiver.expectNoMessage(QUIET);
    offer.sender().tell(new WeightSender.Credit(1, 1, 4));
    List<Integer> second = seqs(receiver, 1);
    receiver.expectNoMessage(QUIET);
    offer.sender().tell(new WeightSender.Resend(1, new int[] {1}));
    List<Integer> resent = seqs(receiver, 1);
    receiver.expectNoMessage(QUIET);
    offer.sender().tell(new WeightSender.Credit(1, 4, 6));
    List<Integer> third = seqs(receiver, 2);

    assertEquals(List.of(0, 1, 2), first);
    assertEquals(List.of(3), second);
    assertEquals(List.of(1), resent);
    assertEquals(List.of(4, 5), third);
    receiver.expectNoMessage(QUIET);
  }

  private static List<Integer> seqs(TestProbe<WeightReceiver.Command> receiver, int n) {
    List<Integer> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(receiver.expectMessageClass(WeightReceiver.Chunk.class, WAIT).seq());
    }
    return out;
  }

  @Test
  void sender_requestForTheDeltaOnly_streamsOnlyThoseTensorsChunks() {
    ActorRef<ParameterServer.Command> server = server();
    TestProbe<WeightReceiver.Command> receiver = probe(WeightReceiver.Command.class);
    server.tell(new ParameterServer.Subscribe(receiver.ref(), -1));
    awaitSubscribers(server, 1);
    publish(server, WeightSnapshot.of(0, weights(4)));
    WeightReceiver.Offer offer = receiver.expectMessageClass(WeightReceiver.Offer.class, WAIT);

    offer.sender().tell(new WeightSender.Request(0, 1, new int[] {3}, 100));
    List<Integer> chunkIndices = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      chunkIndices.add(receiver.expectMessageClass(WeightReceiver.Chunk.class, WAIT).index());
    }

    assertEquals(List.of(8, 9, 10), chunkIndices, "tensor c's chunks follow a's 1 and b's 7");
    receiver.expectNoMessage(QUIET);
  }

  // --- the receiver, seen from a scripted sender ----------------------------------------------

  private static PreparedVersion prepared(long version, Map<String, float[]> w) {
    List<long[]> shapes = new ArrayList<>();
    w.values().forEach(a -> shapes.add(new long[] {a.length}));
    return PreparedVersion.prepare(version, WeightSnapshot.Kind.FULL, new ArrayList<>(w.keySet()),
        new ArrayList<>(w.values()), shapes, SYNC.chunkBytes(), null);
  }

  @Test
  void receiver_badChecksumOrGap_asksForExactlyThoseChunksAgain() {
    TestProbe<ParameterServer.Command> params = probe(ParameterServer.Command.class);
    TestProbe<WeightSender.Command> sender = probe(WeightSender.Command.class);
    TestProbe<WeightReceiver.Ready> owner = probe(WeightReceiver.Ready.class);
    ActorRef<WeightReceiver.Command> receiver = testKit.spawn(WeightReceiver.create(params.ref(), owner.ref(), SYNC),
        name("receiver"));
    params.expectMessageClass(ParameterServer.Subscribe.class, WAIT);
    Map<String, float[]> w = weights(5);
    PreparedVersion v = prepared(1, w);

    receiver.tell(new WeightReceiver.Offer(v.manifest, sender.ref()));
    WeightSender.Request request = sender.expectMessageClass(WeightSender.Request.class, WAIT);
    int[] plan = v.layout.plan(request.tensors());
    receiver.tell(damaged(new WeightReceiver.Chunk(request.stream(), 0, plan[0], v.chunk(plan[0]))));
    WeightSender.Resend afterCorrupt = sender.expectMessageClass(WeightSender.Resend.class, WAIT);
    receiver.tell(new WeightReceiver.Chunk(request.stream(), 2, plan[2], v.chunk(plan[2])));
    WeightSender.Resend afterGap = sender.expectMessageClass(WeightSender.Resend.class, WAIT);

    assertEquals(1, request.version());
    assertArrayEquals(new int[] {0, 1, 2, 3}, request.tensors());
    assertEquals(SYNC.window(), request.grantedUpTo());
    assertArrayEquals(new int[] {0}, afterCorrupt.seqs());
    assertArrayEquals(new int[] {1}, afterGap.seqs(), "seq 0 was already asked for");
    owner.expectNoMessage(QUIET);

    // deliver the rest, in order, answering credit as the receiver grants it
    for (int seq = 0; seq < plan.length; seq++) {
      if (seq != 2) {
        receiver.tell(new WeightReceiver.Chunk(request.stream(), seq, plan[seq], v.chunk(plan[seq])));
      }
    }
    WeightReceiver.Ready ready = owner.receiveMessage(WAIT);
    assertTensors(w, ready.changed());
    assertEquals(1, ready.stats().corrupt());
    WeightSender.Command last;
    do {
      last = sender.receiveMessage(WAIT);
    } while (!(last instanceof WeightSender.Complete));
    assertTrue(((WeightSender.Complete) last).ok());
  }

  @Test
  void receiver_chunksOfAReplacedStream_areIgnored() {
    TestProbe<ParameterServer.Command> params = probe(ParameterServer.Command.class);
    TestProbe<WeightSender.Command> sender = probe(WeightSender.Command.class);
    TestProbe<WeightReceiver.Ready> owner = probe(WeightReceiver.Ready.class);
    ActorRef<WeightReceiver.Command> receiver = testKit.spawn(WeightReceiver.create(params.ref(), owner.ref(), SYNC),
        name("receiver"));
    PreparedVersion v1 = prepared(1, weights(6));
    PreparedVersion v2 = prepared(2, weights(7));

    receiver.tell(new WeightReceiver.Offer(v1.manifest, sender.ref()));
    WeightSender.Request r1 = sender.expectMessageClass(WeightSender.Request.class, WAIT);
    receiver.tell(new WeightReceiver.Offer(v2.manifest, sender.ref()));
    WeightSender.Request r2 = sender.expectMessageClass(WeightSender.Request.class, WAIT);
    int[] plan1 = v1.layout.plan(r1.tensors());
    for (int seq = 0; seq < plan1.length; seq++) {
      receiver.tell(new WeightReceiver.Chunk(r1.stream(), seq, plan1[seq], v1.chunk(plan1[seq])));
    }

    assertEquals(2, r2.version());
    assertTrue(r2.stream() > r1.stream());
    owner.expectNoMessage(QUIET);
  }

  // --- failures on a faulty link --------------------------------------------------------------

  @Test
  void sync_chunkCorruptedInTransit_isSentAgainAndTheVersionIsExact() {
    ActorRef<ParameterServer.Command> server = server();
    TestProbe<ParameterServer.VersionSynced> synced = watch(server);
    TestProbe<WeightReceiver.Ready> owner = probe(WeightReceiver.Ready.class);
    AtomicInteger damagedCount = new AtomicInteger();
    testKit.spawn(faulty(server, owner.ref(), c -> c.seq() == 3 && damagedCount.getAndIncrement() == 0
        ? damaged(c) : c), name("faulty"));
    awaitSubscribers(server, 1);
    Map<String, float[]> w = weights(8);

    publish(server, WeightSnapshot.of(0, w));

    WeightReceiver.Ready ready = owner.receiveMessage(WAIT);
    assertTensors(w, ready.changed());
    assertEquals(1, ready.stats().corrupt());
    ParameterServer.VersionSynced s = synced.receiveMessage(WAIT);
    assertEquals(1, s.resent());
    assertEquals(1, s.delivered());
  }

  @Test
  void sync_lastChunkLost_isAskedForAgainAfterTheTimeout() {
    ActorRef<ParameterServer.Command> server = server();
    TestProbe<WeightReceiver.Ready> owner = probe(WeightReceiver.Ready.class);
    AtomicInteger lastSent = new AtomicInteger();
    // the last chunk (seq 10) is lost the first time: no later chunk reveals the gap, only the timeout does
    testKit.spawn(faulty(server, owner.ref(), c -> c.seq() == 10 && lastSent.getAndIncrement() == 0 ? null : c),
        name("faulty"));
    awaitSubscribers(server, 1);
    Map<String, float[]> w = weights(9);

    long start = System.nanoTime();
    publish(server, WeightSnapshot.of(0, w));
    WeightReceiver.Ready ready = owner.receiveMessage(WAIT);

    assertTensors(w, ready.changed());
    assertEquals(2, lastSent.get(), "sent, lost, sent again");
    assertTrue(ready.stats().resendRequests() >= 1);
    assertTrue(System.nanoTime() - start >= SYNC.timeout().toNanos(), "recovered before any timeout could fire");
  }

  @Test
  void sync_chunkAlwaysCorrupt_restartsGivesUpThenRecoversOnResubscribe() {
    ActorRef<ParameterServer.Command> server = server();
    TestProbe<ParameterServer.VersionSynced> synced = watch(server);
    TestProbe<WeightReceiver.Ready> owner = probe(WeightReceiver.Ready.class);
    AtomicInteger damagedCount = new AtomicInteger();
    int tries = (SYNC.maxRetries() + 1) * (SYNC.maxRetries() + 1);
    // chunk 5 arrives damaged until the receiver has given the version up
    testKit.spawn(faulty(server, owner.ref(), c -> c.index() == 5 && damagedCount.getAndIncrement() < tries
        ? damaged(c) : c), name("faulty"));
    awaitSubscribers(server, 1);
    Map<String, float[]> w = weights(10);

    publish(server, WeightSnapshot.of(0, w));

    ParameterServer.VersionSynced s = synced.receiveMessage(WAIT);
    assertEquals(1, s.failed(), "the receiver gave the version up");
    assertEquals(0, s.delivered());
    WeightReceiver.Ready ready = owner.receiveMessage(WAIT);
    assertEquals(0, ready.version());
    assertTensors(w, ready.changed());
    assertEquals(SYNC.maxRetries() + 1, ready.stats().restarts());
    assertEquals(tries, ready.stats().corrupt());
  }

  // --- versions -------------------------------------------------------------------------------

  @Test
  void publish_newerVersionDuringTransfer_replacesItAndReusesItsCompleteTensors() {
    ActorRef<ParameterServer.Command> server = server();
    TestProbe<ParameterServer.VersionSynced> synced = watch(server);
    TestProbe<WeightReceiver.Ready> owner = probe(WeightReceiver.Ready.class);
    TestProbe<Integer> stalled = probe(Integer.class);
    // version 1 stalls after its first two chunks (tensor a, then b's first): every later chunk is lost
    long[] streamOfV1 = {-1};
    testKit.spawn(faulty(server, owner.ref(), c -> {
      if (streamOfV1[0] < 0) {
        streamOfV1[0] = c.stream();
      }
      if (c.stream() == streamOfV1[0] && c.seq() >= 2) {
        stalled.ref().tell(c.seq());
        return null;
      }
      return c;
    }), name("faulty"));
    awaitSubscribers(server, 1);
    Map<String, float[]> v1 = weights(11);
    Map<String, float[]> v2 = weights(12);
    v2.put("a", v1.get("a").clone()); // unchanged content, a new array

    publish(server, WeightSnapshot.of(1, v1));
    stalled.receiveMessage(WAIT);
    publish(server, WeightSnapshot.of(2, v2));

    WeightReceiver.Ready ready = owner.receiveMessage(WAIT);
    assertEquals(2, ready.version(), "version 1 is never handed over half received");
    assertTensors(v2, ready.changed());
    owner.expectNoMessage(QUIET);
    ParameterServer.VersionSynced first = synced.receiveMessage(WAIT);
    ParameterServer.VersionSynced second = synced.receiveMessage(WAIT);
    assertEquals(1, first.version());
    assertEquals(1, first.superseded());
    assertEquals(2, second.version());
    assertEquals(1, second.delivered());
    assertEquals(bytes(v2) - 4L * v2.get("a").length, second.bytes(), "tensor a came with version 1 already");
  }

  @Test
  void subscribe_afterSeveralVersions_getsOnlyTheCurrentOne() {
    ActorRef<ParameterServer.Command> server = server();
    publish(server, WeightSnapshot.of(0, weights(20)));
    publish(server, WeightSnapshot.of(1, weights(21)));
    Map<String, float[]> current = weights(22);
    publish(server, WeightSnapshot.of(2, current));
    TestProbe<WeightReceiver.Ready> owner = probe(WeightReceiver.Ready.class);

    receiver(server, owner);

    WeightReceiver.Ready ready = owner.receiveMessage(WAIT);
    assertEquals(2, ready.version());
    assertTensors(current, ready.changed());
    owner.expectNoMessage(QUIET);
  }

  @Test
  void sync_fullVersionWithOneTensorChanged_movesOnlyThatTensor() {
    ActorRef<ParameterServer.Command> server = server();
    TestProbe<ParameterServer.VersionSynced> synced = watch(server);
    TestProbe<WeightReceiver.Ready> owner = probe(WeightReceiver.Ready.class);
    receiver(server, owner);
    awaitSubscribers(server, 1);
    Map<String, float[]> v0 = weights(30);
    Map<String, float[]> v1 = new LinkedHashMap<>();
    v0.forEach((k, a) -> v1.put(k, a.clone())); // new arrays: unchanged is decided by content, not identity
    v1.get("b")[50] += 1f;
    publish(server, WeightSnapshot.of(0, v0));
    owner.receiveMessage(WAIT);
    synced.receiveMessage(WAIT);

    publish(server, WeightSnapshot.of(1, v1));

    WeightReceiver.Ready ready = owner.receiveMessage(WAIT);
    assertEquals(1, ready.version());
    assertEquals(Set.of("b"), ready.changed().keySet());
    assertArrayEquals(v1.get("b"), ready.changed().get("b"));
    assertEquals(4L * v1.get("b").length, ready.bytes());
    assertEquals(4L * v1.get("b").length, synced.receiveMessage(WAIT).bytes());
  }

  /** A LoRA-shaped state: two base weights and the A and B adapters of one projection. */
  private static Map<String, float[]> base(long seed) {
    Map<String, float[]> w = new LinkedHashMap<>();
    w.put("model.layers.0.self_attn.q_proj.weight", Weights.random(64, seed));
    w.put("model.norm.weight", Weights.random(8, seed + 1));
    return w;
  }

  private static Map<String, float[]> adapters(long seed) {
    Map<String, float[]> w = new LinkedHashMap<>();
    w.put("model.layers.0.self_attn.q_proj.lora_A.weight", Weights.random(16, seed));
    w.put("model.layers.0.self_attn.q_proj.lora_B.weight", Weights.random(16, seed + 1));
    return w;
  }

  @Test
  void sync_loraAdapterVersions_moveOnlyTheAdaptersAndALateJoinerGetsTheBaseToo() {
    ActorRef<ParameterServer.Command> server = server();
    TestProbe<ParameterServer.VersionSynced> synced = watch(server);
    TestProbe<WeightReceiver.Ready> early = probe(WeightReceiver.Ready.class);
    receiver(server, early);
    awaitSubscribers(server, 1);
    Map<String, float[]> full = base(40);
    full.putAll(adapters(41));
    publish(server, WeightSnapshot.of(0, full));
    assertTensors(full, early.receiveMessage(WAIT).changed());
    synced.receiveMessage(WAIT);

    Map<String, float[]> a1 = adapters(42);
    publish(server, WeightSnapshot.of(1, a1, WeightSnapshot.Kind.ADAPTERS));

    WeightReceiver.Ready ready = early.receiveMessage(WAIT);
    assertEquals(WeightSnapshot.Kind.ADAPTERS, ready.kind());
    assertTensors(a1, ready.changed());
    assertEquals(bytes(a1), ready.bytes());
    assertEquals(bytes(a1), synced.receiveMessage(WAIT).bytes());
    assertEquals(new ArrayList<>(full.keySet()), ready.names());

    TestProbe<WeightReceiver.Ready> late = probe(WeightReceiver.Ready.class);
    receiver(server, late);
    WeightReceiver.Ready lateReady = late.receiveMessage(WAIT);
    Map<String, float[]> expected = base(40);
    expected.putAll(a1);
    assertEquals(1, lateReady.version());
    assertTensors(expected, lateReady.changed());
  }

  @Test
  void receiver_stopped_endsItsSession() {
    ActorRef<ParameterServer.Command> server = server();
    TestProbe<WeightReceiver.Ready> owner = probe(WeightReceiver.Ready.class);
    ActorRef<WeightReceiver.Command> receiver = receiver(server, owner);
    awaitSubscribers(server, 1);

    testKit.stop(receiver);

    awaitSubscribers(server, 0);
  }

  @Test
  void receiver_idle_resubscribesSoARestartedServerFindsIt() {
    TestProbe<ParameterServer.Command> params = probe(ParameterServer.Command.class);
    TestProbe<WeightReceiver.Ready> owner = probe(WeightReceiver.Ready.class);
    testKit.spawn(WeightReceiver.create(params.ref(), owner.ref(), SYNC), name("receiver"));

    ParameterServer.Subscribe first = assertInstanceOf(ParameterServer.Subscribe.class, params.receiveMessage(WAIT));
    ParameterServer.Subscribe again = assertInstanceOf(ParameterServer.Subscribe.class, params.receiveMessage(WAIT));

    assertEquals(-1, first.haveVersion());
    assertEquals(first.receiver(), again.receiver());
  }

  @Test
  void publish_shapeInconsistentWithValues_isIgnoredWithTheVersionKept() {
    ActorRef<ParameterServer.Command> server = server();
    publish(server, WeightSnapshot.of(0, weights(50)));
    TestProbe<ParameterServer.Published> ack = probe(ParameterServer.Published.class);
    // a snapshot with a negative dimension passes the snapshot's own check (product 0 = 0 values) but not the manifest's
    WeightSnapshot bad = new WeightSnapshot(1, new String[] {"w"}, new float[][] {{}}, WeightSnapshot.Kind.FULL,
        new long[][] {{-1, 0}});

    server.tell(new ParameterServer.Publish(bad, ack.ref()));

    assertEquals(0, ack.receiveMessage(WAIT).version());
    TestProbe<WeightReceiver.Ready> owner = probe(WeightReceiver.Ready.class);
    receiver(server, owner);
    assertEquals(0, owner.receiveMessage(WAIT).version());
  }

  @Test
  void recycle_arraysGivenBack_carryTheNextVersionInsteadOfNewOnes() {
    ActorRef<ParameterServer.Command> server = server();
    TestProbe<WeightReceiver.Ready> owner = probe(WeightReceiver.Ready.class);
    ActorRef<WeightReceiver.Command> receiver = receiver(server, owner);
    Map<String, float[]> v0 = new LinkedHashMap<>();
    v0.put("a", Weights.random(100, 1));
    v0.put("b", Weights.random(100, 2));
    v0.put("c", Weights.random(37, 3));
    server.tell(new ParameterServer.Publish(WeightSnapshot.of(0, v0), null));
    WeightReceiver.Ready first = owner.receiveMessage(WAIT);
    List<float[]> given = new ArrayList<>(first.changed().values());
    // the owner copied them (as a rollout worker does into its model) and gives them back, with a foreign length too
    receiver.tell(new WeightReceiver.Recycle(List.of(given.get(0), given.get(1), given.get(2), new float[55])));

    Map<String, float[]> v1 = new LinkedHashMap<>();
    v1.put("a", Weights.random(100, 4));
    v1.put("b", Weights.random(100, 5));
    v1.put("c", Weights.random(37, 6));
    server.tell(new ParameterServer.Publish(WeightSnapshot.of(1, v1), null));
    WeightReceiver.Ready second = owner.receiveMessage(WAIT);

    assertEquals(1, second.version());
    java.util.Set<float[]> reused = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
    reused.addAll(given);
    for (String k : v1.keySet()) {
      assertArrayEquals(v1.get(k), second.changed().get(k), k);
      assertTrue(reused.contains(second.changed().get(k)), k + " was written into a new array");
    }
  }
}
