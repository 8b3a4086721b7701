package dev.rlft.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import java.util.function.BiFunction;
import org.junit.jupiter.api.Test;

/**
 * Constants in the autograd graph must outlive the Java objects DJL wraps them in: the gradients
 * here are taken after the garbage collector has had every chance to free and overwrite the
 * constant's memory.
 */
class ScalarsTest {

  private static final float[] X = {-2f, -0.5f, 0.25f, 3f};

  /** The gradient of {@code sum(op(x, c))} with respect to x, computed while {@link GcChurn} runs. */
  private static float[] gradient(BiFunction<NDArray, Double, NDArray> op, double c) throws Exception {
    try (NDManager m = NDManager.newBaseManager(); GcChurn churn = new GcChurn()) {
      NDArray x = m.create(X);
      x.setRequiresGradient(true);
      try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
        NDArray y = op.apply(x, c).sum();
        // the constant's Java wrapper is closed by now: give the collector time to free its memory
        for (int i = 0; i < 5; i++) {
          System.gc();
          Thread.sleep(5);
        }
        gc.backward(y);
      }
      return x.getGradient().toFloatArray();
    }
  }

  @Test
  void mul_gradientIsTheConstant_afterGarbageCollection() throws Exception {
    for (int rep = 0; rep < 10; rep++) {
      assertArrayEquals(new float[] {3f, 3f, 3f, 3f}, gradient(Scalars::mul, 3.0), 0f, "rep " + rep);
    }
  }

  @Test
  void div_gradientIsOneOverTheConstant_afterGarbageCollection() throws Exception {
    for (int rep = 0; rep < 10; rep++) {
      assertArrayEquals(new float[] {0.25f, 0.25f, 0.25f, 0.25f}, gradient(Scalars::div, 4.0), 0f, "rep " + rep);
    }
  }

  @Test
  void maximumAndMinimum_gradientFollowsTheComparisonWithTheConstant_afterGarbageCollection() throws Exception {
    for (int rep = 0; rep < 10; rep++) {
      assertArrayEquals(new float[] {0f, 0f, 1f, 1f}, gradient(Scalars::maximum, 0.0), 0f, "max, rep " + rep);
      assertArrayEquals(new float[] {1f, 1f, 0f, 0f}, gradient(Scalars::minimum, 0.0), 0f, "min, rep " + rep);
    }
  }

  @Test
  void values_matchDjlsNumberOverloads() {
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray x = m.create(X);
      assertArrayEquals(x.mul(0.7f).toFloatArray(), Scalars.mul(x, 0.7f).toFloatArray(), 0f);
      assertArrayEquals(x.div(0.3f).toFloatArray(), Scalars.div(x, 0.3f).toFloatArray(), 0f);
      assertArrayEquals(x.maximum(0.1f).toFloatArray(), Scalars.maximum(x, 0.1f).toFloatArray(), 0f);
      assertArrayEquals(x.minimum(0.1f).toFloatArray(), Scalars.minimum(x, 0.1f).toFloatArray(), 0f);
      assertEquals(x.getManager(), Scalars.mul(x, 2).getManager());
    }
  }
}
