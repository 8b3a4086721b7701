package dev.rlft.algo;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

/**
 * Generalized advantage estimation (Schulman et al., "High-Dimensional Continuous Control Using
 * Generalized Advantage Estimation", arXiv 1506.02438) over per-token rewards and critic values,
 * for token sequences laid out in rows with a 0/1 mask.
 *
 * <p>Per row, walking backwards over the unmasked positions {@code t} only (masked positions are
 * skipped: they neither contribute nor break the chain, as verl's {@code compute_gae_advantage_return}
 * treats them), with {@code t'} the next unmasked position after {@code t}:
 *
 * <pre>
 *   delta_t = r_t + gamma * V_t' - V_t          (V_t' = 0 after the last unmasked position: terminal)
 *   A_t     = delta_t + gamma * lambda * A_t'   (A_t' = 0 after the last unmasked position)
 *   R_t     = A_t + V_t                         (the critic's regression target)
 * </pre>
 *
 * With {@code gamma = lambda = 1}, {@code A_t} is the reward-to-go minus {@code V_t}; with {@code
 * lambda = 0} it is the one-step TD error {@code delta_t}. A sequence's last unmasked position is
 * treated as terminal whether or not it ended with EOS (a truncated completion is not bootstrapped).
 * Masked positions get 0 in all three outputs.
 *
 * <p>The plain form accumulates in double precision and rounds each output once; the DJL form
 * computes in float32. Non-finite rewards or values are not rejected: they propagate to the outputs
 * of their row (and through {@link #whiten} to the whole batch), which a trainer sees as a
 * non-finite loss.
 */
public final class Gae {

  /** Added to the variance in {@link #whiten}, as in verl's {@code masked_whiten}. */
  public static final double WHITEN_EPS = 1e-8;

  private Gae() {}

  /**
   * Result of the plain {@link #compute(float[][], float[][], float[][], double, double)}, each
   * {@code [B][T]} like the inputs, 0 at masked positions.
   *
   * @param deltas TD errors {@code delta_t}
   * @param advantages {@code A_t}
   * @param returns {@code A_t + V_t}
   */
  public record Output(float[][] deltas, float[][] advantages, float[][] returns) {}

  /**
   * Plain reference.
   *
   * @param rewards {@code [B][T]} per-token rewards; masked entries are ignored
   * @param values {@code [B][T]} critic values {@code V_t} of the state before token {@code t} is
   *     emitted; masked entries are ignored
   * @param mask {@code [B][T]}, each entry exactly 0 or 1
   * @param gamma discount in {@code [0, 1]}
   * @param lambda GAE trade-off in {@code [0, 1]}: 0 is one-step TD, 1 is Monte Carlo
   * @throws IllegalArgumentException on a shape mismatch, a mask entry other than 0/1, or gamma or
   *     lambda outside {@code [0, 1]}
   */
  public static Output compute(float[][] rewards, float[][] values, float[][] mask, double gamma, double lambda) {
    checkHyperparameters(gamma, lambda);
    Objects.requireNonNull(rewards, "rewards");
    Objects.requireNonNull(values, "values");
    checkMask(mask, rewards.length);
    checkLike("rewards", rewards, mask);
    checkLike("values", values, mask);
    int rows = mask.length;
    float[][] deltas = new float[rows][];
    float[][] advantages = new float[rows][];
    float[][] returns = new float[rows][];
    for (int b = 0; b < rows; b++) {
      int tokens = mask[b].length;
      deltas[b] = new float[tokens];
      advantages[b] = new float[tokens];
      returns[b] = new float[tokens];
      double nextValue = 0;
      double nextAdvantage = 0;
      for (int t = tokens - 1; t >= 0; t--) {
        if (mask[b][t] == 0f) {
          continue;
        }
        double v = values[b][t];
        double delta = rewards[b][t] + gamma * nextValue - v;
        double a = delta + gamma * lambda * nextAdvantage;
        deltas[b][t] = (float) delta;
        advantages[b][t] = (float) a;
        returns[b][t] = (float) (a + v);
        nextValue = v;
        nextAdvantage = a;
      }
    }
    return new Output(deltas, advantages, returns);
  }

  /**
   * Plain reference of advantage whitening over all unmasked entries of the batch: {@code (A -
   * mean) / sqrt(var + WHITEN_EPS)}, with the masked mean and the Bessel-corrected masked variance
   * ({@code n - 1}), both in double precision, as verl's {@code masked_whiten} with {@code
   * shift_mean=True}. With fewer than two unmasked entries the variance is taken as 0, so a single
   * entry becomes 0 and an empty batch stays 0. Masked entries are 0 in the result.
   *
   * @param advantages {@code [B][T]}
   * @param mask same shape, each entry 0 or 1
   * @return a new {@code [B][T]} array
   */
  public static float[][] whiten(float[][] advantages, float[][] mask) {
    Objects.requireNonNull(advantages, "advantages");
    checkMask(mask, advantages.length);
    checkLike("advantages", advantages, mask);
    Moments moments = Moments.of(advantages, mask);
    double scale = 1 / Math.sqrt(moments.variance() + WHITEN_EPS);
    float[][] out = new float[mask.length][];
    for (int b = 0; b < mask.length; b++) {
      out[b] = new float[mask[b].length];
      for (int t = 0; t < mask[b].length; t++) {
        if (mask[b][t] == 1f) {
          out[b][t] = (float) ((advantages[b][t] - moments.mean()) * scale);
        }
      }
    }
    return out;
  }

  /**
   * Masked mean and Bessel-corrected variance of a {@code [B][T]} array in double precision: the
   * statistics {@link #whiten} uses; variance 0 with fewer than two unmasked entries, mean 0 with
   * none.
   *
   * @param count number of unmasked entries
   */
  public record Moments(double mean, double variance, long count) {

    /** Statistics of the entries of {@code values} where {@code mask} is 1. */
    public static Moments of(float[][] values, float[][] mask) {
      double sum = 0;
      long n = 0;
      for (int b = 0; b < mask.length; b++) {
        for (int t = 0; t < mask[b].length; t++) {
          if (mask[b][t] == 1f) {
            sum += values[b][t];
            n++;
          }
        }
      }
      if (n == 0) {
        return new Moments(0, 0, 0);
      }
      double mean = sum / n;
      double squares = 0;
      for (int b = 0; b < mask.length; b++) {
        for (int t = 0; t < mask[b].length; t++) {
          if (mask[b][t] == 1f) {
            double d = values[b][t] - mean;
            squares += d * d;
          }
        }
      }
      return new Moments(mean, n < 2 ? 0 : squares / (n - 1), n);
    }

    /** {@code sqrt(variance)}. */
    public double std() {
      return Math.sqrt(variance);
    }
  }

  /**
   * Result of the DJL {@link #compute(NDArray, NDArray, NDArray, float, float)}: new {@code [B,
   * T]} float32 arrays without gradient, in the manager of {@code rewards}, 0 at masked positions.
   */
  public record Result(NDArray deltas, NDArray advantages, NDArray returns) {}

  /**
   * DJL version, float32, same recurrence as the plain form: one column per step from {@code T - 1}
   * down to 0, so it costs {@code O(T)} small operations; meant for data already on the device.
   *
   * <p>Inputs enter through {@code stopGradient()}: the outputs are constants (targets and
   * advantages), never part of a graph. Every entry must be finite, masked ones included (the mask
   * multiplies, and NaN times 0 is NaN).
   *
   * @param rewards {@code [B, T]} float32
   * @param values {@code [B, T]} float32
   * @param mask {@code [B, T]} float32 of 0/1
   * @throws IllegalArgumentException on a shape or data type mismatch, or gamma or lambda outside
   *     {@code [0, 1]}
   */
  public static Result compute(NDArray rewards, NDArray values, NDArray mask, float gamma, float lambda) {
    checkHyperparameters(gamma, lambda);
    Objects.requireNonNull(rewards, "rewards");
    Objects.requireNonNull(values, "values");
    Objects.requireNonNull(mask, "mask");
    Shape shape = rewards.getShape();
    if (shape.dimension() != 2) {
      throw new IllegalArgumentException("rewards must be [B, T], got shape " + shape);
    }
    checkArray("rewards", rewards, shape);
    checkArray("values", values, shape);
    checkArray("mask", mask, shape);
    NDArray r = rewards.stopGradient();
    NDArray v = values.stopGradient();
    v.attach(r.getManager());
    NDArray m = mask.stopGradient();
    m.attach(r.getManager());
    int tokens = Math.toIntExact(shape.get(1));
    NDArray nextValue = r.getManager().zeros(new Shape(shape.get(0)), DataType.FLOAT32);
    NDArray nextAdvantage = nextValue;
    List<NDArray> deltas = new ArrayList<>(tokens);
    List<NDArray> advantages = new ArrayList<>(tokens);
    for (int t = tokens - 1; t >= 0; t--) {
      NDIndex column = new NDIndex(":, {}", t);
      NDArray rt = r.get(column);
      NDArray vt = v.get(column);
      NDArray mt = m.get(column);
      NDArray keep = mt.neg().add(1f);
      NDArray delta = rt.add(nextValue.mul(gamma)).sub(vt).mul(mt);
      NDArray a = delta.add(nextAdvantage.mul(gamma * lambda)).mul(mt);
      deltas.add(delta);
      advantages.add(a);
      nextValue = vt.mul(mt).add(nextValue.mul(keep));
      nextAdvantage = a.add(nextAdvantage.mul(keep));
    }
    Collections.reverse(deltas);
    Collections.reverse(advantages);
    NDArray delta = NDArrays.stack(new NDList(deltas), 1);
    NDArray advantage = NDArrays.stack(new NDList(advantages), 1);
    return new Result(delta, advantage, advantage.add(v.mul(m)));
  }

  /**
   * DJL version of {@link #whiten(float[][], float[][])}, float32, same numerics rule (Bessel
   * variance, 0 with fewer than two unmasked entries); the input enters through {@code
   * stopGradient()}.
   *
   * @param advantages {@code [B, T]} float32, finite everywhere
   * @param mask {@code [B, T]} float32 of 0/1
   * @return a new {@code [B, T]} array in the manager of {@code advantages}
   */
  public static NDArray whiten(NDArray advantages, NDArray mask) {
    Objects.requireNonNull(advantages, "advantages");
    Objects.requireNonNull(mask, "mask");
    Shape shape = advantages.getShape();
    if (shape.dimension() != 2) {
      throw new IllegalArgumentException("advantages must be [B, T], got shape " + shape);
    }
    checkArray("advantages", advantages, shape);
    checkArray("mask", mask, shape);
    NDArray a = advantages.stopGradient();
    NDArray m = mask.stopGradient();
    m.attach(a.getManager());
    NDArray n = m.sum();
    NDArray mean = a.mul(m).sum().div(n.maximum(1f));
    NDArray centred = a.sub(mean).mul(m);
    NDArray variance = centred.square().sum().div(n.sub(1f).maximum(1f)).mul(n.gt(1f).toType(DataType.FLOAT32, false));
    return centred.div(variance.add((float) WHITEN_EPS).sqrt());
  }

  private static void checkHyperparameters(double gamma, double lambda) {
    if (!(gamma >= 0 && gamma <= 1)) {
      throw new IllegalArgumentException("GAE gamma must be in [0, 1], got " + gamma);
    }
    if (!(lambda >= 0 && lambda <= 1)) {
      throw new IllegalArgumentException("GAE lambda must be in [0, 1], got " + lambda);
    }
  }

  private static void checkMask(float[][] mask, int rows) {
    Objects.requireNonNull(mask, "mask");
    if (mask.length != rows) {
      throw new IllegalArgumentException("mask has " + mask.length + " rows, expected " + rows);
    }
    for (int b = 0; b < mask.length; b++) {
      if (mask[b] == null) {
        throw new NullPointerException("mask[" + b + "]");
      }
      for (int t = 0; t < mask[b].length; t++) {
        if (mask[b][t] != 0f && mask[b][t] != 1f) {
          throw new IllegalArgumentException("mask[" + b + "][" + t + "] is " + mask[b][t] + ", must be 0 or 1");
        }
      }
    }
  }

  private static void checkLike(String name, float[][] array, float[][] mask) {
    if (array.length != mask.length) {
      throw new IllegalArgumentException(name + " has " + array.length + " rows but mask has " + mask.length);
    }
    for (int b = 0; b < mask.length; b++) {
      if (array[b] == null) {
        throw new NullPointerException(name + "[" + b + "]");
      }
      if (array[b].length != mask[b].length) {
        throw new IllegalArgumentException(
            "row " + b + ": " + name + " has " + array[b].length + " entries but mask has " + mask[b].length);
      }
    }
  }

  private static void checkArray(String name, NDArray array, Shape expected) {
    if (!array.getShape().equals(expected)) {
      throw new IllegalArgumentException(name + " has shape " + array.getShape() + ", expected " + expected);
    }
    if (array.getDataType() != DataType.FLOAT32) {
      throw new IllegalArgumentException(name + " must be float32, got " + array.getDataType());
    }
  }
}
