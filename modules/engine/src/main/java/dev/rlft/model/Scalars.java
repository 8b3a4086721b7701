package dev.rlft.model;

import ai.djl.ndarray.NDArray;

/**
 * Arithmetic of a tensor with a constant that is safe under autograd. Use these instead of DJL's
 * {@code NDArray.mul(Number)}, {@code div(Number)}, {@code maximum(Number)} and {@code
 * minimum(Number)} on anything a gradient flows through.
 *
 * <p>Why: with the PyTorch engine, DJL turns the number into a 0-d tensor whose memory is a Java
 * direct buffer (PyTorch's {@code from_blob}, no copy), runs the op, and closes that tensor at
 * once. Autograd saves the constant for the backward pass ({@code mul}, {@code div}, {@code
 * maximum}, {@code minimum} all need it there), but nothing on the Java side keeps the buffer
 * alive any more: a garbage collection frees it, and the backward pass reads whatever was put in
 * that memory since. The gradient comes out wrong, with the loss unchanged, at random and more
 * often when other threads allocate direct buffers. Here the constant is copied into memory
 * PyTorch owns, which autograd's reference keeps alive for as long as the graph needs it.
 *
 * <p>{@code add} and {@code sub} of a number save nothing for backward and are safe as they are;
 * {@code clip} passes its bounds as native scalars and is safe too.
 *
 * <p>The copy is made also where no gradient flows (sampling): it is one more small native call
 * per use, and a shortcut on DJL's {@code hasGradient()} is wrong, since it answers false for
 * intermediate tensors of a graph (tried: the corrupted gradients came back).
 */
public final class Scalars {

  private Scalars() {}

  /** {@code x * c}. */
  public static NDArray mul(NDArray x, double c) {
    try (NDArray k = constant(x, c)) {
      return x.mul(k);
    }
  }

  /** {@code x / c}. */
  public static NDArray div(NDArray x, double c) {
    try (NDArray k = constant(x, c)) {
      return x.div(k);
    }
  }

  /** Element-wise {@code max(x, c)}. */
  public static NDArray maximum(NDArray x, double c) {
    try (NDArray k = constant(x, c)) {
      return x.maximum(k);
    }
  }

  /** Element-wise {@code min(x, c)}. */
  public static NDArray minimum(NDArray x, double c) {
    try (NDArray k = constant(x, c)) {
      return x.minimum(k);
    }
  }

  /**
   * A 0-d float32 tensor of value {@code c} in {@code like}'s manager, in memory PyTorch allocated
   * (a clone of DJL's buffer-backed scalar, which is closed here). The same value and type DJL's
   * {@code Number} overloads use, so results are unchanged.
   */
  static NDArray constant(NDArray like, double c) {
    try (NDArray wrapped = like.getManager().create((float) c)) {
      return wrapped.duplicate();
    }
  }
}
