package dev.rlft.verify.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

class CheckRunnerTest {
  private static final Duration LIMIT = Duration.ofMillis(100);

  @Test
  void run_quickTask_completes() {
    try (CheckRunner runner = new CheckRunner(2, 2)) {
      CheckRunner.Outcome<Integer> o = runner.run(() -> 42, LIMIT);
      assertEquals(new CheckRunner.Completed<>(42), o);
    }
  }

  @Test
  void run_throwingTask_reportsFailure() {
    try (CheckRunner runner = new CheckRunner(2, 2)) {
      CheckRunner.Outcome<Integer> o = runner.run(() -> {
        throw new IllegalStateException("boom");
      }, LIMIT);
      assertInstanceOf(CheckRunner.Failed.class, o);
    }
  }

  @Test
  void run_interruptibleSlowTask_timesOutWithoutStuckThread() {
    try (CheckRunner runner = new CheckRunner(2, 2)) {
      CheckRunner.Outcome<Integer> o = runner.run(() -> {
        Thread.sleep(10_000);
        return 1;
      }, LIMIT);
      assertEquals(new CheckRunner.TimedOut<>(LIMIT, false), o);
      assertEquals(0, runner.stuckThreads());
    }
  }

  @Test
  void run_taskIgnoringInterrupts_isAbandonedAndBounded() throws Exception {
    AtomicBoolean release = new AtomicBoolean();
    try (CheckRunner runner = new CheckRunner(2, 2)) {
      for (int i = 0; i < 2; i++) {
        CheckRunner.Outcome<Integer> o = runner.run(() -> spinIgnoringInterrupts(release), LIMIT);
        assertEquals(new CheckRunner.TimedOut<>(LIMIT, true), o);
      }
      assertEquals(2, runner.stuckThreads());
      // With the cap reached, checks are refused instead of starting more threads.
      assertInstanceOf(CheckRunner.Rejected.class, runner.run(() -> 1, LIMIT));
      release.set(true);
      long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
      while (runner.stuckThreads() > 0 && System.nanoTime() < deadline) {
        Thread.sleep(10);
      }
      assertEquals(0, runner.stuckThreads());
      assertEquals(new CheckRunner.Completed<>(1), runner.run(() -> 1, LIMIT));
    }
  }

  @Test
  void run_workerThreads_areDaemons() {
    try (CheckRunner runner = new CheckRunner(1, 1)) {
      CheckRunner.Outcome<Boolean> o = runner.run(() -> Thread.currentThread().isDaemon(), LIMIT);
      assertEquals(new CheckRunner.Completed<>(true), o);
    }
  }

  /** A loop that clears and ignores interruption, like a library computation that never checks it. */
  private static int spinIgnoringInterrupts(AtomicBoolean release) {
    long n = 0;
    while (!release.get()) {
      Thread.interrupted();
      n++;
    }
    assertTrue(n >= 0);
    return (int) n;
  }
}
