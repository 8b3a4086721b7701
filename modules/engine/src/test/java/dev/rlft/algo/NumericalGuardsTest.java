package dev.rlft.algo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import org.junit.jupiter.api.Test;

/**
 * Extreme log-ratios stay finite: one token whose probability differs by e^200 between policies
 * must not turn the whole update into inf/NaN (this happened on padded positions before they were
 * neutralised).
 */
class NumericalGuardsTest {

  @Test
  void k3_hugeLogRatio_finiteAndEqualInBothForms() {
    float plain = KlEstimator.K3.value(-200f, 0f);
    assertTrue(Float.isFinite(plain), "plain k3 " + plain);
    assertEquals((float) (Math.expm1(20) - 20), plain, 1e-3f * plain);
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray v = KlEstimator.K3.value(m.create(new float[] {-200f, 0f}), m.create(new float[] {0f, -200f}));
      float[] out = v.toFloatArray();
      assertEquals(plain, out[0], 1e-3f * plain);
      assertTrue(Float.isFinite(out[1]) && out[1] >= 0, "k3 " + out[1]);
    }
  }

  @Test
  void policyLoss_hugeRatio_finiteAndEqualInBothForms() {
    float[][] logp = {{0f, -1f}};
    float[][] old = {{-300f, -1f}};
    float[][] ref = {{-300f, -1f}};
    float[][] mask = {{1f, 1f}};
    float[] adv = {1f};
    PolicyLossOutput plain = PolicyLoss.compute(new PolicyLossInput(logp, old, ref, adv, mask, 0.2f, 0.2f, 0.04f,
        KlEstimator.K3, LossAggregation.TOKEN_MEAN));
    assertTrue(Float.isFinite(plain.loss()), "plain loss " + plain.loss());
    try (NDManager m = NDManager.newBaseManager()) {
      PolicyLoss.Result djl = PolicyLoss.compute(m.create(logp), m.create(old), m.create(ref), m.create(adv),
          m.create(mask), 0.2f, 0.2f, 0.04f, KlEstimator.K3, LossAggregation.TOKEN_MEAN);
      assertEquals(plain.loss(), djl.loss().getFloat(), 1e-4f);
    }
  }
}
