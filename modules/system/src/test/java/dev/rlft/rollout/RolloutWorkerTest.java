package dev.rlft.rollout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rlft.model.PromptTemplate;
import dev.rlft.model.SamplingParams;
import dev.rlft.params.ParameterServer;
import dev.rlft.params.WeightSnapshot;
import dev.rlft.testing.TinyPolicy;
import dev.rlft.testing.WireChecked;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** A rollout worker gets its weights through its weight receiver: versions, bytes, sync time, restarts. */
class RolloutWorkerTest {

  private static final ActorTestKit testKit = ActorTestKit.create("rollout-worker", WireChecked.config());
  private static final Duration WAIT = Duration.ofSeconds(30);
  private static int actors;

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  private static ArrayList<RolloutWorker.PromptGroup> oneGroup() {
    int[] prompt = PromptTemplate.PLAIN.encode(TinyPolicy.TOKENIZER, TinyPolicy.problems(1).get(0).problem());
    return new ArrayList<>(List.of(new RolloutWorker.PromptGroup(1, "p", prompt, "1", 2)));
  }

  private static RolloutWorker.Generated generate(ActorRef<RolloutWorker.Command> worker, long batch, long minVersion) {
    TestProbe<RolloutWorker.Generated> replies = testKit.createTestProbe("replies-" + (++actors),
        RolloutWorker.Generated.class);
    worker.tell(new RolloutWorker.Generate(batch, oneGroup(),
        new SamplingParams(1f, 1f, 0, TinyPolicy.MAX_NEW_TOKENS, 7), minVersion, replies.ref()));
    return replies.receiveMessage(WAIT);
  }

  private static long bytes(Map<String, float[]> w) {
    return w.values().stream().mapToLong(a -> 4L * a.length).sum();
  }

  @Test
  void generate_eachVersionArrivesThroughTheReceiver_withItsBytesAndSyncTime() {
    ActorRef<ParameterServer.Command> params = testKit.spawn(ParameterServer.create(), "params-" + (++actors));
    ActorRef<RolloutWorker.Command> worker = testKit.spawn(RolloutWorker.create(TinyPolicy.MODEL, TinyPolicy.TOKENIZER,
        params, Duration.ofSeconds(20)), "rollout-" + (++actors), DispatcherSelector.fromConfig("rlft.model-dispatcher"));
    Map<String, float[]> v0 = TinyPolicy.initialWeights(1);
    params.tell(new ParameterServer.Publish(WeightSnapshot.of(0, v0), null));

    RolloutWorker.Generated first = generate(worker, 1, 0);
    Map<String, float[]> v1 = new LinkedHashMap<>(v0);
    float[] norm = v0.get("model.norm.weight").clone();
    norm[0] += 0.5f;
    v1.put("model.norm.weight", norm);
    params.tell(new ParameterServer.Publish(WeightSnapshot.of(1, v1), null));
    RolloutWorker.Generated second = generate(worker, 2, 1);
    RolloutWorker.Generated third = generate(worker, 3, 1);

    assertEquals(0, first.weightVersion());
    assertEquals(bytes(v0), first.weightBytesReceived(), "the first version moves every weight");
    assertTrue(first.weightSyncNanos() > 0);
    assertEquals(1, second.weightVersion());
    assertEquals(4L * norm.length, second.weightBytesReceived(), "only the changed tensor moves");
    assertTrue(second.weightSyncNanos() > 0);
    assertEquals(1, third.weightVersion());
    assertEquals(0, third.weightBytesReceived());
    assertEquals(0, third.weightSyncNanos(), "no new version was loaded for the third batch");
    assertTrue(third.trajectories().stream().allMatch(t -> t.weightVersion() == 1));
  }

  @Test
  void generate_versionNeverArrives_workerRestartsAndServesLaterBatches() {
    ActorRef<ParameterServer.Command> params = testKit.spawn(ParameterServer.create(), "params-" + (++actors));
    ActorRef<RolloutWorker.Command> worker = testKit.spawn(RolloutWorker.create(TinyPolicy.MODEL, TinyPolicy.TOKENIZER,
        params, Duration.ofMillis(500)), "rollout-" + (++actors), DispatcherSelector.fromConfig("rlft.model-dispatcher"));
    params.tell(new ParameterServer.Publish(WeightSnapshot.of(0, TinyPolicy.initialWeights(2)), null));
    TestProbe<RolloutWorker.Generated> lost = testKit.createTestProbe("lost-" + (++actors), RolloutWorker.Generated.class);
    worker.tell(new RolloutWorker.Generate(1, oneGroup(), new SamplingParams(1f, 1f, 0, 8, 7), 3, lost.ref()));
    lost.expectNoMessage(Duration.ofSeconds(1)); // the worker times out waiting for version 3 and restarts

    params.tell(new ParameterServer.Publish(WeightSnapshot.of(3, TinyPolicy.initialWeights(3)), null));
    RolloutWorker.Generated after = generate(worker, 2, 3);

    assertEquals(3, after.weightVersion());
    TestProbe<ParameterServer.Subscribers> subscribers = testKit.createTestProbe("subs-" + (++actors),
        ParameterServer.Subscribers.class);
    subscribers.awaitAssert(WAIT, () -> {
      params.tell(new ParameterServer.GetSubscribers(subscribers.ref()));
      assertEquals(1, subscribers.receiveMessage().count(), "the restarted worker's receiver replaced the old one");
      return null;
    });
  }
}
