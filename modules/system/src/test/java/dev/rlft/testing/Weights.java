package dev.rlft.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;
import java.util.SplittableRandom;

/** Making and comparing weights in tests. */
public final class Weights {

  private Weights() {}

  /** The largest absolute difference between same-named values; the names must be the same. */
  public static double maxDifference(Map<String, float[]> a, Map<String, float[]> b) {
    assertEquals(a.keySet(), b.keySet());
    double max = 0;
    for (String k : a.keySet()) {
      assertEquals(a.get(k).length, b.get(k).length, k);
      for (int i = 0; i < a.get(k).length; i++) {
        max = Math.max(max, Math.abs(a.get(k)[i] - b.get(k)[i]));
      }
    }
    return max;
  }

  /** {@code n} standard-normal values from {@code seed}. */
  public static float[] random(int n, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    float[] a = new float[n];
    for (int i = 0; i < n; i++) {
      a[i] = (float) r.nextGaussian();
    }
    return a;
  }
}
