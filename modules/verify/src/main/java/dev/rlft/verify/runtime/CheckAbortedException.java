package dev.rlft.verify.runtime;

/** A check ran out of time or was cancelled; the result is "not equal". */
public final class CheckAbortedException extends RuntimeException {
  public CheckAbortedException(String message) {
    super(message, null, false, false);
  }
}
