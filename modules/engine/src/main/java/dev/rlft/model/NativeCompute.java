package dev.rlft.model;

import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * One lock for native tensor work in this JVM.
 *
 * <p>It was added when, with DJL 0.33 / PyTorch 2.5.1 on CPU, a backward pass that ran while
 * another thread ran forward passes (a rollout worker sampling during a learner update) sometimes
 * returned corrupted gradients: in a reproduction, 1 in 4 to 1 in 10 backward passes of an
 * unchanged model gave a squared gradient norm of 1e22, infinity or NaN. The cause turned out to
 * be the constants DJL wraps in Java direct buffers and autograd keeps for backward (see {@link
 * Scalars}): the other thread's allocations reused their memory once it was collected. With those
 * constants in PyTorch-owned memory, the same reproduction ({@code NativeComputeTest}) passed
 * without the lock in 3 runs of 3. The lock stays until a longer soak shows that concurrent native
 * work is safe: everything that computes with, creates or frees a model's tensors (sampling, SFT
 * and GRPO updates, weight import and export, model creation and closing) holds it; it is
 * reentrant.
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
