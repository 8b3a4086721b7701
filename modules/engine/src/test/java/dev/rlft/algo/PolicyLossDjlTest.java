package dev.rlft.algo;

import static dev.rlft.algo.Fixtures.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.GradientCollector;
import java.util.Arrays;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/** The DJL policy loss against the plain reference, its gradients, and where its arrays live. */
class PolicyLossDjlTest {

  private static final float CLIP_LOW = 0.2f;
  private static final float CLIP_HIGH = 0.28f;

  static Stream<Arguments> estimatorsAndAggregations() {
    return Arrays.stream(KlEstimator.values())
        .flatMap(kl -> Arrays.stream(LossAggregation.values()).map(agg -> Arguments.of(kl, agg)));
  }

  /** Seeded batch of 6 x 9 with rows 1 and 4 fully masked; ratios spread across the clip bounds. */
  private static PolicyLossInput seededInput(
      long seed, float beta, boolean withRef, KlEstimator kl, LossAggregation aggregation) {
    Random random = new Random(seed);
    float[][] logp = Fixtures.logProbs(random, 6, 9);
    float[][] oldLogp = Fixtures.perturb(random, logp, 0.25);
    float[][] refLogp = withRef ? Fixtures.perturb(random, logp, 0.4) : null;
    float[] advantages = Fixtures.gaussian(random, 6);
    float[][] mask = Fixtures.raggedMask(random, 6, 9, 1, 4);
    return new PolicyLossInput(
        logp, oldLogp, refLogp, advantages, mask, CLIP_LOW, CLIP_HIGH, beta, kl, aggregation);
  }

  private static PolicyLoss.Result computeDjl(NDManager manager, PolicyLossInput in) {
    return PolicyLoss.compute(
        manager.create(in.logp()),
        manager.create(in.oldLogp()),
        in.refLogp() == null ? null : manager.create(in.refLogp()),
        manager.create(in.advantages()),
        manager.create(in.mask()),
        in.clipLow(),
        in.clipHigh(),
        in.beta(),
        in.kl(),
        in.aggregation());
  }

  private static void assertAgree(PolicyLossOutput expected, PolicyLoss.Result actual) {
    assertClose(expected.loss(), actual.loss().toFloatArray()[0], "loss");
    assertClose(expected.policyLoss(), actual.policyLoss(), "policyLoss");
    assertClose(expected.kl(), actual.kl(), "kl");
    assertClose(expected.clipFraction(), actual.clipFraction(), "clipFraction");
    assertClose(expected.meanRatio(), actual.meanRatio(), "meanRatio");
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("estimatorsAndAggregations")
  void compute_seededInputsWithKl_matchesPlain(KlEstimator kl, LossAggregation aggregation) {
    float clippedSomewhere = 0f;
    for (long seed = 1; seed <= 3; seed++) {
      PolicyLossInput in = seededInput(seed, 0.04f, true, kl, aggregation);
      PolicyLossOutput expected = PolicyLoss.compute(in);
      try (NDManager manager = NDManager.newBaseManager()) {
        PolicyLoss.Result actual = computeDjl(manager, in);

        assertAgree(expected, actual);
      }
      clippedSomewhere += expected.clipFraction();
    }
    assertTrue(clippedSomewhere > 0f, "the seeded inputs should exercise clipping");
  }

  @ParameterizedTest
  @EnumSource(LossAggregation.class)
  void compute_betaZeroWithoutReference_matchesPlainAndReportsNoKl(LossAggregation aggregation) {
    PolicyLossInput in = seededInput(5, 0f, false, KlEstimator.K3, aggregation);
    PolicyLossOutput expected = PolicyLoss.compute(in);
    try (NDManager manager = NDManager.newBaseManager()) {
      PolicyLoss.Result actual = computeDjl(manager, in);

      assertAgree(expected, actual);
      assertEquals(0f, actual.kl());
      assertEquals(actual.policyLoss(), actual.loss().toFloatArray()[0], 1e-6f);
    }
  }

  @Test
  void compute_allTokensMasked_givesZeroLossAndMetrics() {
    try (NDManager manager = NDManager.newBaseManager()) {
      NDArray logp = manager.create(new float[][] {{-1f, -2f}, {-0.5f, -3f}});
      PolicyLoss.Result r =
          PolicyLoss.compute(
              logp,
              logp.add(0.5f),
              logp.sub(0.5f),
              manager.create(new float[] {1f, -1f}),
              manager.zeros(logp.getShape()),
              CLIP_LOW,
              CLIP_HIGH,
              0.1f,
              KlEstimator.K3,
              LossAggregation.TOKEN_MEAN);

      assertEquals(0f, r.loss().toFloatArray()[0]);
      assertEquals(0f, r.policyLoss());
      assertEquals(0f, r.kl());
      assertEquals(0f, r.clipFraction());
      assertEquals(0f, r.meanRatio());
    }
  }

  @Test
  void compute_gradient_flowsOnlyIntoLogp() {
    PolicyLossInput in = seededInput(9, 0.1f, true, KlEstimator.K3, LossAggregation.TOKEN_MEAN);
    try (NDManager manager = NDManager.newBaseManager()) {
      NDArray logp = manager.create(in.logp());
      NDArray oldLogp = manager.create(in.oldLogp());
      NDArray refLogp = manager.create(in.refLogp());
      NDArray advantages = manager.create(in.advantages());
      NDArray mask = manager.create(in.mask());
      try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
        for (NDArray a : new NDArray[] {logp, oldLogp, refLogp, advantages}) {
          a.setRequiresGradient(true);
        }
        PolicyLoss.Result r =
            PolicyLoss.compute(
                logp, oldLogp, refLogp, advantages, mask, CLIP_LOW, CLIP_HIGH, 0.1f,
                KlEstimator.K3, LossAggregation.TOKEN_MEAN);
        collector.backward(r.loss());

        float[] logpGradient = logp.getGradient().toFloatArray();
        assertTrue(maxAbs(logpGradient) > 0f, "logp must receive a gradient");
        assertNoGradient(oldLogp, "oldLogp");
        assertNoGradient(refLogp, "refLogp");
        assertNoGradient(advantages, "advantages");
      }
    }
  }

  @ParameterizedTest
  @EnumSource(LossAggregation.class)
  void compute_gradient_matchesFiniteDifferenceOfPlain(LossAggregation aggregation) {
    // Row 0 token 0: ratio e^0.05 = 1.051, inside [0.8, 1.28] -> policy and KL gradient.
    // Row 0 token 1: ratio e^0.5 = 1.65 with A > 0, clipped -> KL gradient only.
    // Row 0 token 2: masked -> no gradient at all. Row 1 is shorter, so the aggregations differ.
    float[][] oldLogp = {{-1.0f, -2.0f, -0.7f}, {-0.3f, -1.2f, -2.2f}};
    float[][] logp = {{-0.95f, -1.5f, -0.6f}, {-0.4f, -1.0f, -2.0f}};
    float[][] refLogp = {{-1.3f, -1.1f, -0.9f}, {-0.2f, -1.5f, -1.9f}};
    float[] advantages = {1.5f, -0.8f};
    float[][] mask = {{1f, 1f, 0f}, {1f, 0f, 0f}};
    float beta = 0.1f;
    KlEstimator kl = KlEstimator.K3;
    float[] djlGradient;
    try (NDManager manager = NDManager.newBaseManager()) {
      NDArray logpArray = manager.create(logp);
      try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
        logpArray.setRequiresGradient(true);
        PolicyLoss.Result r =
            PolicyLoss.compute(
                logpArray, manager.create(oldLogp), manager.create(refLogp),
                manager.create(advantages), manager.create(mask), CLIP_LOW, CLIP_HIGH, beta, kl,
                aggregation);
        collector.backward(r.loss());
        djlGradient = logpArray.getGradient().toFloatArray();
      }
    }
    int tokens = logp[0].length;
    for (int[] at : new int[][] {{0, 0}, {0, 1}, {0, 2}, {1, 0}}) {
      double h = 1e-3;
      float up = plainLoss(logp, at, +h, oldLogp, refLogp, advantages, mask, beta, kl, aggregation);
      float down = plainLoss(logp, at, -h, oldLogp, refLogp, advantages, mask, beta, kl, aggregation);
      double finiteDifference = (up - down) / (2 * h);

      assertEquals(
          finiteDifference,
          djlGradient[at[0] * tokens + at[1]],
          1e-4,
          aggregation + " d loss / d logp" + Arrays.toString(at));
    }
    assertEquals(0f, djlGradient[2], "masked token");
    assertNotEquals(0f, djlGradient[1], "clipped token still feels the KL term");
  }

  @Test
  void compute_inputsFromAnotherManager_createsNothingThere() {
    PolicyLossInput in = seededInput(3, 0.1f, true, KlEstimator.K2, LossAggregation.TOKEN_MEAN);
    try (NDManager root = NDManager.newBaseManager()) {
      try (NDManager data = root.newSubManager();
          NDManager step = root.newSubManager()) {
        NDArray oldLogp = data.create(in.oldLogp());
        NDArray refLogp = data.create(in.refLogp());
        NDArray advantages = data.create(in.advantages());
        NDArray mask = data.create(in.mask());
        NDArray logp = step.create(in.logp());

        PolicyLoss.Result r =
            PolicyLoss.compute(
                logp, oldLogp, refLogp, advantages, mask, CLIP_LOW, CLIP_HIGH, 0.1f,
                KlEstimator.K2, LossAggregation.TOKEN_MEAN);

        assertSame(step, r.loss().getManager());
        assertEquals(4, data.getManagedArrays().size(), "only the caller's four arrays");
        for (NDArray callerArray : new NDArray[] {oldLogp, refLogp, advantages, mask, logp}) {
          assertTrue(!callerArray.isReleased(), "caller's arrays stay open");
        }
        assertClose(PolicyLoss.compute(in).loss(), r.loss().toFloatArray()[0], "loss");
      }
      assertTrue(root.getManagedArrays().isEmpty(), "nothing outlives the sub-managers");
    }
  }

  @Test
  void compute_float64Input_throwsNamingIt() {
    try (NDManager manager = NDManager.newBaseManager()) {
      NDArray logp = manager.create(new float[][] {{-1f, -2f}});
      NDArray oldLogp = logp.toType(DataType.FLOAT64, true);
      IllegalArgumentException e =
          assertThrows(
              IllegalArgumentException.class,
              () ->
                  PolicyLoss.compute(
                      logp, oldLogp, null, manager.create(new float[] {1f}), logp.onesLike(),
                      CLIP_LOW, CLIP_HIGH, 0f, KlEstimator.K3, LossAggregation.TOKEN_MEAN));

      assertTrue(e.getMessage().contains("oldLogp"), e.getMessage());
    }
  }

  @Test
  void compute_advantagesOfWrongLength_throwsNamingThem() {
    try (NDManager manager = NDManager.newBaseManager()) {
      NDArray logp = manager.create(new float[][] {{-1f, -2f}});
      IllegalArgumentException e =
          assertThrows(
              IllegalArgumentException.class,
              () ->
                  PolicyLoss.compute(
                      logp, logp, null, manager.create(new float[] {1f, 2f}), logp.onesLike(),
                      CLIP_LOW, CLIP_HIGH, 0f, KlEstimator.K3, LossAggregation.TOKEN_MEAN));

      assertTrue(e.getMessage().contains("advantages"), e.getMessage());
    }
  }

  @Test
  void compute_betaPositiveWithoutReference_throws() {
    try (NDManager manager = NDManager.newBaseManager()) {
      NDArray logp = manager.create(new float[][] {{-1f, -2f}});
      NullPointerException e =
          assertThrows(
              NullPointerException.class,
              () ->
                  PolicyLoss.compute(
                      logp, logp, null, manager.create(new float[] {1f}), logp.onesLike(),
                      CLIP_LOW, CLIP_HIGH, 0.1f, KlEstimator.K3, LossAggregation.TOKEN_MEAN));

      assertTrue(e.getMessage().contains("refLogp"), e.getMessage());
    }
  }

  private static float plainLoss(
      float[][] logp, int[] at, double delta, float[][] oldLogp, float[][] refLogp,
      float[] advantages, float[][] mask, float beta, KlEstimator kl, LossAggregation aggregation) {
    float[][] shifted = new float[logp.length][];
    for (int i = 0; i < logp.length; i++) {
      shifted[i] = logp[i].clone();
    }
    shifted[at[0]][at[1]] += (float) delta;
    return PolicyLoss.compute(
            new PolicyLossInput(
                shifted, oldLogp, refLogp, advantages, mask, CLIP_LOW, CLIP_HIGH, beta, kl,
                aggregation))
        .loss();
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
