package dev.rlft.model;

import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * Where native tensor work in this JVM can be made to take turns.
 *
 * <p>Everything that computes with, creates or frees a model's tensors (sampling, SFT, GRPO and
 * PPO updates, weight import and export, model creation and closing) runs through {@link
 * #run}. By default that is a plain call: a rollout worker samples while the learner trains, on
 * separate models, as PyTorch allows. With the system property {@code rlft.serialize-native=true}
 * (for example in {@code RLFT_JAVA_OPTS}) every such call holds one reentrant lock instead, and
 * generation and training interleave.
 *
 * <p>The lock was the default while concurrent native work seemed to corrupt gradients (with
 * DJL 0.33 / PyTorch 2.5.1, 1 in 4 to 1 in 10 backward passes that ran while another thread
 * sampled gave a squared gradient norm of 1e22, infinity or NaN). The cause was the constants
 * DJL wraps in Java direct buffers and autograd keeps for backward: the sampling thread's
 * allocations reused their memory once it was collected (see {@link Scalars}). With those
 * constants in PyTorch-owned memory, {@code NativeComputeTest} passes without the lock, and GRPO
 * runs with overlapped generation wrote the same 1,320 step-metric values with the lock as
 * without it.
 */
public final class NativeCompute {

  private static final ReentrantLock LOCK = new ReentrantLock(true);

  /** Whether native work takes turns ({@code -Drlft.serialize-native=true}); off by default. */
  private static final boolean SERIALIZE = Boolean.getBoolean("rlft.serialize-native");

  private NativeCompute() {}

  public static <T> T run(Supplier<T> work) {
    if (!SERIALIZE) {
      return work.get();
    }
    LOCK.lock();
    try {
      return work.get();
    } finally {
      LOCK.unlock();
    }
  }

  public static void run(Runnable work) {
    if (!SERIALIZE) {
      work.run();
      return;
    }
    LOCK.lock();
    try {
      work.run();
    } finally {
      LOCK.unlock();
    }
  }

  /** Whether native work takes turns in this JVM. */
  public static boolean serialized() {
    return SERIALIZE;
  }
}
