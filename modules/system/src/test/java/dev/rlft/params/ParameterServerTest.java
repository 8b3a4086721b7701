package dev.rlft.params;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.rlft.testing.WireChecked;
import java.time.Duration;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** The parameter server's versioning: waiting requests, up-to-date callers, stale publishes. */
class ParameterServerTest {

  private static final ActorTestKit testKit = ActorTestKit.create("parameter-server", WireChecked.config());

  /** Long enough for a wrongly answered request to arrive; short enough to keep the suite fast. */
  private static final Duration QUIET = Duration.ofMillis(200);

  private static int actors;

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  private static ActorRef<ParameterServer.Command> spawnServer() {
    return testKit.spawn(ParameterServer.create(), "params-" + (++actors));
  }

  private static <T> TestProbe<T> probe(Class<T> type) {
    return testKit.createTestProbe("probe-" + (++actors), type);
  }

  /** A one-tensor snapshot whose values encode its version, so replies can be told apart. */
  private static WeightSnapshot snapshot(long version) {
    return new WeightSnapshot(version, new String[] {"w"}, new float[][] {{version, -version, 0.5f}}, WeightSnapshot.Kind.FULL);
  }

  private static void publish(ActorRef<ParameterServer.Command> server, long version, long expectAck) {
    TestProbe<ParameterServer.Published> acks = probe(ParameterServer.Published.class);
    server.tell(new ParameterServer.Publish(snapshot(version), acks.ref()));
    assertEquals(expectAck, acks.receiveMessage().version());
  }

  private static void assertCarries(long version, ParameterServer.WeightsReply reply) {
    assertEquals(version, reply.version());
    assertNotNull(reply.snapshot(), "reply for version " + version + " carries no weights");
    assertEquals(version, reply.snapshot().version());
    assertArrayEquals(new String[] {"w"}, reply.snapshot().names());
    assertArrayEquals(snapshot(version).data()[0], reply.snapshot().data()[0]);
  }

  @Test
  void getWeights_beforeAnyPublish_waitsThenIsAnsweredOnPublish() {
    ActorRef<ParameterServer.Command> server = spawnServer();
    TestProbe<ParameterServer.WeightsReply> replies = probe(ParameterServer.WeightsReply.class);

    server.tell(new ParameterServer.GetWeights(-1, 0, replies.ref()));
    replies.expectNoMessage(QUIET);
    publish(server, 0, 0);

    assertCarries(0, replies.receiveMessage());
  }

  @Test
  void getWeights_minVersionInFuture_waitsForThatVersion() {
    ActorRef<ParameterServer.Command> server = spawnServer();
    TestProbe<ParameterServer.WeightsReply> replies = probe(ParameterServer.WeightsReply.class);
    publish(server, 0, 0);

    server.tell(new ParameterServer.GetWeights(0, 2, replies.ref()));
    replies.expectNoMessage(QUIET);
    publish(server, 1, 1);
    replies.expectNoMessage(QUIET);
    publish(server, 2, 2);

    assertCarries(2, replies.receiveMessage());
    replies.expectNoMessage(QUIET);
  }

  @Test
  void publish_severalWaiters_answersOnlyThoseNowSatisfied() {
    ActorRef<ParameterServer.Command> server = spawnServer();
    TestProbe<ParameterServer.WeightsReply> wantsOne = probe(ParameterServer.WeightsReply.class);
    TestProbe<ParameterServer.WeightsReply> wantsTwo = probe(ParameterServer.WeightsReply.class);
    server.tell(new ParameterServer.GetWeights(-1, 1, wantsOne.ref()));
    server.tell(new ParameterServer.GetWeights(-1, 2, wantsTwo.ref()));

    publish(server, 1, 1);

    assertCarries(1, wantsOne.receiveMessage());
    wantsTwo.expectNoMessage(QUIET);
    publish(server, 2, 2);
    assertCarries(2, wantsTwo.receiveMessage());
    wantsOne.expectNoMessage(QUIET);
  }

  @Test
  void getWeights_callerHoldsLatest_repliesWithoutWeights() {
    ActorRef<ParameterServer.Command> server = spawnServer();
    TestProbe<ParameterServer.WeightsReply> replies = probe(ParameterServer.WeightsReply.class);
    publish(server, 0, 0);
    publish(server, 3, 3);

    server.tell(new ParameterServer.GetWeights(3, 0, replies.ref()));
    ParameterServer.WeightsReply upToDate = replies.receiveMessage();
    server.tell(new ParameterServer.GetWeights(0, 0, replies.ref()));
    ParameterServer.WeightsReply behind = replies.receiveMessage();

    assertEquals(3, upToDate.version());
    assertNull(upToDate.snapshot());
    assertCarries(3, behind);
  }

  @Test
  void getWeights_waiterHoldsTheVersionPublished_isAnsweredWithoutWeights() {
    ActorRef<ParameterServer.Command> server = spawnServer();
    TestProbe<ParameterServer.WeightsReply> replies = probe(ParameterServer.WeightsReply.class);
    server.tell(new ParameterServer.GetWeights(0, 0, replies.ref()));

    publish(server, 0, 0);

    ParameterServer.WeightsReply reply = replies.receiveMessage();
    assertEquals(0, reply.version());
    assertNull(reply.snapshot());
  }

  @Test
  void publish_olderOrSameVersion_isIgnored() {
    ActorRef<ParameterServer.Command> server = spawnServer();
    TestProbe<ParameterServer.WeightsReply> replies = probe(ParameterServer.WeightsReply.class);
    TestProbe<ParameterServer.Version> versions = probe(ParameterServer.Version.class);
    publish(server, 2, 2);

    publish(server, 1, 2); // acknowledged with the version still held
    TestProbe<ParameterServer.Published> acks = probe(ParameterServer.Published.class);
    server.tell(new ParameterServer.Publish(
        new WeightSnapshot(2, new String[] {"w"}, new float[][] {{99f, 99f, 99f}}, WeightSnapshot.Kind.FULL), acks.ref()));
    assertEquals(2, acks.receiveMessage().version());
    server.tell(new ParameterServer.GetVersion(versions.ref()));
    server.tell(new ParameterServer.GetWeights(-1, 0, replies.ref()));

    assertEquals(2, versions.receiveMessage().version());
    assertCarries(2, replies.receiveMessage());
  }

  @Test
  void publish_withoutReplyTo_isStoredSilently() {
    ActorRef<ParameterServer.Command> server = spawnServer();
    TestProbe<ParameterServer.Version> versions = probe(ParameterServer.Version.class);

    server.tell(new ParameterServer.Publish(snapshot(5), null));
    server.tell(new ParameterServer.GetVersion(versions.ref()));

    assertEquals(5, versions.receiveMessage().version());
  }

  @Test
  void getVersion_beforeAndAfterPublish_reportsLatest() {
    ActorRef<ParameterServer.Command> server = spawnServer();
    TestProbe<ParameterServer.Version> versions = probe(ParameterServer.Version.class);

    server.tell(new ParameterServer.GetVersion(versions.ref()));
    long before = versions.receiveMessage().version();
    publish(server, 0, 0);
    publish(server, 4, 4);
    server.tell(new ParameterServer.GetVersion(versions.ref()));
    long after = versions.receiveMessage().version();

    assertEquals(-1, before);
    assertEquals(4, after);
  }

  @Test
  void getWeights_reply_isACopyNotTheStoredSnapshot() {
    ActorRef<ParameterServer.Command> server = spawnServer();
    TestProbe<ParameterServer.WeightsReply> replies = probe(ParameterServer.WeightsReply.class);
    WeightSnapshot published = snapshot(1);
    server.tell(new ParameterServer.Publish(published, null));

    server.tell(new ParameterServer.GetWeights(-1, 1, replies.ref()));
    ParameterServer.WeightsReply reply = replies.receiveMessage();

    // With serialize-messages on the weights crossed Kryo twice; sharing arrays would hide a wire bug.
    assertNotSame(published.data(), reply.snapshot().data());
    assertCarries(1, reply);
  }
}
