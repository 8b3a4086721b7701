package dev.rlft.algo;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.rlft.model.Scalars;
import java.util.Objects;

/**
 * The clipped surrogate policy-gradient loss with an optional KL penalty towards a reference model:
 * PPO (arXiv 1707.06347) as used by GRPO (arXiv 2402.03300), with DAPO's asymmetric
 * "clip-higher" interval (arXiv 2503.14476).
 *
 * <p>Per token, with {@code A} the advantage of the token's sequence:
 *
 * <pre>
 *   ratio    = exp(clamp(logp - oldLogp, -20, 20))   (clamped so exp cannot overflow float32)
 *   pg       = -min(ratio * A, clip(ratio, 1 - clipLow, 1 + clipHigh) * A)
 *   perToken = pg + beta * kl(logp, refLogp)          (the kl term is skipped when beta == 0)
 *   loss     = aggregation(perToken, mask)
 * </pre>
 *
 * Metrics: {@code policyLoss} and {@code kl} are the same aggregation of {@code pg} and of the KL
 * estimate alone (kl is 0 when {@code beta == 0}); {@code clipFraction} is the token-mean over
 * unmasked tokens of {@code clip(ratio) * A < ratio * A}, i.e. the clipped term was chosen because
 * the ratio left the interval in the direction the advantage pushes ({@code ratio > 1 + clipHigh}
 * with {@code A > 0}, {@code ratio < 1 - clipLow} with {@code A < 0}); {@code meanRatio} is the
 * token-mean of {@code ratio}. Token means over no tokens are 0.
 */
public final class PolicyLoss {

  private PolicyLoss() {}

  /**
   * Plain reference, in double precision per token; {@code perToken}, {@code pg} and the KL
   * estimate are rounded to float before aggregation.
   */
  public static PolicyLossOutput compute(PolicyLossInput in) {
    Objects.requireNonNull(in, "in");
    int rows = in.logp().length;
    int tokens = in.logp()[0].length;
    boolean withKl = in.beta() > 0;
    float low = 1f - in.clipLow();
    float high = 1f + in.clipHigh();
    float[][] perToken = new float[rows][tokens];
    float[][] pg = new float[rows][tokens];
    float[][] kl = new float[rows][tokens];
    long counted = 0;
    long clipped = 0;
    double ratioSum = 0;
    for (int i = 0; i < rows; i++) {
      double a = in.advantages()[i];
      for (int j = 0; j < tokens; j++) {
        double ratio = Math.exp(Math.max(-KlEstimator.MAX_LOG_RATIO,
            Math.min(KlEstimator.MAX_LOG_RATIO, (double) in.logp()[i][j] - in.oldLogp()[i][j])));
        double unclippedTerm = ratio * a;
        double clippedTerm = Math.min(Math.max(ratio, low), high) * a;
        double pgValue = -Math.min(unclippedTerm, clippedTerm);
        double klValue = withKl ? in.kl().value(in.logp()[i][j], in.refLogp()[i][j]) : 0;
        pg[i][j] = (float) pgValue;
        kl[i][j] = (float) klValue;
        perToken[i][j] = (float) (pgValue + in.beta() * klValue);
        if (in.mask()[i][j] == 1f) {
          counted++;
          ratioSum += ratio;
          if (clippedTerm < unclippedTerm) {
            clipped++;
          }
        }
      }
    }
    LossAggregation agg = in.aggregation();
    return new PolicyLossOutput(
        agg.aggregate(perToken, in.mask()),
        agg.aggregate(pg, in.mask()),
        withKl ? agg.aggregate(kl, in.mask()) : 0f,
        counted == 0 ? 0f : (float) ((double) clipped / counted),
        counted == 0 ? 0f : (float) (ratioSum / counted));
  }

  /**
   * DJL version, float32, same formula and metrics as {@link #compute(PolicyLossInput)}.
   *
   * <p>Only {@code logp} may carry gradient: {@code oldLogp}, {@code refLogp}, {@code advantages}
   * and {@code mask} enter through {@code stopGradient()}, so none of them can receive any. The
   * detached copies and every intermediate are attached to {@code logp}'s manager (the caller's
   * step scope); the caller's arrays are neither closed nor moved. Every entry must be finite,
   * masked ones included (the mask multiplies, and NaN times 0 is NaN).
   *
   * @param logp {@code [B, T]} float32 policy log-probabilities, usually requiring gradient
   * @param oldLogp {@code [B, T]} float32 log-probabilities under the sampling policy
   * @param refLogp {@code [B, T]} float32 reference log-probabilities; may be null when {@code
   *     beta == 0}, and is not read then
   * @param advantages {@code [B]} float32, broadcast over each sequence's tokens, or {@code [B, T]} per-token
   *     advantages (process supervision, PPO)
   * @param mask {@code [B, T]} float32 of 0/1
   * @return the scalar loss in {@code logp}'s manager, ready for backward, and the metrics as floats
   * @throws IllegalArgumentException on a shape or data type mismatch or a hyperparameter out of
   *     range
   */
  public static Result compute(
      NDArray logp,
      NDArray oldLogp,
      NDArray refLogp,
      NDArray advantages,
      NDArray mask,
      float clipLow,
      float clipHigh,
      float beta,
      KlEstimator kl,
      LossAggregation aggregation) {
    Objects.requireNonNull(logp, "logp");
    Objects.requireNonNull(oldLogp, "oldLogp");
    Objects.requireNonNull(advantages, "advantages");
    Objects.requireNonNull(mask, "mask");
    Objects.requireNonNull(kl, "kl");
    Objects.requireNonNull(aggregation, "aggregation");
    checkHyperparameters(clipLow, clipHigh, beta);
    boolean withKl = beta > 0;
    Shape shape = logp.getShape();
    if (shape.dimension() != 2) {
      throw new IllegalArgumentException("logp must be [B, T], got shape " + shape);
    }
    checkArray("logp", logp, shape);
    checkArray("oldLogp", oldLogp, shape);
    checkArray("mask", mask, shape);
    boolean perToken = advantages.getShape().dimension() == 2;
    checkArray("advantages", advantages, perToken ? shape : new Shape(shape.get(0)));
    if (withKl) {
      Objects.requireNonNull(refLogp, "refLogp is required when beta > 0 (beta = " + beta + ")");
      checkArray("refLogp", refLogp, shape);
    }

    NDManager scope = logp.getManager();
    NDArray old = constant(oldLogp, scope);
    NDArray adv = perToken ? constant(advantages, scope) : constant(advantages, scope).reshape(-1, 1);
    NDArray msk = constant(mask, scope);

    NDArray ratio = logp.sub(old).clip(-KlEstimator.MAX_LOG_RATIO, KlEstimator.MAX_LOG_RATIO).exp();
    NDArray unclippedTerm = ratio.mul(adv);
    NDArray clippedTerm = ratio.clip(1f - clipLow, 1f + clipHigh).mul(adv);
    NDArray pg = unclippedTerm.minimum(clippedTerm).neg();
    NDArray klTerm = withKl ? kl.value(logp, constant(refLogp, scope)) : null;
    NDArray tokenLoss = withKl ? pg.add(Scalars.mul(klTerm, beta)) : pg;
    NDArray loss = aggregation.aggregate(tokenLoss, msk);

    float policyLoss = scalar(aggregation.aggregate(pg.stopGradient(), msk));
    float klMetric = withKl ? scalar(aggregation.aggregate(klTerm.stopGradient(), msk)) : 0f;
    NDArray chosenClipped =
        clippedTerm.stopGradient().lt(unclippedTerm.stopGradient()).toType(DataType.FLOAT32, false);
    float clipFraction = scalar(LossAggregation.TOKEN_MEAN.aggregate(chosenClipped, msk));
    float meanRatio = scalar(LossAggregation.TOKEN_MEAN.aggregate(ratio.stopGradient(), msk));
    return new Result(loss, policyLoss, klMetric, clipFraction, meanRatio);
  }

  /**
   * Result of the DJL {@link #compute(NDArray, NDArray, NDArray, NDArray, NDArray, float, float,
   * float, KlEstimator, LossAggregation)}.
   *
   * @param loss scalar float32 in the manager of {@code logp}; call backward on it
   * @param policyLoss see {@link PolicyLossOutput#policyLoss()}
   * @param kl see {@link PolicyLossOutput#kl()}
   * @param clipFraction see {@link PolicyLossOutput#clipFraction()}
   * @param meanRatio see {@link PolicyLossOutput#meanRatio()}
   */
  public record Result(NDArray loss, float policyLoss, float kl, float clipFraction, float meanRatio) {}

  /** Range checks shared by both versions; messages name the bad value. */
  static void checkHyperparameters(float clipLow, float clipHigh, float beta) {
    if (!(clipLow >= 0f && clipLow < 1f)) {
      throw new IllegalArgumentException("clipLow must be in [0, 1), got " + clipLow);
    }
    if (!(clipHigh >= 0f && Float.isFinite(clipHigh))) {
      throw new IllegalArgumentException("clipHigh must be finite and >= 0, got " + clipHigh);
    }
    if (!(beta >= 0f && Float.isFinite(beta))) {
      throw new IllegalArgumentException("beta must be finite and >= 0, got " + beta);
    }
  }

  private static void checkArray(String name, NDArray array, Shape expected) {
    if (!array.getShape().equals(expected)) {
      throw new IllegalArgumentException(
          name + " has shape " + array.getShape() + ", expected " + expected);
    }
    if (array.getDataType() != DataType.FLOAT32) {
      throw new IllegalArgumentException(name + " must be float32, got " + array.getDataType());
    }
  }

  /**
   * A gradient-free view of a caller's array, moved into {@code scope} so that nothing this class
   * creates lands in the caller's (possibly long-lived) manager.
   */
  private static NDArray constant(NDArray array, NDManager scope) {
    NDArray detached = array.stopGradient();
    detached.attach(scope);
    return detached;
  }

  private static float scalar(NDArray array) {
    return array.toFloatArray()[0];
  }
}
