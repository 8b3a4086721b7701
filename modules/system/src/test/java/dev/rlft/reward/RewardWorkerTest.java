package dev.rlft.reward;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.rlft.testing.WireChecked;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** The supervised reward pool: results stay aligned with requests, and a crash does not kill it. */
class RewardWorkerTest {

  private static final ActorTestKit testKit = ActorTestKit.create("reward-worker", WireChecked.config());

  private static int actors;

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  private static ActorRef<RewardWorker.Command> spawnPool(int size, RewardFunction fn) {
    return testKit.spawn(RewardWorker.pool(size, fn), "reward-" + (++actors));
  }

  private static TestProbe<RewardWorker.Scored> probe() {
    return testKit.createTestProbe("scores-" + (++actors), RewardWorker.Scored.class);
  }

  private static RewardWorker.Score score(long batchId, int attempt, List<String> completions, List<String> answers,
      TestProbe<RewardWorker.Scored> replyTo) {
    return new RewardWorker.Score(batchId, attempt, new ArrayList<>(completions), new ArrayList<>(answers),
        replyTo.ref());
  }

  /** Throws on its first call only; counts every call. */
  private static final class FailsOnce implements RewardFunction {
    final AtomicInteger calls = new AtomicInteger();
    private final RewardFunction delegate = new BoxedAnswerReward();

    @Override
    public RewardResult score(String completion, String answer) {
      if (calls.getAndIncrement() == 0) {
        throw new IllegalStateException("reward backend hiccup (test)");
      }
      return delegate.score(completion, answer);
    }

    @Override
    public String name() {
      return "fails-once";
    }
  }

  @Test
  void pool_oneBatch_rewardsAlignWithCompletions() {
    ActorRef<RewardWorker.Command> pool = spawnPool(2, new BoxedAnswerReward());
    TestProbe<RewardWorker.Scored> replies = probe();

    pool.tell(score(7, 1, List.of("7+5=12\n\\boxed{12}", "no answer here", "\\boxed{5}", "\\boxed{1,000}"),
        List.of("12", "12", "4", "1000"), replies));
    RewardWorker.Scored s = replies.receiveMessage();

    assertEquals(7, s.batchId());
    assertEquals(1, s.attempt());
    assertArrayEquals(new float[] {1f, 0f, 0f, 1f}, s.rewards());
    assertArrayEquals(new boolean[] {true, false, false, true}, s.correct());
    assertArrayEquals(new String[] {"12", null, "5", "1,000"}, s.extracted());
  }

  @Test
  void pool_manyBatches_eachReplyMatchesItsOwnRequest() {
    ActorRef<RewardWorker.Command> pool = spawnPool(3, new BoxedAnswerReward());
    TestProbe<RewardWorker.Scored> replies = probe();
    int batches = 9;

    for (int b = 0; b < batches; b++) {
      // batch b: only the completion at index b % 3 boxes the right answer
      List<String> completions = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        completions.add("\\boxed{" + (i == b % 3 ? b : b + 100) + "}");
      }
      pool.tell(score(b, 0, completions, List.of(String.valueOf(b), String.valueOf(b), String.valueOf(b)), replies));
    }
    Map<Long, RewardWorker.Scored> byBatch = new HashMap<>();
    for (RewardWorker.Scored s : replies.receiveSeveralMessages(batches)) {
      byBatch.put(s.batchId(), s);
    }

    assertEquals(batches, byBatch.size());
    for (long b = 0; b < batches; b++) {
      boolean[] expected = new boolean[3];
      expected[(int) (b % 3)] = true;
      assertArrayEquals(expected, byBatch.get(b).correct(), "batch " + b);
      assertEquals(String.valueOf(b + 100), byBatch.get(b).extracted()[(int) ((b + 1) % 3)], "batch " + b);
    }
  }

  @Test
  void pool_functionThrowsOnFirstCall_workerRestartsAndServesNextRequest() {
    FailsOnce fn = new FailsOnce();
    // One worker only: the second request can only be served if the crashed worker was restarted.
    ActorRef<RewardWorker.Command> pool = spawnPool(1, fn);
    TestProbe<RewardWorker.Scored> replies = probe();

    pool.tell(score(1, 0, List.of("\\boxed{3}", "\\boxed{4}"), List.of("3", "3"), replies));
    replies.expectNoMessage(Duration.ofMillis(300));
    pool.tell(score(1, 1, List.of("\\boxed{3}", "\\boxed{4}"), List.of("3", "3"), replies));
    RewardWorker.Scored retried = replies.receiveMessage();

    assertEquals(1, retried.batchId());
    assertEquals(1, retried.attempt());
    assertArrayEquals(new float[] {1f, 0f}, retried.rewards());
    assertEquals(3, fn.calls.get(), "one failed call, then both completions of the retry");
  }

  @Test
  void pool_afterACrash_keepsServingLaterBatches() {
    FailsOnce fn = new FailsOnce();
    ActorRef<RewardWorker.Command> pool = spawnPool(2, fn);
    TestProbe<RewardWorker.Scored> replies = probe();

    pool.tell(score(0, 0, List.of("\\boxed{1}"), List.of("1"), replies));
    replies.expectNoMessage(Duration.ofMillis(300));
    for (long b = 1; b <= 4; b++) {
      pool.tell(score(b, 0, List.of("\\boxed{1}"), List.of("1"), replies));
    }
    List<RewardWorker.Scored> scored = replies.receiveSeveralMessages(4);

    assertEquals(List.of(1L, 2L, 3L, 4L), scored.stream().map(RewardWorker.Scored::batchId).sorted().toList());
    assertEquals(5, fn.calls.get(), "the crashed call plus one per later batch");
  }

  @Test
  void pool_sizeZero_isRejected() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> RewardWorker.pool(0, new BoxedAnswerReward()));
    assertEquals("reward worker pool size must be >= 1, got 0", e.getMessage());
  }

  @Test
  void score_completionsAndAnswersDifferInCount_isRejected() {
    TestProbe<RewardWorker.Scored> replies = probe();
    assertThrows(IllegalArgumentException.class,
        () -> score(0, 0, List.of("a", "b"), List.of("1"), replies));
  }
}
