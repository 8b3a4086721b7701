package dev.rlft.algo;

import static dev.rlft.algo.Fixtures.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The clipped value loss by hand, the DJL form against the plain one, its gradient, and explained variance. */
class ValueLossTest {

  // token 0: clipped error wins; token 1: inside the band; token 2: moved away from the target, unclipped wins
  private static final float[][] V = {{1.0f, 1.0f, 0.5f, 9f}};
  private static final float[][] OLD = {{0.8f, 0.95f, 0.8f, 9f}};
  private static final float[][] R = {{2f, 0f, 2f, 9f}};
  private static final float[][] MASK = {{1, 1, 1, 0}};

  @Test
  void compute_handValues_pessimisticClippedSquaredError() {
    ValueLoss.Output out = ValueLoss.compute(V, OLD, R, MASK, 0.1f, LossAggregation.TOKEN_MEAN);

    // 0.5 * max(1.0, 1.21) = 0.605; 0.5 * 1 = 0.5; 0.5 * max(2.25, 1.69) = 1.125
    assertEquals((0.605 + 0.5 + 1.125) / 3, out.loss(), 1e-6);
    assertEquals(1.0 / 3, out.clipFraction(), 1e-6);
  }

  @Test
  void compute_infiniteClipRange_halfMeanSquaredErrorNothingClipped() {
    ValueLoss.Output out = ValueLoss.compute(V, OLD, R, MASK, Float.POSITIVE_INFINITY, LossAggregation.TOKEN_MEAN);

    assertEquals((0.5 * 1 + 0.5 * 1 + 0.5 * 2.25) / 3, out.loss(), 1e-6);
    assertEquals(0f, out.clipFraction());
  }

  @Test
  void compute_badClipRange_rejectedNamingValue() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> ValueLoss.compute(V, OLD, R, MASK, 0f, LossAggregation.TOKEN_MEAN));
    IllegalArgumentException nan = assertThrows(IllegalArgumentException.class,
        () -> ValueLoss.compute(V, OLD, new float[][] {{Float.NaN, 0, 0, 0}}, MASK, 0.2f, LossAggregation.TOKEN_MEAN));

    assertTrue(e.getMessage().contains("0.0"), e.getMessage());
    assertTrue(nan.getMessage().contains("returns[0][0]"), nan.getMessage());
  }

  @ParameterizedTest
  @EnumSource(LossAggregation.class)
  void computeDjl_seededInputs_matchesPlain(LossAggregation aggregation) {
    for (long seed = 1; seed <= 3; seed++) {
      Random random = new Random(seed);
      float[][] values = Fixtures.perturb(random, new float[6][9], 1);
      float[][] old = Fixtures.perturb(random, values, 0.3);
      float[][] returns = Fixtures.perturb(random, values, 1);
      float[][] mask = Fixtures.raggedMask(random, 6, 9, 2);
      for (float clip : new float[] {0.2f, Float.POSITIVE_INFINITY}) {
        ValueLoss.Output expected = ValueLoss.compute(values, old, returns, mask, clip, aggregation);
        try (NDManager manager = NDManager.newBaseManager()) {
          ValueLoss.Result actual = ValueLoss.compute(manager.create(values), manager.create(old),
              manager.create(returns), manager.create(mask), clip, aggregation);

          assertClose(expected.loss(), actual.loss().toFloatArray()[0], "loss, clip " + clip);
          assertClose(expected.clipFraction(), actual.clipFraction(), "clip fraction, clip " + clip);
          if (clip == 0.2f) {
            assertTrue(expected.clipFraction() > 0, "seed " + seed + " clips somewhere");
          }
        }
      }
    }
  }

  @Test
  void computeDjl_gradient_onlyIntoValuesAndMatchesHand() {
    try (NDManager manager = NDManager.newBaseManager()) {
      NDArray values = manager.create(V);
      NDArray old = manager.create(OLD);
      NDArray returns = manager.create(R);
      NDArray mask = manager.create(MASK);
      float[] gradient;
      try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
        values.setRequiresGradient(true);
        old.setRequiresGradient(true);
        returns.setRequiresGradient(true);
        ValueLoss.Result r = ValueLoss.compute(values, old, returns, mask, 0.1f, LossAggregation.TOKEN_MEAN);
        assertSame(manager, r.loss().getManager());
        collector.backward(r.loss());
        gradient = values.getGradient().toFloatArray();
        assertNoGradient(old, "oldValues");
        assertNoGradient(returns, "returns");
      }
      // token 0: clipped branch is constant in v; token 1: (v - R) / 3; token 2: (v - R) / 3; token 3 masked
      assertClose(new float[] {0f, 1f / 3, -1.5f / 3, 0f}, gradient, "d loss / d values");
    }
  }

  @Test
  void explainedVariance_handValues() {
    float[][] returns = {{1, 2, 3, 50}};
    float[][] mask = {{1, 1, 1, 0}};

    assertEquals(1,
        ValueLoss.explainedVariance(returns, new float[][] {{1, 2, 3, 0}}, mask), 1e-12, "perfect critic");
    assertEquals(1 - 1 / (1 + ValueLoss.EXPLAINED_VARIANCE_EPS),
        ValueLoss.explainedVariance(returns, new float[][] {{2, 2, 2, 0}}, mask), 1e-12, "constant critic");
    assertEquals(1 - 4 / (1 + ValueLoss.EXPLAINED_VARIANCE_EPS),
        ValueLoss.explainedVariance(returns, new float[][] {{3, 2, 1, 0}}, mask), 1e-9, "reversed critic");
    assertEquals(0, ValueLoss.explainedVariance(returns, returns, new float[][] {{1, 0, 0, 0}}), 0, "one token");
  }

  /** No gradient at all, or one that is identically zero. */
  private static void assertNoGradient(NDArray array, String name) {
    NDArray gradient;
    try {
      gradient = array.getGradient();
    } catch (IllegalStateException | NullPointerException noGradient) {
      return;
    }
    assertEquals(0f, maxAbs(gradient.toFloatArray()), name + " must receive no gradient");
  }

  private static float maxAbs(float[] values) {
    float max = 0f;
    for (float v : values) {
      max = Math.max(max, Math.abs(v));
    }
    return max;
  }
}
