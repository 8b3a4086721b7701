package dev.rlft.verify.runtime;

/**
 * A {@link CharSequence} view that aborts regex matching when the thread is interrupted or its
 * deadline passes.
 *
 * <p>{@link java.util.regex.Matcher} never checks for interruption, so a pathological pattern
 * on a long input would otherwise keep a worker busy after its check timed out. Every 1024 reads
 * this view looks at the interrupt flag and the deadline and throws {@link CheckAbortedException}.
 */
public final class Interruptible implements CharSequence {
  private final String text;
  private final int offset;
  private final int length;
  private final long deadlineNanos;
  private int reads;

  private Interruptible(String text, int offset, int length, long deadlineNanos) {
    this.text = text;
    this.offset = offset;
    this.length = length;
    this.deadlineNanos = deadlineNanos;
  }

  /** View of {@code text} that stops at {@code deadlineNanos} ({@link System#nanoTime()} scale). */
  public static Interruptible of(String text, long deadlineNanos) {
    return new Interruptible(text, 0, text.length(), deadlineNanos);
  }

  @Override
  public char charAt(int index) {
    if ((++reads & 1023) == 0) {
      checkpoint(deadlineNanos);
    }
    return text.charAt(offset + index);
  }

  @Override
  public int length() {
    return length;
  }

  @Override
  public CharSequence subSequence(int start, int end) {
    return new Interruptible(text, offset + start, end - start, deadlineNanos);
  }

  @Override
  public String toString() {
    return text.substring(offset, offset + length);
  }

  /** Throws when the current thread was interrupted or the deadline has passed. */
  public static void checkpoint(long deadlineNanos) {
    if (Thread.currentThread().isInterrupted()) {
      throw new CheckAbortedException("interrupted");
    }
    if (System.nanoTime() - deadlineNanos > 0) {
      throw new CheckAbortedException("deadline passed");
    }
  }
}
