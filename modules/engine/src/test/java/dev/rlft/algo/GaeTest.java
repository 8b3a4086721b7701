package dev.rlft.algo;

import static dev.rlft.algo.Fixtures.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** GAE and advantage whitening: hand-computed values, masks, and the DJL form against the plain one. */
class GaeTest {

  private static final float[][] ONES = {{1, 1, 1}};

  @Test
  void compute_gammaOneLambdaOne_advantagesAreRewardToGoMinusValues() {
    Gae.Output out = Gae.compute(new float[][] {{0, 0, 1}}, new float[][] {{0.5f, 0.2f, 0.4f}}, ONES, 1, 1);

    assertClose(new float[] {-0.3f, 0.2f, 0.6f}, out.deltas()[0], "deltas");
    assertClose(new float[] {0.5f, 0.8f, 0.6f}, out.advantages()[0], "advantages");
    assertClose(new float[] {1, 1, 1}, out.returns()[0], "returns are the reward-to-go");
  }

  @Test
  void compute_lambdaZero_advantagesAreOneStepTdErrors() {
    Gae.Output out = Gae.compute(new float[][] {{1, 0, 2}}, new float[][] {{0.5f, 1, 1.5f}}, ONES, 0.9, 0);

    // delta_2 = 2 - 1.5; delta_1 = 0 + 0.9 * 1.5 - 1; delta_0 = 1 + 0.9 * 1 - 0.5
    assertClose(new float[] {1.4f, 0.35f, 0.5f}, out.deltas()[0], "deltas");
    assertClose(new float[] {1.4f, 0.35f, 0.5f}, out.advantages()[0], "advantages");
    assertClose(new float[] {1.9f, 1.35f, 2f}, out.returns()[0], "returns = r + gamma V'");
  }

  @Test
  void compute_intermediateLambda_discountsLaterDeltas() {
    Gae.Output out = Gae.compute(new float[][] {{1, 0, 2}}, new float[][] {{0.5f, 1, 1.5f}}, ONES, 0.9, 0.5);

    // A_2 = 0.5; A_1 = 0.35 + 0.45 * 0.5; A_0 = 1.4 + 0.45 * 0.575
    assertClose(new float[] {1.65875f, 0.575f, 0.5f}, out.advantages()[0], "advantages");
    assertClose(new float[] {2.15875f, 1.575f, 2f}, out.returns()[0], "returns");
  }

  @Test
  void compute_promptAndPaddingMasked_ignoredAndZero() {
    Gae.Output out = Gae.compute(new float[][] {{9, 0, 1, 9}}, new float[][] {{9, 0.5f, 0.25f, 9}},
        new float[][] {{0, 1, 1, 0}}, 1, 1);

    assertClose(new float[] {0, -0.25f, 0.75f, 0}, out.deltas()[0], "deltas");
    assertClose(new float[] {0, 0.5f, 0.75f, 0}, out.advantages()[0], "advantages");
    assertClose(new float[] {0, 1, 1, 0}, out.returns()[0], "returns");
  }

  @Test
  void compute_maskedPositionInside_skippedWithoutBreakingTheChain() {
    Gae.Output out = Gae.compute(new float[][] {{0, 5, 1}}, new float[][] {{0.5f, 7, 0.25f}},
        new float[][] {{1, 0, 1}}, 0.5, 1);

    // t = 2: delta 0.75; t = 1 skipped; t = 0: delta = 0 + 0.5 * 0.25 - 0.5, A = delta + 0.5 * 0.75
    assertClose(new float[] {-0.375f, 0, 0.75f}, out.deltas()[0], "deltas");
    assertClose(new float[] {0, 0, 0.75f}, out.advantages()[0], "advantages");
    assertClose(new float[] {0.5f, 0, 1}, out.returns()[0], "returns");
  }

  @Test
  void compute_singleTokenSequence_terminalWhateverGammaAndLambda() {
    for (double gamma : new double[] {0, 0.5, 1}) {
      for (double lambda : new double[] {0, 0.5, 1}) {
        Gae.Output out = Gae.compute(new float[][] {{2}}, new float[][] {{0.5f}}, new float[][] {{1}}, gamma, lambda);

        assertEquals(1.5f, out.deltas()[0][0], 1e-7f);
        assertEquals(1.5f, out.advantages()[0][0], 1e-7f);
        assertEquals(2f, out.returns()[0][0], 1e-7f);
      }
    }
  }

  @Test
  void compute_rowsOfDifferentLengthsAndAnEmptyRow_eachRowOnItsOwn() {
    Gae.Output out = Gae.compute(new float[][] {{1, 1}, {3}, {4, 4, 4}}, new float[][] {{0, 0}, {1}, {1, 1, 1}},
        new float[][] {{1, 1}, {1}, {0, 0, 0}}, 1, 1);

    assertArrayEquals(new float[] {2, 1}, out.advantages()[0], 1e-7f);
    assertArrayEquals(new float[] {2}, out.advantages()[1], 1e-7f);
    assertArrayEquals(new float[3], out.advantages()[2], 0f);
    assertArrayEquals(new float[3], out.returns()[2], 0f);
  }

  @Test
  void compute_nonFiniteReward_propagatesToItsRowOnly() {
    Gae.Output out = Gae.compute(new float[][] {{0, Float.NaN}, {1, 1}}, new float[][] {{0, 0}, {0, 0}},
        new float[][] {{1, 1}, {1, 1}}, 1, 1);

    assertTrue(Float.isNaN(out.advantages()[0][0]));
    assertArrayEquals(new float[] {2, 1}, out.advantages()[1], 0f);
  }

  @Test
  void compute_badArguments_rejectedNamingValue() {
    IllegalArgumentException gamma = assertThrows(IllegalArgumentException.class,
        () -> Gae.compute(ONES, ONES, ONES, 1.5, 1));
    IllegalArgumentException lambda = assertThrows(IllegalArgumentException.class,
        () -> Gae.compute(ONES, ONES, ONES, 1, -0.1));
    IllegalArgumentException mask = assertThrows(IllegalArgumentException.class,
        () -> Gae.compute(ONES, ONES, new float[][] {{1, 0.5f, 1}}, 1, 1));
    IllegalArgumentException shape = assertThrows(IllegalArgumentException.class,
        () -> Gae.compute(ONES, new float[][] {{1, 1}}, ONES, 1, 1));

    assertTrue(gamma.getMessage().contains("gamma") && gamma.getMessage().contains("1.5"), gamma.getMessage());
    assertTrue(lambda.getMessage().contains("lambda") && lambda.getMessage().contains("-0.1"), lambda.getMessage());
    assertTrue(mask.getMessage().contains("mask[0][1]") && mask.getMessage().contains("0.5"), mask.getMessage());
    assertTrue(shape.getMessage().contains("values"), shape.getMessage());
  }

  @Test
  void whiten_threeValidEntries_besselStandardisedMaskedZero() {
    float[][] white = Gae.whiten(new float[][] {{1, 2, 7}, {3, 7, 7}}, new float[][] {{1, 1, 0}, {1, 0, 0}});

    // mean 2, Bessel variance (1 + 0 + 1) / 2 = 1
    double s = 1 / Math.sqrt(1 + Gae.WHITEN_EPS);
    assertArrayEquals(new float[] {(float) -s, 0, 0}, white[0], 1e-7f);
    assertArrayEquals(new float[] {(float) s, 0, 0}, white[1], 1e-7f);
  }

  @Test
  void whiten_oneOrNoValidEntry_allZero() {
    assertArrayEquals(new float[] {0, 0}, Gae.whiten(new float[][] {{5, 3}}, new float[][] {{1, 0}})[0], 0f);
    assertArrayEquals(new float[] {0, 0}, Gae.whiten(new float[][] {{5, 3}}, new float[][] {{0, 0}})[0], 0f);
  }

  @Test
  void moments_maskedEntries_meanAndBesselVariance() {
    Gae.Moments m = Gae.Moments.of(new float[][] {{1, 100}, {2, 3}}, new float[][] {{1, 0}, {1, 1}});

    assertEquals(2, m.mean(), 1e-12);
    assertEquals(1, m.variance(), 1e-12);
    assertEquals(3, m.count());
  }

  /** Rows with a masked prompt prefix, a completion, right padding; row 3 is fully masked. */
  private static float[][] promptCompletionMask(Random random, int rows, int tokens) {
    float[][] mask = new float[rows][tokens];
    for (int b = 0; b < rows; b++) {
      if (b == 3) {
        continue;
      }
      int start = random.nextInt(tokens / 2);
      int end = start + 1 + random.nextInt(tokens - start);
      for (int t = start; t < end; t++) {
        mask[b][t] = 1f;
      }
    }
    mask[0][tokens / 2] = 0f; // a hole inside a row as well
    return mask;
  }

  @Test
  void computeDjl_seededInputs_matchesPlain() {
    for (long seed = 1; seed <= 3; seed++) {
      Random random = new Random(seed);
      float[][] rewards = Fixtures.perturb(random, new float[5][11], 1);
      float[][] values = Fixtures.perturb(random, new float[5][11], 1);
      float[][] mask = promptCompletionMask(random, 5, 11);
      for (double[] gl : new double[][] {{1, 1}, {1, 0.95}, {0.9, 0}, {0.99, 0.5}}) {
        Gae.Output expected = Gae.compute(rewards, values, mask, gl[0], gl[1]);
        try (NDManager manager = NDManager.newBaseManager()) {
          NDArray r = manager.create(rewards);
          Gae.Result actual =
              Gae.compute(r, manager.create(values), manager.create(mask), (float) gl[0], (float) gl[1]);

          String what = "seed " + seed + " gamma " + gl[0] + " lambda " + gl[1];
          assertClose(flat(expected.deltas()), actual.deltas().toFloatArray(), what + " deltas");
          assertClose(flat(expected.advantages()), actual.advantages().toFloatArray(), what + " advantages");
          assertClose(flat(expected.returns()), actual.returns().toFloatArray(), what + " returns");
          assertSame(manager, actual.advantages().getManager());
          assertFalse(actual.advantages().hasGradient());
        }
      }
    }
  }

  @Test
  void whitenDjl_seededInputs_matchesPlain() {
    Random random = new Random(7);
    float[][] advantages = Fixtures.perturb(random, new float[5][11], 2);
    float[][] mask = promptCompletionMask(random, 5, 11);
    float[][] expected = Gae.whiten(advantages, mask);
    try (NDManager manager = NDManager.newBaseManager()) {
      NDArray actual = Gae.whiten(manager.create(advantages), manager.create(mask));

      assertClose(flat(expected), actual.toFloatArray(), "whitened");
      assertArrayEquals(new float[2], Gae.whiten(manager.create(new float[][] {{4, 9}}),
          manager.create(new float[][] {{1, 0}})).toFloatArray(), 0f);
    }
  }

  private static float[] flat(float[][] m) {
    float[] out = new float[m.length * m[0].length];
    for (int b = 0; b < m.length; b++) {
      System.arraycopy(m[b], 0, out, b * m[0].length, m[b].length);
    }
    return out;
  }
}
