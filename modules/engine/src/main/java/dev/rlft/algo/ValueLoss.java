package dev.rlft.algo;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.rlft.model.Scalars;
import java.util.Objects;

/**
 * The clipped value loss of a PPO critic: the squared error to the returns, pessimistic over the
 * prediction and the prediction clipped to a band around the old value, as in OpenAI Baselines'
 * {@code ppo2} and verl's {@code compute_value_loss} (discussed in Engstrom et al., "Implementation
 * Matters in Deep Policy Gradients", arXiv 2005.12729).
 *
 * <p>Per token, with {@code v} the critic's prediction, {@code vOld} its prediction when the
 * rollout was prepared and {@code R} the return (GAE target, {@link Gae}):
 *
 * <pre>
 *   vClipped = clamp(v, vOld - clipRange, vOld + clipRange)
 *   perToken = 0.5 * max((v - R)^2, (vClipped - R)^2)
 *   loss     = aggregation(perToken, mask)
 * </pre>
 *
 * {@code clipFraction} is the token-mean over unmasked tokens of {@code (vClipped - R)^2 > (v -
 * R)^2}, the share of tokens whose gradient the clipping removed; 0 over no tokens. A {@code
 * clipRange} of {@code +infinity} disables clipping ({@code vClipped = v}, clip fraction 0).
 */
public final class ValueLoss {

  /** Added to the return variance in {@link #explainedVariance}, as in verl. */
  public static final double EXPLAINED_VARIANCE_EPS = 1e-5;

  private ValueLoss() {}

  /**
   * Result of the plain {@link #compute(float[][], float[][], float[][], float[][], float,
   * LossAggregation)}.
   *
   * @param loss the aggregate of {@code perToken}
   * @param clipFraction share of unmasked tokens where the clipped error was the larger, in [0, 1]
   */
  public record Output(float loss, float clipFraction) {}

  /**
   * Result of the DJL form.
   *
   * @param loss scalar float32 in the manager of {@code values}; call backward on it
   * @param clipFraction see {@link Output#clipFraction()}
   */
  public record Result(NDArray loss, float clipFraction) {}

  /**
   * Plain reference, in double precision per token; {@code perToken} is rounded to float before
   * aggregation.
   *
   * @param values {@code [B][T]} critic predictions
   * @param oldValues {@code [B][T]} predictions when the rollout was prepared
   * @param returns {@code [B][T]} regression targets
   * @param mask {@code [B][T]} of 0/1
   * @param clipRange {@code > 0}, may be {@code +infinity}
   * @throws IllegalArgumentException on a shape mismatch, a non-finite entry, a mask entry other
   *     than 0/1, or a bad clip range
   */
  public static Output compute(float[][] values, float[][] oldValues, float[][] returns, float[][] mask,
      float clipRange, LossAggregation aggregation) {
    Objects.requireNonNull(aggregation, "aggregation");
    checkClipRange(clipRange);
    Objects.requireNonNull(mask, "mask");
    checkMatrix("values", values, mask);
    checkMatrix("oldValues", oldValues, mask);
    checkMatrix("returns", returns, mask);
    float[][] perToken = new float[mask.length][];
    long counted = 0;
    long clipped = 0;
    for (int b = 0; b < mask.length; b++) {
      perToken[b] = new float[mask[b].length];
      for (int t = 0; t < mask[b].length; t++) {
        double v = values[b][t];
        double old = oldValues[b][t];
        double vClipped = Math.max(old - clipRange, Math.min(old + clipRange, v));
        double unclippedError = (v - returns[b][t]) * (v - returns[b][t]);
        double clippedError = (vClipped - returns[b][t]) * (vClipped - returns[b][t]);
        perToken[b][t] = (float) (0.5 * Math.max(unclippedError, clippedError));
        if (mask[b][t] == 1f) {
          counted++;
          if (clippedError > unclippedError) {
            clipped++;
          }
        }
      }
    }
    return new Output(aggregation.aggregate(perToken, mask), counted == 0 ? 0f : (float) ((double) clipped / counted));
  }

  /**
   * DJL version, float32, same formula and metric as the plain form.
   *
   * <p>Only {@code values} may carry gradient: {@code oldValues}, {@code returns} and {@code mask}
   * enter through {@code stopGradient()}, moved into {@code values}' manager (the caller's step
   * scope) with every intermediate. Every entry must be finite, masked ones included.
   *
   * @param values {@code [B, T]} float32 critic predictions, usually requiring gradient
   * @param oldValues {@code [B, T]} float32
   * @param returns {@code [B, T]} float32
   * @param mask {@code [B, T]} float32 of 0/1
   * @throws IllegalArgumentException on a shape or data type mismatch or a bad clip range
   */
  public static Result compute(NDArray values, NDArray oldValues, NDArray returns, NDArray mask, float clipRange,
      LossAggregation aggregation) {
    Objects.requireNonNull(values, "values");
    Objects.requireNonNull(oldValues, "oldValues");
    Objects.requireNonNull(returns, "returns");
    Objects.requireNonNull(mask, "mask");
    Objects.requireNonNull(aggregation, "aggregation");
    checkClipRange(clipRange);
    Shape shape = values.getShape();
    if (shape.dimension() != 2) {
      throw new IllegalArgumentException("values must be [B, T], got shape " + shape);
    }
    checkArray("values", values, shape);
    checkArray("oldValues", oldValues, shape);
    checkArray("returns", returns, shape);
    checkArray("mask", mask, shape);
    NDManager scope = values.getManager();
    NDArray old = constant(oldValues, scope);
    NDArray target = constant(returns, scope);
    NDArray msk = constant(mask, scope);
    NDArray vClipped = values.maximum(old.sub(clipRange)).minimum(old.add(clipRange));
    NDArray unclippedError = values.sub(target).square();
    NDArray clippedError = vClipped.sub(target).square();
    NDArray perToken = Scalars.mul(unclippedError.maximum(clippedError), 0.5);
    NDArray loss = aggregation.aggregate(perToken, msk);
    NDArray chosenClipped =
        clippedError.stopGradient().gt(unclippedError.stopGradient()).toType(DataType.FLOAT32, false);
    float clipFraction = LossAggregation.TOKEN_MEAN.aggregate(chosenClipped, msk).toFloatArray()[0];
    return new Result(loss, clipFraction);
  }

  /**
   * How much of the returns' variance the values explain: {@code 1 - Var(R - V) / (Var(R) +
   * EXPLAINED_VARIANCE_EPS)} over the unmasked entries, with Bessel-corrected variances in double
   * precision, as verl's {@code critic/vf_explained_var}. 1 is a perfect critic, 0 one no better
   * than a constant, negative one worse; 0 with fewer than two unmasked entries.
   *
   * @param returns {@code [B][T]}
   * @param values {@code [B][T]}
   * @param mask {@code [B][T]} of 0/1
   */
  public static double explainedVariance(float[][] returns, float[][] values, float[][] mask) {
    Objects.requireNonNull(mask, "mask");
    checkMatrix("returns", returns, mask);
    checkMatrix("values", values, mask);
    float[][] residual = new float[mask.length][];
    for (int b = 0; b < mask.length; b++) {
      residual[b] = new float[mask[b].length];
      for (int t = 0; t < mask[b].length; t++) {
        residual[b][t] = returns[b][t] - values[b][t];
      }
    }
    Gae.Moments r = Gae.Moments.of(returns, mask);
    if (r.count() < 2) {
      return 0;
    }
    return 1 - Gae.Moments.of(residual, mask).variance() / (r.variance() + EXPLAINED_VARIANCE_EPS);
  }

  private static void checkClipRange(float clipRange) {
    if (!(clipRange > 0)) {
      throw new IllegalArgumentException("value clip range must be > 0 (+infinity disables it), got " + clipRange);
    }
  }

  private static NDArray constant(NDArray array, NDManager scope) {
    NDArray detached = array.stopGradient();
    detached.attach(scope);
    return detached;
  }

  private static void checkArray(String name, NDArray array, Shape expected) {
    if (!array.getShape().equals(expected)) {
      throw new IllegalArgumentException(name + " has shape " + array.getShape() + ", expected " + expected);
    }
    if (array.getDataType() != DataType.FLOAT32) {
      throw new IllegalArgumentException(name + " must be float32, got " + array.getDataType());
    }
  }

  private static void checkMatrix(String name, float[][] m, float[][] mask) {
    Objects.requireNonNull(m, name);
    if (m.length != mask.length) {
      throw new IllegalArgumentException(name + " has " + m.length + " rows but mask has " + mask.length);
    }
    for (int b = 0; b < mask.length; b++) {
      if (m[b] == null || mask[b] == null) {
        throw new NullPointerException((m[b] == null ? name : "mask") + "[" + b + "]");
      }
      if (m[b].length != mask[b].length) {
        throw new IllegalArgumentException(
            "row " + b + ": " + name + " has " + m[b].length + " entries but mask has " + mask[b].length);
      }
      for (int t = 0; t < m[b].length; t++) {
        if (!Float.isFinite(m[b][t])) {
          throw new IllegalArgumentException(name + "[" + b + "][" + t + "] is " + m[b][t] + ", must be finite");
        }
      }
    }
  }
}
