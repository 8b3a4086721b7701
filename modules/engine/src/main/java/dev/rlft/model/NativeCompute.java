package dev.rlft.model;

import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * One lock for native tensor work in this JVM.
 *
 * <p>With DJL 0.33 / PyTorch 2.5.1 on CPU, a backward pass that runs while another thread runs
 * forward passes (a rollout worker sampling during a learner update) sometimes returns corrupted
 * gradients: in a reproduction, 1 in 4 to 1 in 10 backward passes of an unchanged model gave a
 * squared gradient norm of 1e22, infinity or NaN instead of the same value every time, with one
 * intra-op thread as with two, with or without the KV cache, with or without autograd enabled on
 * the sampling thread. The same loop under this lock gave the same value 60 times out of 60. The
 * root cause in the native layer is not known. Everything that computes with, creates or frees a
 * model's tensors (sampling, SFT and GRPO updates, weight import and export, model creation and
 * closing) therefore holds this lock; the lock is reentrant.
 *
 * <p>Within one JVM, generation and training then interleave instead of running at once; rollout
 * workers in other JVMs (the multi-node deployment) are not affected.
 */
public final class NativeCompute {

  private static final ReentrantLock LOCK = new ReentrantLock(true);

  private NativeCompute() {}

  public static <T> T locked(Supplier<T> work) {
    LOCK.lock();
    try {
      return work.get();
    } finally {
      LOCK.unlock();
    }
  }

  public static void locked(Runnable work) {
    LOCK.lock();
    try {
      work.run();
    } finally {
      LOCK.unlock();
    }
  }

  /** Whether the calling thread holds the lock (for assertions in tests). */
  public static boolean heldByCurrentThread() {
    return LOCK.isHeldByCurrentThread();
  }
}
