package dev.rlft.algo;

import static dev.rlft.algo.Fixtures.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

class KlEstimatorTest {

  @ParameterizedTest(name = "logp={0} ref={1}")
  @CsvSource({
    // d = ref - logp;  k1 = -d;  k2 = d^2/2;  k3 = e^d - d - 1
    "-1, -2,  1,  0.5, 0.36787944", // d = -1: k3 = e^-1 + 1 - 1
    "-2, -1, -1,  0.5, 0.71828183", // d = +1: k3 = e - 1 - 1
    "-3, -3,  0,  0,   0", //          d =  0
    "-0.5, -2.5, 2, 2, 1.13533528" // d = -2: k2 = 4/2; k3 = e^-2 + 2 - 1
  })
  void value_handPoints_matchFormulas(float logp, float ref, float k1, float k2, float k3) {
    assertEquals(k1, KlEstimator.K1.value(logp, ref), 1e-7f);
    assertEquals(k2, KlEstimator.K2.value(logp, ref), 1e-7f);
    assertEquals(k3, KlEstimator.K3.value(logp, ref), 1e-7f);
  }

  @Test
  void value_k3AtEqualLogProbs_isExactlyZero() {
    assertEquals(0f, KlEstimator.K3.value(-1.234f, -1.234f));
  }

  @Test
  void value_k3OnGrid_isNonNegativeInBothVersions() {
    int n = 4001;
    float[] logp = new float[n];
    float[] ref = new float[n];
    for (int i = 0; i < n; i++) {
      float d = -20f + i * 0.01f;
      logp[i] = -1f;
      ref[i] = -1f + d;
      assertTrue(KlEstimator.K3.value(logp[i], ref[i]) >= 0f, "plain k3 at d=" + d);
    }
    try (NDManager manager = NDManager.newBaseManager()) {
      float[] djl = KlEstimator.K3.value(manager.create(logp), manager.create(ref)).toFloatArray();
      for (int i = 0; i < n; i++) {
        assertTrue(djl[i] >= 0f, "DJL k3 at index " + i);
      }
    }
  }

  @ParameterizedTest
  @EnumSource(KlEstimator.class)
  void valueDjl_grid_matchesPlain(KlEstimator kl) {
    float[][] logp = new float[9][11];
    float[][] ref = new float[9][11];
    for (int i = 0; i < 9; i++) {
      for (int j = 0; j < 11; j++) {
        logp[i][j] = -0.01f - 0.7f * i;
        ref[i][j] = -0.01f - 0.45f * j;
      }
    }
    try (NDManager manager = NDManager.newBaseManager()) {
      NDArray actual = kl.value(manager.create(logp), manager.create(ref));

      float[] flat = actual.toFloatArray();
      for (int i = 0; i < 9; i++) {
        for (int j = 0; j < 11; j++) {
          assertClose(kl.value(logp[i][j], ref[i][j]), flat[i * 11 + j], kl + " at " + i + "," + j);
        }
      }
    }
  }

  @Test
  void valueDjl_shapeMismatch_throws() {
    try (NDManager manager = NDManager.newBaseManager()) {
      NDArray logp = manager.create(new float[] {-1f, -2f});
      NDArray ref = manager.create(new float[] {-1f});

      assertThrows(IllegalArgumentException.class, () -> KlEstimator.K3.value(logp, ref));
    }
  }

  @Test
  void parse_spellingVariants_findConstant() {
    assertEquals(KlEstimator.K3, KlEstimator.parse("k3"));
    assertEquals(KlEstimator.K1, KlEstimator.parse(" K1"));
  }

  @Test
  void parse_unknownName_listsValidNames() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> KlEstimator.parse("low_var_kl"));

    assertTrue(e.getMessage().contains("k1, k2, k3"), e.getMessage());
  }
}
