package dev.rlft.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** AdamW against hand-computed updates, its clipping, gradient clearing, state export and validation. */
class AdamWTest {

  @BeforeAll
  static void oneThread() {
    TinyModel.useOneTorchThread();
  }

  private static final float TOL = 1e-6f;

  /** A 1x2 matrix (decayed) and a 1-D vector of one element (not decayed), both requiring gradients. */
  private static Map<String, NDArray> params(NDManager m, float[] w, float[] b) {
    Map<String, NDArray> p = new LinkedHashMap<>();
    NDArray mat = m.create(w, new Shape(1, w.length));
    mat.setRequiresGradient(true);
    NDArray vec = m.create(b, new Shape(b.length));
    vec.setRequiresGradient(true);
    p.put("w", mat);
    p.put("b", vec);
    return p;
  }

  /** Accumulates exactly {@code grads} into the parameters: loss = sum_k sum(p_k * g_k), so dL/dp_k = g_k. */
  private static void backward(Map<String, NDArray> params, Map<String, float[]> grads, NDManager m) {
    try (NDManager scope = m.newSubManager();
        GradientCollector gc = Engine.getInstance().newGradientCollector()) {
      NDArray loss = null;
      for (Map.Entry<String, NDArray> e : params.entrySet()) {
        NDArray g = scope.create(grads.get(e.getKey()), e.getValue().getShape());
        NDArray term = e.getValue().mul(g).sum();
        loss = loss == null ? term : loss.add(term);
      }
      gc.backward(loss);
    }
  }

  private static float[] values(Map<String, NDArray> params, String name) {
    return params.get(name).toFloatArray();
  }

  @Test
  void step_twoSteps_matchesHandComputedUpdateWithDecayOnMatricesOnly() {
    // beta1 = 0.5, beta2 = 0.75, eps = 1e-8, weight decay 0.1, lr 0.1, no clipping.
    // Step 1 (bias corrections 1-0.5 = 0.5 and 1-0.75 = 0.25), w = [1, -2], g = [2, -1]:
    //   m = 0.5 g = [1, -0.5]; v = 0.25 g^2 = [1, 0.25]; m^ = [2, -1]; v^ = [4, 1]; m^/sqrt(v^) = [1, -1]
    //   w -= 0.1 [1, -1] + 0.1*0.1 [1, -2]  =>  w = [0.89, -1.88]
    //   b = [0.5], g = [4]: m^/sqrt(v^) = 1, no decay  =>  b = [0.4]
    // Step 2 (bias corrections 0.75 and 0.4375), g_w = [-2, 3], g_b = [2]:
    //   w0: m = 0.5*1 + 0.5*(-2) = -0.5; v = 0.75*1 + 0.25*4 = 1.75; m^ = -2/3; v^ = 4;
    //       w0 = 0.89 - (0.1 * (-1/3) + 0.01 * 0.89) = 0.9144333
    //   w1: m = 0.5*(-0.5) + 0.5*3 = 1.25; v = 0.75*0.25 + 0.25*9 = 2.4375; m^ = 5/3; v^ = 5.5714286;
    //       w1 = -1.88 - (0.1 * 0.7060988 + 0.01 * (-1.88)) = -1.9318099
    //   b:  m = 0.5*2 + 0.5*2 = 2; v = 0.75*4 + 0.25*4 = 4; m^ = 8/3; v^ = 9.1428571;
    //       b = 0.4 - 0.1 * 0.8819171 = 0.3118083
    try (NDManager m = NDManager.newBaseManager()) {
      Map<String, NDArray> p = params(m, new float[] {1f, -2f}, new float[] {0.5f});
      try (AdamW opt = new AdamW(p, new AdamW.Config(0.5f, 0.75f, 1e-8f, 0.1f, 0f), m)) {
        backward(p, Map.of("w", new float[] {2f, -1f}, "b", new float[] {4f}), m);
        float norm = opt.step(0.1f);

        assertEquals((float) Math.sqrt(4 + 1 + 16), norm, TOL);
        assertArrayEquals(new float[] {0.89f, -1.88f}, values(p, "w"), TOL);
        assertArrayEquals(new float[] {0.4f}, values(p, "b"), TOL);
        assertEquals(1, opt.steps());

        backward(p, Map.of("w", new float[] {-2f, 3f}, "b", new float[] {2f}), m);
        opt.step(0.1f);

        assertArrayEquals(new float[] {0.9144333f, -1.9318099f}, values(p, "w"), TOL);
        assertArrayEquals(new float[] {0.3118083f}, values(p, "b"), TOL);
        assertEquals(2, opt.steps());
      }
    }
  }

  @Test
  void step_normAboveClip_scalesGradientByClipOverNorm() {
    // g_b = [3, 4] has norm 5; with clip 1 the moments see g/5 = [0.6, 0.8]:
    // m = (1-0.9) [0.6, 0.8] = [0.06, 0.08]; v = (1-0.95) [0.36, 0.64] = [0.018, 0.032].
    try (NDManager m = NDManager.newBaseManager()) {
      Map<String, NDArray> p = params(m, new float[] {0f}, new float[] {1f, 1f});
      try (AdamW opt = new AdamW(p, new AdamW.Config(0.9f, 0.95f, 1e-8f, 0f, 1f), m)) {
        backward(p, Map.of("w", new float[] {0f}, "b", new float[] {3f, 4f}), m);
        float norm = opt.step(0.01f);

        assertEquals(5f, norm, TOL, "the reported norm is the one before clipping");
        Map<String, float[]> state = opt.exportState();
        assertArrayEquals(new float[] {0.06f, 0.08f}, state.get("m/b"), TOL);
        assertArrayEquals(new float[] {0.018f, 0.032f}, state.get("v/b"), TOL);
      }
    }
  }

  @Test
  void step_normBelowClip_leavesGradientUnscaled() {
    try (NDManager m = NDManager.newBaseManager()) {
      Map<String, NDArray> p = params(m, new float[] {0f}, new float[] {1f, 1f});
      try (AdamW opt = new AdamW(p, new AdamW.Config(0.9f, 0.95f, 1e-8f, 0f, 10f), m)) {
        backward(p, Map.of("w", new float[] {0f}, "b", new float[] {3f, 4f}), m);
        opt.step(0.01f);

        assertArrayEquals(new float[] {0.3f, 0.4f}, opt.exportState().get("m/b"), TOL);
      }
    }
  }

  @Test
  void zeroGrad_afterBackward_clearsEveryGradient() {
    try (NDManager m = NDManager.newBaseManager()) {
      Map<String, NDArray> p = params(m, new float[] {1f, 2f}, new float[] {3f});
      try (AdamW opt = new AdamW(p, AdamW.Config.defaults(), m)) {
        backward(p, Map.of("w", new float[] {5f, 6f}, "b", new float[] {7f}), m);
        assertArrayEquals(new float[] {5f, 6f}, p.get("w").getGradient().toFloatArray());

        opt.zeroGrad();

        assertArrayEquals(new float[] {0f, 0f}, p.get("w").getGradient().toFloatArray());
        assertArrayEquals(new float[] {0f}, p.get("b").getGradient().toFloatArray());
      }
    }
  }

  @Test
  void step_afterUpdate_leavesGradientsZeroSoTheyDoNotAccumulate() {
    try (NDManager m = NDManager.newBaseManager()) {
      Map<String, NDArray> p = params(m, new float[] {1f, 2f}, new float[] {3f});
      try (AdamW opt = new AdamW(p, AdamW.Config.defaults(), m)) {
        backward(p, Map.of("w", new float[] {5f, 6f}, "b", new float[] {7f}), m);
        opt.step(1e-3f);

        assertArrayEquals(new float[] {0f, 0f}, p.get("w").getGradient().toFloatArray());
        assertArrayEquals(new float[] {0f}, p.get("b").getGradient().toFloatArray());
      }
    }
  }

  @Test
  void importState_exportedFromAnother_givesIdenticalNextUpdate() {
    AdamW.Config cfg = new AdamW.Config(0.9f, 0.95f, 1e-8f, 0.05f, 1f);
    Map<String, float[]> g1 = Map.of("w", new float[] {0.3f, -0.7f}, "b", new float[] {0.2f});
    Map<String, float[]> g2 = Map.of("w", new float[] {-0.1f, 0.4f}, "b", new float[] {-0.5f});
    Map<String, float[]> g3 = Map.of("w", new float[] {0.6f, 0.1f}, "b", new float[] {0.9f});
    try (NDManager m = NDManager.newBaseManager()) {
      Map<String, NDArray> a = params(m, new float[] {1f, -1f}, new float[] {0.5f});
      Map<String, NDArray> restored = params(m, new float[] {0f, 0f}, new float[] {0f});
      Map<String, NDArray> fresh = params(m, new float[] {0f, 0f}, new float[] {0f});
      try (AdamW optA = new AdamW(a, cfg, m);
          AdamW optRestored = new AdamW(restored, cfg, m);
          AdamW optFresh = new AdamW(fresh, cfg, m)) {
        backward(a, g1, m);
        optA.step(0.01f);
        backward(a, g2, m);
        optA.step(0.01f);
        for (String k : a.keySet()) {
          restored.get(k).set(a.get(k).toFloatArray());
          fresh.get(k).set(a.get(k).toFloatArray());
        }
        optRestored.importState(optA.exportState(), optA.steps());

        backward(a, g3, m);
        optA.step(0.01f);
        backward(restored, g3, m);
        optRestored.step(0.01f);
        backward(fresh, g3, m);
        optFresh.step(0.01f);

        assertEquals(optA.steps(), optRestored.steps());
        for (String k : a.keySet()) {
          assertArrayEquals(values(a, k), values(restored, k), k);
          assertArrayEquals(optA.exportState().get("m/" + k), optRestored.exportState().get("m/" + k), k);
          assertArrayEquals(optA.exportState().get("v/" + k), optRestored.exportState().get("v/" + k), k);
        }
        assertFalse(Arrays.equals(values(a, "w"), values(fresh, "w")),
            "without the imported moments the update differs, so the comparison above means something");
      }
    }
  }

  @Test
  void step_nonFiniteGradient_throwsWithoutMovingWeights() {
    try (NDManager m = NDManager.newBaseManager()) {
      Map<String, NDArray> p = params(m, new float[] {1f, 2f}, new float[] {3f});
      try (AdamW opt = new AdamW(p, AdamW.Config.defaults(), m)) {
        backward(p, Map.of("w", new float[] {Float.NaN, 1f}, "b", new float[] {1f}), m);

        IllegalStateException e = assertThrows(IllegalStateException.class, () -> opt.step(1e-3f));

        assertTrue(e.getMessage().contains("non-finite gradient norm"), e.getMessage());
        assertArrayEquals(new float[] {1f, 2f}, values(p, "w"));
        assertArrayEquals(new float[] {3f}, values(p, "b"));
      }
    }
  }

  @Test
  void importState_missingMoments_rejectedNamingParameter() {
    try (NDManager m = NDManager.newBaseManager()) {
      Map<String, NDArray> p = params(m, new float[] {1f}, new float[] {1f});
      try (AdamW opt = new AdamW(p, AdamW.Config.defaults(), m)) {
        Map<String, float[]> state = new LinkedHashMap<>(opt.exportState());
        state.remove("v/b");

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> opt.importState(state, 3));
        assertTrue(e.getMessage().contains("'b'"), e.getMessage());
      }
    }
  }

  @Test
  void config_outOfRangeValues_rejectedNamingValue() {
    assertMessage(() -> new AdamW.Config(1f, 0.95f, 1e-8f, 0f, 1f), "beta1", "1.0");
    assertMessage(() -> new AdamW.Config(0.9f, -0.5f, 1e-8f, 0f, 1f), "beta2", "-0.5");
    assertMessage(() -> new AdamW.Config(0.9f, 0.95f, 0f, 0f, 1f), "eps", "0.0");
    assertMessage(() -> new AdamW.Config(0.9f, 0.95f, 1e-8f, -0.25f, 1f), "weight-decay", "-0.25");
    assertMessage(() -> new AdamW.Config(0.9f, 0.95f, 1e-8f, 0f, Float.NaN), "grad-clip", "NaN");
  }

  @Test
  void step_nonFiniteOrNegativeLearningRate_rejectedNamingValue() {
    try (NDManager m = NDManager.newBaseManager()) {
      Map<String, NDArray> p = params(m, new float[] {1f}, new float[] {1f});
      try (AdamW opt = new AdamW(p, AdamW.Config.defaults(), m)) {
        assertMessage(() -> opt.step(-1f), "learning rate", "-1.0");
        assertMessage(() -> opt.step(Float.POSITIVE_INFINITY), "learning rate", "Infinity");
        assertEquals(0, opt.steps(), "a rejected step does not count");
      }
    }
  }

  private static void assertMessage(Runnable r, String... parts) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, r::run);
    for (String part : parts) {
      assertTrue(e.getMessage().contains(part), "'" + part + "' in: " + e.getMessage());
    }
  }
}
