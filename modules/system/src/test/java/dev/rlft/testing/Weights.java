package dev.rlft.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;

/** Comparing two sets of named weights in tests. */
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
}
