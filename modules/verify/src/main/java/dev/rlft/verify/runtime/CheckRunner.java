package dev.rlft.verify.runtime;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs each check on a worker thread and gives up on it at its deadline.
 *
 * <p>Workers are daemon threads from a pool that creates them on demand (up to
 * {@code maxThreads}) and retires idle ones after 30 s; a check never waits in a queue, so its
 * time limit is its own running time. At the deadline the worker is interrupted (Symja's
 * evaluation loop, the regex input view and every parser checkpoint honour interruption). A
 * worker that is still running {@value #GRACE_MILLIS} ms later is <em>stuck</em>, typically in a
 * library loop that ignores interruption (Symja's polynomial factoring, for one). It is abandoned:
 * the pool starts a fresh thread for the next check, and the stuck one counts against
 * {@code maxStuckThreads} until it finishes on its own. When that many are stuck, new checks fail
 * fast with a "saturated" outcome instead of starting more threads, so a flood of pathological
 * inputs leaks at most {@code maxStuckThreads} threads; being daemons they never block JVM exit.
 */
public final class CheckRunner implements AutoCloseable {
  /** How long an interrupted worker may take to stop before it counts as stuck. */
  static final long GRACE_MILLIS = 100;

  private static final int RUNNING = 0;
  private static final int DONE = 1;
  private static final int ABANDONED = 2;

  /** What happened to one task. */
  public sealed interface Outcome<T> {}

  /** The task returned a value. */
  public record Completed<T>(T value) implements Outcome<T> {}

  /** The task threw. */
  public record Failed<T>(Throwable error) implements Outcome<T> {}

  /** The task ran past its time limit and was interrupted. */
  public record TimedOut<T>(Duration limit, boolean stuck) implements Outcome<T> {}

  /** No worker was available (too many stuck or concurrent checks), or the caller was interrupted. */
  public record Rejected<T>(String reason) implements Outcome<T> {}

  private final ThreadPoolExecutor pool;
  private final int maxStuckThreads;
  private final AtomicInteger stuck = new AtomicInteger();
  private final AtomicInteger threadIds = new AtomicInteger();

  public CheckRunner(int maxThreads, int maxStuckThreads) {
    if (maxThreads < 1 || maxStuckThreads < 0) {
      throw new IllegalArgumentException("maxThreads must be >= 1 and maxStuckThreads >= 0, got "
          + maxThreads + ", " + maxStuckThreads);
    }
    this.maxStuckThreads = maxStuckThreads;
    this.pool = new ThreadPoolExecutor(0, maxThreads + maxStuckThreads, 30, TimeUnit.SECONDS,
        new SynchronousQueue<>(), r -> {
          Thread t = new Thread(r, "rlft-verify-worker-" + threadIds.incrementAndGet());
          t.setDaemon(true);
          return t;
        });
  }

  /** Number of workers currently abandoned and still running. */
  public int stuckThreads() {
    return stuck.get();
  }

  /** Runs {@code task} on a worker and waits at most {@code limit} for it. */
  public <T> Outcome<T> run(Callable<T> task, Duration limit) {
    Objects.requireNonNull(task, "task");
    if (stuck.get() >= maxStuckThreads && maxStuckThreads > 0) {
      return new Rejected<>(stuck.get() + " worker threads are stuck in earlier checks");
    }
    AtomicInteger state = new AtomicInteger(RUNNING);
    CountDownLatch finished = new CountDownLatch(1);
    Future<T> future;
    try {
      future = pool.submit(() -> {
        try {
          return task.call();
        } finally {
          if (!state.compareAndSet(RUNNING, DONE)) {
            stuck.decrementAndGet();
          }
          finished.countDown();
        }
      });
    } catch (RejectedExecutionException e) {
      return new Rejected<>("all " + pool.getMaximumPoolSize() + " worker threads are busy");
    }
    try {
      return new Completed<>(future.get(limit.toNanos(), TimeUnit.NANOSECONDS));
    } catch (ExecutionException e) {
      return new Failed<>(e.getCause());
    } catch (TimeoutException e) {
      future.cancel(true);
      boolean stopped = awaitQuietly(finished);
      if (!stopped && state.compareAndSet(RUNNING, ABANDONED)) {
        stuck.incrementAndGet();
        return new TimedOut<>(limit, true);
      }
      return new TimedOut<>(limit, false);
    } catch (InterruptedException e) {
      future.cancel(true);
      Thread.currentThread().interrupt();
      return new Rejected<>("caller interrupted");
    }
  }

  private static boolean awaitQuietly(CountDownLatch latch) {
    try {
      return latch.await(GRACE_MILLIS, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  @Override
  public void close() {
    pool.shutdownNow();
  }
}
