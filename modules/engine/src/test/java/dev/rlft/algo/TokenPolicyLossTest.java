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
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The token-advantage policy loss: by hand, against PolicyLoss, DJL against plain, and its gradient. */
class TokenPolicyLossTest {

  private static final float CLIP_LOW = 0.2f;
  private static final float CLIP_HIGH = 0.28f;

  @Test
  void compute_ratioOne_lossIsMinusTokenMeanOfAdvantages() {
    float[][] logp = {{-1f, -2f, -3f}};
    PolicyLossOutput out = TokenPolicyLoss.compute(logp, logp, null, new float[][] {{2f, -1f, 100f}},
        new float[][] {{1, 1, 0}}, CLIP_LOW, CLIP_HIGH, 0f, KlEstimator.K3);

    assertEquals(-0.5f, out.loss(), 1e-7f);
    assertEquals(-0.5f, out.policyLoss(), 1e-7f);
    assertEquals(0f, out.clipFraction());
    assertEquals(1f, out.meanRatio(), 1e-7f);
  }

  @ParameterizedTest
  @EnumSource(KlEstimator.class)
  void compute_sameAdvantageAcrossEachRow_equalsPolicyLossTokenMean(KlEstimator kl) {
    Random random = new Random(3);
    float[][] logp = Fixtures.logProbs(random, 5, 8);
    float[][] old = Fixtures.perturb(random, logp, 0.25);
    float[][] ref = Fixtures.perturb(random, logp, 0.4);
    float[] perSequence = Fixtures.gaussian(random, 5);
    float[][] mask = Fixtures.raggedMask(random, 5, 8, 2);
    float[][] perToken = new float[5][8];
    for (int b = 0; b < 5; b++) {
      Arrays.fill(perToken[b], perSequence[b]);
    }
    PolicyLossOutput expected = PolicyLoss.compute(new PolicyLossInput(logp, old, ref, perSequence, mask, CLIP_LOW,
        CLIP_HIGH, 0.04f, kl, LossAggregation.TOKEN_MEAN));

    PolicyLossOutput plain = TokenPolicyLoss.compute(logp, old, ref, perToken, mask, CLIP_LOW, CLIP_HIGH, 0.04f, kl);

    assertClose(expected.loss(), plain.loss(), "loss");
    assertClose(expected.policyLoss(), plain.policyLoss(), "policyLoss");
    assertClose(expected.kl(), plain.kl(), "kl");
    assertClose(expected.clipFraction(), plain.clipFraction(), "clipFraction");
    assertClose(expected.meanRatio(), plain.meanRatio(), "meanRatio");
    try (NDManager manager = NDManager.newBaseManager()) {
      PolicyLoss.Result djl = TokenPolicyLoss.compute(manager.create(logp), manager.create(old), manager.create(ref),
          manager.create(perToken), manager.create(mask), CLIP_LOW, CLIP_HIGH, 0.04f, kl);
      assertAgree(expected, djl);
    }
  }

  @ParameterizedTest
  @EnumSource(KlEstimator.class)
  void computeDjl_seededTokenAdvantages_matchesPlain(KlEstimator kl) {
    for (long seed = 1; seed <= 3; seed++) {
      Random random = new Random(seed);
      float[][] logp = Fixtures.logProbs(random, 6, 9);
      float[][] old = Fixtures.perturb(random, logp, 0.25);
      float[][] ref = Fixtures.perturb(random, logp, 0.4);
      float[][] advantages = Fixtures.perturb(random, new float[6][9], 1);
      float[][] mask = Fixtures.raggedMask(random, 6, 9, 1, 4);
      for (float beta : new float[] {0f, 0.04f}) {
        PolicyLossOutput expected =
            TokenPolicyLoss.compute(logp, old, beta > 0 ? ref : null, advantages, mask, CLIP_LOW, CLIP_HIGH, beta, kl);
        try (NDManager manager = NDManager.newBaseManager()) {
          PolicyLoss.Result actual = TokenPolicyLoss.compute(manager.create(logp), manager.create(old),
              beta > 0 ? manager.create(ref) : null, manager.create(advantages), manager.create(mask), CLIP_LOW,
              CLIP_HIGH, beta, kl);
          assertAgree(expected, actual);
          assertTrue(expected.clipFraction() > 0, "seed " + seed + " clips somewhere");
        }
      }
    }
  }

  @Test
  void computeDjl_gradient_onlyIntoLogpInItsManager() {
    Random random = new Random(11);
    float[][] logp = Fixtures.logProbs(random, 3, 4);
    try (NDManager manager = NDManager.newBaseManager(); NDManager callers = NDManager.newBaseManager()) {
      NDArray l = manager.create(logp);
      NDArray old = callers.create(Fixtures.perturb(random, logp, 0.1));
      NDArray ref = callers.create(Fixtures.perturb(random, logp, 0.1));
      NDArray adv = callers.create(Fixtures.perturb(random, new float[3][4], 1));
      NDArray mask = callers.create(new float[][] {{1, 1, 1, 1}, {1, 1, 0, 0}, {0, 0, 0, 0}});
      int callersArrays = callers.getManagedArrays().size();
      try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
        for (NDArray a : new NDArray[] {l, old, ref, adv}) {
          a.setRequiresGradient(true);
        }
        PolicyLoss.Result r =
            TokenPolicyLoss.compute(l, old, ref, adv, mask, CLIP_LOW, CLIP_HIGH, 0.1f, KlEstimator.K3);
        assertSame(manager, r.loss().getManager());
        assertEquals(callersArrays, callers.getManagedArrays().size(), "nothing lands in the callers' manager");
        collector.backward(r.loss());
        float[] g = l.getGradient().toFloatArray();
        assertTrue(Math.abs(g[0]) > 0f, "logp receives a gradient");
        assertEquals(0f, g[6], "masked token");
        assertNoGradient(old, "oldLogp");
        assertNoGradient(ref, "refLogp");
        assertNoGradient(adv, "advantages");
      }
    }
  }

  @Test
  void compute_raggedRows_rejectedNamingRow() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> TokenPolicyLoss.compute(new float[][] {{0, 0}, {0, 0}}, new float[][] {{0, 0}, {0}}, null,
            new float[][] {{0, 0}, {0, 0}}, new float[][] {{1, 1}, {1, 1}}, CLIP_LOW, CLIP_HIGH, 0f, KlEstimator.K3));

    assertTrue(e.getMessage().contains("oldLogp[1]"), e.getMessage());
  }

  private static void assertAgree(PolicyLossOutput expected, PolicyLoss.Result actual) {
    assertClose(expected.loss(), actual.loss().toFloatArray()[0], "loss");
    assertClose(expected.policyLoss(), actual.policyLoss(), "policyLoss");
    assertClose(expected.kl(), actual.kl(), "kl");
    assertClose(expected.clipFraction(), actual.clipFraction(), "clipFraction");
    assertClose(expected.meanRatio(), actual.meanRatio(), "meanRatio");
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
