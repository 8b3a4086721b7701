package dev.rlft.algo;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Hand values and validation of the plain reference; DJL agreement is in PolicyLossDjlTest. */
class PolicyLossTest {

  private static final float CLIP_LOW = 0.2f; // interval [0.8, 1.28]
  private static final float CLIP_HIGH = 0.28f;

  @ParameterizedTest(name = "ratio={0} A={1}")
  @CsvSource({
    // ratio, A,  pg = -min(ratio*A, clip(ratio)*A), clipped term chosen?
    "1.1, 2, -2.2, 0", //  inside: both terms 2.2
    "1.1, -2, 2.2, 0", //  inside: both terms -2.2
    "1.5, 2, -2.56, 1", // above, A > 0: min(3.0, 1.28*2 = 2.56) -> clipped
    "1.5, -2, 3.0, 0", //  above, A < 0: min(-3.0, -2.56) = -3.0 -> unclipped (pessimistic)
    "0.5, 2, -1.0, 0", //  below, A > 0: min(1.0, 0.8*2 = 1.6) = 1.0 -> unclipped
    "0.5, -2, 1.6, 1", //  below, A < 0: min(-1.0, -1.6) = -1.6 -> clipped
    "1.5, 0, 0, 0" //      zero advantage: no gradient signal, nothing counted as clipped
  })
  void compute_singleToken_takesPessimisticBranch(
      double ratio, float advantage, float expectedPg, float expectedClipFraction) {
    float logp = (float) Math.log(ratio); // oldLogp = 0, so exp(logp - oldLogp) = ratio
    PolicyLossInput in =
        new PolicyLossInput(
            new float[][] {{logp}},
            new float[][] {{0f}},
            null,
            new float[] {advantage},
            new float[][] {{1f}},
            CLIP_LOW,
            CLIP_HIGH,
            0f,
            KlEstimator.K3,
            LossAggregation.TOKEN_MEAN);

    PolicyLossOutput out = PolicyLoss.compute(in);

    assertEquals(expectedPg, out.loss(), 1e-6f);
    assertEquals(expectedPg, out.policyLoss(), 1e-6f);
    assertEquals(0f, out.kl());
    assertEquals(expectedClipFraction, out.clipFraction());
    assertEquals(ratio, out.meanRatio(), 1e-6);
  }

  @Test
  void compute_withKlPenalty_addsBetaTimesEstimate() {
    // ratio 1, A = 1: pg = -1.  k1 = logp - ref = -1 - (-2) = 1.  loss = -1 + 0.1 * 1 = -0.9.
    PolicyLossInput in =
        new PolicyLossInput(
            new float[][] {{-1f}},
            new float[][] {{-1f}},
            new float[][] {{-2f}},
            new float[] {1f},
            new float[][] {{1f}},
            CLIP_LOW,
            CLIP_HIGH,
            0.1f,
            KlEstimator.K1,
            LossAggregation.TOKEN_MEAN);

    PolicyLossOutput out = PolicyLoss.compute(in);

    assertEquals(-0.9f, out.loss(), 1e-6f);
    assertEquals(-1f, out.policyLoss(), 1e-6f);
    assertEquals(1f, out.kl(), 1e-6f);
    assertEquals(1f, out.meanRatio(), 1e-6f);
  }

  @Test
  void compute_maskedTokens_ignoredByLossAndMetrics() {
    // Row 0: token 0 inside (ratio 1, A = 1 -> pg -1); token 1 masked but far outside the interval.
    // Row 1: fully masked. Only one token counts.
    PolicyLossInput in =
        new PolicyLossInput(
            new float[][] {{0f, 3f}, {2f, 2f}},
            new float[][] {{0f, 0f}, {0f, 0f}},
            null,
            new float[] {1f, 5f},
            new float[][] {{1f, 0f}, {0f, 0f}},
            CLIP_LOW,
            CLIP_HIGH,
            0f,
            KlEstimator.K3,
            LossAggregation.SEQ_MEAN_TOKEN_MEAN);

    PolicyLossOutput out = PolicyLoss.compute(in);

    assertEquals(-1f, out.loss(), 1e-6f);
    assertEquals(0f, out.clipFraction());
    assertEquals(1f, out.meanRatio(), 1e-6f);
  }

  @Test
  void constructor_betaZeroWithoutReference_accepted() {
    assertDoesNotThrow(() -> input(null, 0f, 0.2f, new float[][] {{1f, 1f}}, new float[] {1f}));
  }

  @Test
  void constructor_betaPositiveWithoutReference_throwsNamingRefLogp() {
    NullPointerException e =
        assertThrows(
            NullPointerException.class,
            () -> input(null, 0.1f, 0.2f, new float[][] {{1f, 1f}}, new float[] {1f}));

    assertTrue(e.getMessage().contains("refLogp"), e.getMessage());
  }

  @Test
  void constructor_clipLowOfOne_throwsNamingIt() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> input(null, 0f, 1f, new float[][] {{1f, 1f}}, new float[] {1f}));

    assertTrue(e.getMessage().contains("clipLow"), e.getMessage());
  }

  @Test
  void constructor_negativeBeta_throwsNamingIt() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> input(null, -0.1f, 0.2f, new float[][] {{1f, 1f}}, new float[] {1f}));

    assertTrue(e.getMessage().contains("beta"), e.getMessage());
  }

  @Test
  void constructor_nonBinaryMask_throwsNamingEntry() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> input(null, 0f, 0.2f, new float[][] {{1f, 0.5f}}, new float[] {1f}));

    assertTrue(e.getMessage().contains("mask[0][1]"), e.getMessage());
  }

  @Test
  void constructor_wrongAdvantageCount_throwsNamingIt() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> input(null, 0f, 0.2f, new float[][] {{1f, 1f}}, new float[] {1f, 2f}));

    assertTrue(e.getMessage().contains("advantages"), e.getMessage());
  }

  @Test
  void constructor_raggedOldLogp_throwsNamingRow() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                new PolicyLossInput(
                    new float[][] {{-1f, -1f}},
                    new float[][] {{-1f}},
                    null,
                    new float[] {1f},
                    new float[][] {{1f, 1f}},
                    0.2f,
                    0.2f,
                    0f,
                    KlEstimator.K3,
                    LossAggregation.TOKEN_MEAN));

    assertTrue(e.getMessage().contains("oldLogp[0]"), e.getMessage());
  }

  @Test
  void constructor_infiniteLogpUnderMask_throwsNamingEntry() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                new PolicyLossInput(
                    new float[][] {{-1f, Float.NEGATIVE_INFINITY}},
                    new float[][] {{-1f, -1f}},
                    null,
                    new float[] {1f},
                    new float[][] {{1f, 0f}},
                    0.2f,
                    0.2f,
                    0f,
                    KlEstimator.K3,
                    LossAggregation.TOKEN_MEAN));

    assertTrue(e.getMessage().contains("logp[0][1]"), e.getMessage());
  }

  private static PolicyLossInput input(
      float[][] ref, float beta, float clipLow, float[][] mask, float[] advantages) {
    return new PolicyLossInput(
        new float[][] {{-1f, -2f}},
        new float[][] {{-1f, -2f}},
        ref,
        advantages,
        mask,
        clipLow,
        0.28f,
        beta,
        KlEstimator.K3,
        LossAggregation.TOKEN_MEAN);
  }
}
