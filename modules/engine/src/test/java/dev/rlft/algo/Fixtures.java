package dev.rlft.algo;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;

/** Seeded inputs and tolerant comparisons shared by the algorithm tests. */
final class Fixtures {

  private Fixtures() {}

  /**
   * A ragged 0/1 mask {@code [rows][tokens]}: each row is a prefix of random length, and the rows
   * listed in {@code emptyRows} are all zero.
   */
  static float[][] raggedMask(Random random, int rows, int tokens, int... emptyRows) {
    float[][] mask = new float[rows][tokens];
    for (int i = 0; i < rows; i++) {
      int length = 1 + random.nextInt(tokens);
      for (int j = 0; j < length; j++) {
        mask[i][j] = 1f;
      }
    }
    for (int row : emptyRows) {
      mask[row] = new float[tokens];
    }
    return mask;
  }

  /** Log-probabilities in roughly {@code [-6, 0)}, like those of sampled tokens. */
  static float[][] logProbs(Random random, int rows, int tokens) {
    float[][] out = new float[rows][tokens];
    for (int i = 0; i < rows; i++) {
      for (int j = 0; j < tokens; j++) {
        out[i][j] = (float) (-Math.abs(random.nextGaussian()) * 2 - 0.01);
      }
    }
    return out;
  }

  /** {@code base} plus Gaussian noise of the given scale, elementwise. */
  static float[][] perturb(Random random, float[][] base, double scale) {
    float[][] out = new float[base.length][];
    for (int i = 0; i < base.length; i++) {
      out[i] = new float[base[i].length];
      for (int j = 0; j < base[i].length; j++) {
        out[i][j] = (float) (base[i][j] + scale * random.nextGaussian());
      }
    }
    return out;
  }

  static float[] gaussian(Random random, int n) {
    float[] out = new float[n];
    for (int i = 0; i < n; i++) {
      out[i] = (float) random.nextGaussian();
    }
    return out;
  }

  /** Asserts agreement to 1e-5, relative once the magnitude exceeds 1. */
  static void assertClose(double expected, double actual, String what) {
    assertEquals(expected, actual, 1e-5 * Math.max(1, Math.abs(expected)), what);
  }

  static void assertClose(float[] expected, float[] actual, String what) {
    assertEquals(expected.length, actual.length, what + ": length");
    for (int i = 0; i < expected.length; i++) {
      assertClose(expected[i], actual[i], what + "[" + i + "]");
    }
  }
}
